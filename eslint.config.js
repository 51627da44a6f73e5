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
    files: ['src/**/*.ts', 'commands/**/*.ts'],
    rules: {
      // `import {x} from 'node:http'` builds the module's ES namespace, which reads every export and so loads what
      // Node keeps lazy: undici for node:http (~50 ms), streams and promises for node:fs (~10 ms), more for
      // node:crypto. The CLI's start-up is a budget (npm run bench): take these as CommonJS objects instead.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: ['node:http', 'node:fs', 'node:crypto'].map((name) => ({
            name,
            allowTypeImports: true,
            message: `Use const {…} = process.getBuiltinModule('${name}'): its ES namespace loads lazy parts (see eslint.config.js).`,
          })),
        },
      ],
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
