import {removeTempDirs, tempConfigDir} from './paths.js'

// A listener started in process keeps its store in the config folder: never the user's own, and one per test file,
// since a store has one listener at a time.
process.env.CALLCTL_CONFIG_DIR = tempConfigDir()

// Commands run in process (runCommand) set process.exitCode as they would for a user; left set, it would become
// jest's own exit code and fail a green run.
afterEach(() => {
  process.exitCode = undefined
})

afterAll(() => removeTempDirs())
