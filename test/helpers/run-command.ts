import {Console} from 'node:console'

/**
 * oclif prints through console.log, and jest's console decorates each line with its origin, so @oclif/test's
 * runCommand would capture that instead of what a user sees. Call once at the top of a suite that uses runCommand.
 */
export function useBareConsole(): void {
  const jestConsole = globalThis.console
  beforeAll(() => {
    globalThis.console = new Console({stdout: process.stdout, stderr: process.stderr})
  })
  afterAll(() => {
    globalThis.console = jestConsole
  })
}
