import {execa} from 'execa'

import {RUN_JS} from './paths.js'

export interface CliResult {
  exitCode: number
  stdout: string
  stderr: string
}

/** Runs the real `bin/run.js` as a user would, with an isolated config folder. */
export async function runCli(args: string[], configDir: string, env: Record<string, string> = {}): Promise<CliResult> {
  const result = await execa(process.execPath, [RUN_JS, ...args], {
    // Wide columns: oclif wraps error messages at the terminal width, which would split what tests look for.
    env: {CALLCTL_CONFIG_DIR: configDir, NO_COLOR: '1', OCLIF_COLUMNS: '1000', ...env},
    reject: false,
    timeout: 20_000,
  })
  return {exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr}
}
