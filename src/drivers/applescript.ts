import {type Infer, s} from '../config/schema.js'
import type {Call} from '../engine/call.js'
import {CAPABILITIES, type Capability, type Driver, type DriverContext} from '../engine/driver.js'
import {DriverError} from '../errors.js'
import {defineDriver} from './driver-module.js'
import {ACTION_PLACEHOLDERS, checkPlaceholders, fillPlaceholders} from './placeholders.js'

const script = (description?: string) => s.string({minLength: 1, ...(description && {description})})

/** One script per action an app's dictionary offers; an action without one is not offered (501). */
const ACTIONS = ['make', 'answer', 'end', 'reject', 'hold', 'resume', 'transfer', 'dtmf', 'mute', 'unmute'] as const
type Action = (typeof ACTIONS)[number]

/** AppleScript templates; {NUMBER}, {NAME}, {CALLID}, {TARGET}, {DIGITS} become AppleScript string literals. */
const settings = s.object({
  make: script('AppleScript; {NUMBER} becomes a string literal'),
  answer: script(),
  end: script(),
  reject: script(),
  hold: script(),
  resume: script(),
  transfer: script('AppleScript; {TARGET} is the number transferred to'),
  dtmf: script('AppleScript; {DIGITS} are the digits'),
  mute: script(),
  unmute: script(),
})

export type AppleScriptSettings = Infer<typeof settings>

const checkScript = (name: string) => (value: unknown) =>
  checkPlaceholders(value as string, `driver.applescript.${name}`, ACTION_PLACEHOLDERS)

export const applescriptDriver = defineDriver({
  name: 'applescript',
  settings,
  checks: Object.fromEntries(ACTIONS.map((action) => [action, checkScript(action)])),
  capabilities: CAPABILITIES,
  capabilitiesNote: 'driver.applescript.<action> set, macOS',
  check: () =>
    process.platform === 'darwin'
      ? {verdict: 'ok', message: 'applescript (macOS)'}
      : {
          verdict: 'fail',
          message: 'applescript runs only on macOS',
          fix: 'Choose another driver: callctl config set driver.name sim',
        },
  create: (context: DriverContext<AppleScriptSettings>) => createAppleScriptDriver(context),
})

/** A value as an AppleScript string literal: quotes and backslashes escaped, so it can never end the string. */
export function appleScriptString(value: string): string {
  return `"${value
    .replaceAll('\\', '\\\\')
    .replaceAll('"', '\\"')
    .replaceAll(/[\r\n]/g, ' ')}"`
}

export function renderAppleScript(
  template: string,
  call: {number: string; name: string; id: string},
  extra: {TARGET?: string; DIGITS?: string} = {},
): string {
  return fillPlaceholders(
    template,
    {NUMBER: call.number, NAME: call.name, CALLID: call.id, ...extra},
    appleScriptString,
  )
}

/**
 * macOS apps with an AppleScript dictionary (e.g. a softphone, or "open location" for tel:). Placeholders are
 * written as quoted string literals: write `dial {NUMBER}`, not `dial "{NUMBER}"`.
 */
export function createAppleScriptDriver(
  {reporter, settings: templates}: DriverContext<AppleScriptSettings>,
  platform: NodeJS.Platform = process.platform,
  run: (script: string) => Promise<unknown> = async (script) =>
    (await import('run-applescript')).runAppleScript(script),
): Driver {
  for (const name of ACTIONS) {
    if (templates[name]) checkPlaceholders(templates[name], `driver.applescript.${name}`, ACTION_PLACEHOLDERS)
  }

  async function execute(
    name: Action,
    call: {number: string; name: string; id: string},
    extra: {TARGET?: string; DIGITS?: string} = {},
  ): Promise<void> {
    try {
      await run(renderAppleScript(templates[name]!, call, extra))
    } catch (error) {
      throw new DriverError('applescript', `${name} script failed: ${(error as Error).message}`, {cause: error})
    }
  }

  const has = (action: Action) => Boolean(templates[action])
  return {
    name: 'applescript',
    capabilities: new Set<Capability>(
      CAPABILITIES.filter((capability) => (capability === 'mute' ? has('mute') && has('unmute') : has(capability))),
    ),

    async init() {
      if (platform !== 'darwin') {
        throw new DriverError(
          'applescript',
          `AppleScript runs only on macOS, and this is ${platform}; use the command or baresip driver here`,
          {status: 501},
        )
      }
    },

    async make(number) {
      await execute('make', {number, name: '', id: ''})
      return reporter.outgoing({number})
    },

    async answer(call: Call) {
      await execute('answer', call)
      reporter.active(call.id)
    },

    async end(call: Call) {
      await execute('end', call)
      reporter.ended(call.id, 'local hangup')
    },

    async reject(call: Call) {
      await execute('reject', call)
      reporter.ended(call.id, 'declined', 'rejected')
    },

    async hold(call: Call) {
      await execute('hold', call)
      reporter.held(call.id)
    },

    async resume(call: Call) {
      await execute('resume', call)
      reporter.resumed(call.id)
    },

    async transfer(call: Call, number: string) {
      await execute('transfer', call, {TARGET: number})
      reporter.transferred(call.id, number)
      reporter.ended(call.id, `transferred to ${number}`)
    },

    async dtmf(call: Call, digits: string) {
      await execute('dtmf', call, {DIGITS: digits})
    },

    async mute(call: Call, muted: boolean) {
      await execute(muted ? 'mute' : 'unmute', call)
      reporter.muted(call.id, muted)
    },
  }
}
