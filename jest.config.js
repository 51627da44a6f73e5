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
  // Slowest files first, from test/durations.json (a clean clone has no jest cache to order by).
  testSequencer: '<rootDir>/test/sequencer.js',
  // Two cores, two workers. About two thirds of the suites' CPU time is the start-up of the bin/run.js processes they
  // spawn (~650, ~0.35 s of CPU each), so the run is CPU-bound: three or four workers gave no clearly shorter run on
  // this (shared, loaded) machine, and more timing-sensitive tests failed with them.
  maxWorkers: 2,
}
