import {removeTempDirs} from './paths.js'

// Commands run in process (runCommand) set process.exitCode as they would for a user; left set, it would become
// jest's own exit code and fail a green run.
afterEach(() => {
  process.exitCode = undefined
})

afterAll(() => removeTempDirs())
