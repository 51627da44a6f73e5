// Lint rules for the whole tree (`npm run lint`, part of `npm test`). Formatting is Prettier's (.prettierrc.json):
// eslint-config-prettier turns off every rule that would argue with it.
import js from '@eslint/js'
import prettier from 'eslint-config-prettier'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {ignores: ['dist/', 'node_modules/', 'coverage/', 'test-artifacts/', 'oclif.manifest.json', 'bench/results/']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {globals: {...globals.node}},
    linterOptions: {reportUnusedDisableDirectives: 'error'},
    rules: {
      // `_name` marks a value left out on purpose (e.g. a field stripped by destructuring).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // Empty catch blocks are how the code says "this failure is expected and changes nothing"; each has a comment.
      'no-empty': ['error', {allowEmptyCatch: true}],
      eqeqeq: ['error', 'always'],
      'prefer-const': 'error',
      'no-var': 'error',
      'object-shorthand': 'error',
    },
  },
  {
    files: ['test/**/*.ts'],
    languageOptions: {globals: {...globals.jest}},
    rules: {
      // Tests read JSON answers whose shape the assertion itself checks.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: {sourceType: 'commonjs'},
    rules: {'@typescript-eslint/no-require-imports': 'off'},
  },
  prettier,
)
