import type {Call} from '../engine/call.js'
import {CallStateError, DriverError} from '../errors.js'
import {checkPlaceholders, fillPlaceholders} from './placeholders.js'
import {COMMAND_DEFAULTS as DEFAULTS, type CommandOptions} from './options.js'
import type {Capability, Driver, DriverContext} from './types.js'


/**
 * Any softphone with a command line (MicroSIP, linphonecsh, ...): each command runs its argv template without a
 * shell, each placeholder filling exactly one argument. The softphone reports events back through `callctl notify`.
 */
export function createCommandDriver({reporter, options}: DriverContext): Driver {
  const settings = {...DEFAULTS, ...options} as CommandOptions
  const templates = {make: settings.make, answer: settings.answer, end: settings.end}
  for (const [name, argv] of Object.entries(templates)) {
    argv?.forEach((word, index) => checkPlaceholders(word, `driver.command.${name}[${index}]`))
  }

  async function run(name: Capability, call: {number: string; name: string; id: string}): Promise<void> {
    const [file, ...args] = templates[name]!.map((word) => fillPlaceholders(word, {NUMBER: call.number, NAME: call.name, CALLID: call.id}))
    const {execa} = await import('execa')
    const result = await execa(file, args, {shell: false, reject: false, timeout: settings.timeoutMs, stdin: 'ignore'})
    if (result.failed) {
      const why = result.timedOut ? `timed out after ${settings.timeoutMs} ms` : result.exitCode === undefined ? result.shortMessage : `exited with ${result.exitCode}`
      throw new DriverError('command', `${name} command ${file} ${why}${result.stderr ? `: ${String(result.stderr).trim().slice(0, 300)}` : ''}`)
    }
  }

  /** Marks the transition unless the softphone's hook already did. */
  function settle(report: () => void): void {
    if (settings.hooks) return
    try {
      report()
    } catch (error) {
      if (!(error instanceof CallStateError)) throw error
    }
  }

  return {
    name: 'command',
    capabilities: new Set((Object.keys(templates) as Capability[]).filter((name) => templates[name]?.length)),

    async make(number) {
      await run('make', {number, name: '', id: ''})
      // The softphone dials; callctl tracks the call it asked for, and the softphone's hooks report the rest.
      return reporter.outgoing({number})
    },

    async answer(call: Call) {
      await run('answer', call)
      settle(() => reporter.active(call.id))
    },

    async end(call: Call) {
      await run('end', call)
      settle(() => reporter.ended(call.id, 'local hangup'))
    },
  }
}
