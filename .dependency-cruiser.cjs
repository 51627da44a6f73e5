// The import rules of callctl's layers (README "Architecture"), checked by `npm run lint` (so by `npm test`).
// Bottom to top: ground (errors, config, os) → engine → features (drivers, delivery, logs, journal) → listener → the app
// (settings, client, doctor, service, wrappers) → cli → commands. A module imports only what is below it.
const GROUND = '^src/(errors\\.ts|config/|os/|store/)'
const ENGINE = '^src/engine/'
const FEATURES = '^src/(drivers|delivery|logs|dialing|journal|lookup)/'
const LISTENER = '^src/listener/'

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment:
        'Cycles make layers meaningless. A type import back to the module that loads this one on demand is none.',
      from: {},
      to: {circular: true, viaOnly: {dependencyTypesNot: ['dynamic-import', 'type-only']}},
    },
    {
      name: 'ground-imports-nothing-above',
      severity: 'error',
      comment:
        'errors, config, os and the store know no feature: features hand config their settings (src/settings.ts).',
      from: {path: GROUND},
      to: {path: '^src/', pathNot: GROUND},
    },
    {
      name: 'engine-is-self-contained',
      severity: 'error',
      comment: 'The engine depends on nothing but its own types and errors.',
      from: {path: ENGINE},
      to: {path: '^src/', pathNot: [ENGINE, '^src/errors\\.ts$']},
    },
    {
      name: 'features-below-the-listener',
      severity: 'error',
      comment: 'Drivers, delivery and logs build on the ground and the engine, not on the listener or the app.',
      from: {path: FEATURES},
      to: {path: '^src/', pathNot: [GROUND, ENGINE, FEATURES]},
    },
    {
      name: 'features-do-not-import-each-other',
      severity: 'error',
      comment: 'A driver does not reach into delivery or logs, nor they into drivers: shared parts go to the ground.',
      from: {path: '^src/(drivers|delivery|logs|journal|lookup)/'},
      to: {path: '^src/(drivers|delivery|logs|journal|lookup)/', pathNot: '^src/$1/'},
    },
    {
      name: 'listener-below-the-app',
      severity: 'error',
      comment: 'The listener is started by the app; it does not import it.',
      from: {path: LISTENER},
      to: {path: '^src/', pathNot: [GROUND, ENGINE, FEATURES, LISTENER]},
    },
    {
      name: 'only-cli-imports-cli',
      severity: 'error',
      comment: 'src/cli is the top of src: what prints and parses for people.',
      from: {path: '^src/', pathNot: '^src/cli/'},
      to: {path: '^src/cli/'},
    },
    {
      name: 'commands-import-only-cli',
      severity: 'error',
      comment: 'Commands are thin: parse flags, call src/cli, print.',
      from: {path: '^commands/'},
      to: {path: '^src/', pathNot: '^src/cli/'},
    },
  ],
  options: {
    doNotFollow: {path: 'node_modules'},
    exclude: {path: '^(dist|node_modules|test|bench)/'},
    tsPreCompilationDeps: true,
    tsConfig: {fileName: 'tsconfig.json'},
  },
}
