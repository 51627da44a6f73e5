/** ESM TypeScript through @swc/jest (ts-jest does not run with TypeScript 7); types are checked by `tsc -p test`. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', {jsc: {parser: {syntax: 'typescript'}, target: 'es2022'}, module: {type: 'es6'}}],
  },
  // Sources import './x.js' (NodeNext style); in tests that means the .ts file next to it.
  moduleNameMapper: {'^(\\.{1,2}/.*)\\.js$': '$1'},
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/helpers/setup.ts'],
  // @oclif/test's runCommand needs verbose output to capture stdout.
  verbose: true,
  testTimeout: 30_000,
  // Two cores: one worker each. Most of the time goes to child processes (listeners, CLI runs, baresip, Chromium),
  // whose start-ups are CPU work, so more workers than cores only make every timing in the tests worse.
  maxWorkers: 2,
}
