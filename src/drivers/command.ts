import {type Infer, s} from '../config/schema.js'
import type {Call} from '../engine/call.js'
import {CAPABILITIES, type Capability, type Driver, type DriverContext} from '../engine/driver.js'
import {CallStateError, DriverError} from '../errors.js'
import {defineDriver} from './driver-module.js'
import {ACTION_PLACEHOLDERS, checkPlaceholders, fillPlaceholders} from './placeholders.js'

const argvTemplate = s.array(s.string(), {
  minItems: 1,
  description:
    'a JSON array: the program, then its arguments; {NUMBER} {NAME} {CALLID} are filled in ({TARGET} in transfer, {DIGITS} in dtmf)',
})

/** One program template per action; an action without one is not offered (501). */
const ACTIONS = ['make', 'answer', 'end', 'reject', 'hold', 'resume', 'transfer', 'dtmf', 'mute', 'unmute'] as const
type Action = (typeof ACTIONS)[number]

const settings = s.object({
  /** argv templates, e.g. ["C:\\Program Files\\MicroSIP\\microsip.exe", "{NUMBER}"]. */
  make: argvTemplate,
  answer: argvTemplate,
  end: argvTemplate,
  reject: argvTemplate,
  hold: argvTemplate,
  resume: argvTemplate,
  /** MicroSIP: ["microsip.exe", "/transfer:{TARGET}"]. */
  transfer: argvTemplate,
  /** MicroSIP: ["microsip.exe", "/dtmf:{DIGITS}"]. */
  dtmf: argvTemplate,
  mute: argvTemplate,
  unmute: argvTemplate,
  /**
   * True when the softphone reports answer and end itself (hooks running `callctl notify active|end`); false to
   * have callctl mark the call when the command succeeds.
   */
  hooks: s.boolean({default: true, description: 'the softphone reports answer/end through callctl notify'}),
  timeoutMs: s.integer({minimum: 100, default: 10_000, description: 'time limit of one command'}),
})

export type CommandSettings = Infer<typeof settings>

const checkArgv = (name: string) => (value: unknown) =>
  (value as string[]).forEach((word, index) =>
    checkPlaceholders(word, `driver.command.${name}[${index}]`, ACTION_PLACEHOLDERS),
  )

export const commandDriver = defineDriver({
  name: 'command',
  settings,
  checks: Object.fromEntries(ACTIONS.map((action) => [action, checkArgv(action)])),
  capabilities: CAPABILITIES,
  capabilitiesNote: 'driver.command.<action> set',
  async check(command) {
    const {onPath} = await import('../os/probe.js')
    const programs = ACTIONS.map((action) => command[action])
      .map((argv) => argv?.[0])
      .filter((program): program is string => Boolean(program))
    const missing = programs.filter((program) => !onPath(program))
    if (programs.length === 0)
      return {
        verdict: 'fail',
        message: 'command: driver.command.make is not set',
        fix: 'Set it: callctl config set driver.command.make \'["softphone","--dial","{NUMBER}"]\'',
      }
    return missing.length === 0
      ? {verdict: 'ok', message: `command: ${[...new Set(programs)].join(', ')} found`}
      : {
          verdict: 'fail',
          message: `command: ${missing.join(', ')} not found`,
          fix: 'Give the full path of the program in driver.command.make/answer/end',
        }
  },
  create: createCommandDriver,
})

/**
 * Any softphone with a command line (MicroSIP, linphonecsh, ...): each command runs its argv template without a
 * shell, each placeholder filling exactly one argument. The softphone reports events back through `callctl notify`.
 */
export function createCommandDriver({reporter, settings}: DriverContext<CommandSettings>): Driver {
  const templates: Partial<Record<Action, string[]>> = Object.fromEntries(
    ACTIONS.map((action) => [action, settings[action]]),
  )
  for (const [name, argv] of Object.entries(templates)) {
    argv?.forEach((word, index) => checkPlaceholders(word, `driver.command.${name}[${index}]`, ACTION_PLACEHOLDERS))
  }

  async function run(
    name: Action,
    call: {number: string; name: string; id: string},
    extra: {TARGET?: string; DIGITS?: string} = {},
  ): Promise<void> {
    const [file, ...args] = templates[name]!.map((word) =>
      fillPlaceholders(word, {NUMBER: call.number, NAME: call.name, CALLID: call.id, ...extra}),
    )
    const {execa} = await import('execa')
    const result = await execa(file, args, {shell: false, reject: false, timeout: settings.timeoutMs, stdin: 'ignore'})
    if (result.failed) {
      const why = result.timedOut
        ? `timed out after ${settings.timeoutMs} ms`
        : result.exitCode === undefined
          ? result.shortMessage
          : `exited with ${result.exitCode}`
      throw new DriverError(
        'command',
        `${name} command ${file} ${why}${result.stderr ? `: ${String(result.stderr).trim().slice(0, 300)}` : ''}`,
      )
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

  const has = (action: Action) => Boolean(templates[action]?.length)
  // Mute is offered only with its way back.
  const capabilities = new Set<Capability>(
    CAPABILITIES.filter((capability) => (capability === 'mute' ? has('mute') && has('unmute') : has(capability))),
  )
  return {
    name: 'command',
    capabilities,

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

    async reject(call: Call) {
      await run('reject', call)
      settle(() => reporter.ended(call.id, 'declined', 'rejected'))
    },

    async hold(call: Call) {
      await run('hold', call)
      settle(() => reporter.held(call.id))
    },

    async resume(call: Call) {
      await run('resume', call)
      settle(() => reporter.resumed(call.id))
    },

    async transfer(call: Call, number: string) {
      await run('transfer', call, {TARGET: number})
      settle(() => {
        reporter.transferred(call.id, number)
        reporter.ended(call.id, `transferred to ${number}`)
      })
    },

    async dtmf(call: Call, digits: string) {
      await run('dtmf', call, {DIGITS: digits})
    },

    async mute(call: Call, muted: boolean) {
      await run(muted ? 'mute' : 'unmute', call)
      // No softphone hook reports mute (there is no such event): callctl marks it when the command succeeded.
      reporter.muted(call.id, muted)
    },
  }
}
