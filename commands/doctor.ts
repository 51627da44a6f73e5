import chalk from 'chalk'

import {ListenerCommand} from '../src/cli/base-command.js'
import {CallctlError, type Check, diagnose, ExitCode} from '../src/cli/app.js'

const MARK = {ok: chalk.green('✓'), warn: chalk.yellow('!'), fail: chalk.red('✗')}

export default class Doctor extends ListenerCommand {
  static override summary =
    'Check the setup and say what to fix: config, port, listener, driver, notifications, service'
  static override description = `Each check is ok (✓), a warning (!) or a failure (✗) with its fix. Exits 1 when a check fails, 0 otherwise.

Checks: the config file is valid; the port is free or held by callctl; the listener answers; the driver is reachable (baresip's ctrl_tcp, the command driver's programs); notification hosts resolve; recent deliveries succeeded and nothing waits in the outbox; a token is set when listening beyond this computer; the config folder is readable by its owner only; no popup app argument starts with a caller's value before a --; the wrappers and the background service are installed.`

  static override examples = [
    '<%= config.bin %> doctor',
    '<%= config.bin %> doctor --port 5679',
    '<%= config.bin %> doctor --json',
  ]

  async run(): Promise<{checks: Check[]}> {
    const {flags} = await this.parse(Doctor)
    const checks = await diagnose({port: flags.port})
    const width = Math.max(...checks.map((check) => check.name.length))
    for (const check of checks) {
      this.log(`${MARK[check.verdict]} ${check.name.padEnd(width)}  ${check.message}`)
      if (check.fix) this.log(`  ${' '.repeat(width)}  ${chalk.dim(`→ ${check.fix}`)}`)
    }

    const failed = checks.filter((check) => check.verdict === 'fail')
    if (failed.length > 0) {
      // A check can fail for several targets: its name and each fix are said once.
      const names = [...new Set(failed.map((check) => check.name))]
      throw new CallctlError(`${failed.length} of ${checks.length} checks failed: ${names.join(', ')}`, {
        code: 'ERR_CHECKS_FAILED',
        exit: ExitCode.failure,
        suggestions: [...new Set(failed.flatMap((check) => (check.fix ? [check.fix] : [])))],
        data: {checks},
      })
    }

    return {checks}
  }
}
