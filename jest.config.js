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
  // Two cores, three workers: a worker often waits (a listener's timeout, a dial that rings, a sleep that proves
  // nothing happens), and a third one fills those gaps. Not more: about two thirds of the suites' CPU time is the
  // start-up of the bin/run.js processes they spawn (~650 of them, ~0.35 s each), so the run is mostly CPU-bound, and
  // a fourth worker mostly stretches each test's timings (on the loaded shared machine, four had 7 tests time out).
  maxWorkers: 3,
}
