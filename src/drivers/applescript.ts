import {type Infer, s} from '../config/schema.js'
import type {Call} from '../engine/call.js'
import type {Capability, Driver, DriverContext} from '../engine/driver.js'
import {DriverError} from '../errors.js'
import {defineDriver} from './driver-module.js'
import {checkPlaceholders, fillPlaceholders} from './placeholders.js'

const script = (description?: string) => s.string({minLength: 1, ...(description && {description})})

/** AppleScript templates; {NUMBER}, {NAME}, {CALLID} become AppleScript string literals. */
const settings = s.object({
  make: script('AppleScript; {NUMBER} becomes a string literal'),
  answer: script(),
  end: script(),
})

export type AppleScriptSettings = Infer<typeof settings>

const checkScript = (name: string) => (value: unknown) =>
  checkPlaceholders(value as string, `driver.applescript.${name}`)

export const applescriptDriver = defineDriver({
  name: 'applescript',
  settings,
  checks: {make: checkScript('make'), answer: checkScript('answer'), end: checkScript('end')},
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

export function renderAppleScript(template: string, call: {number: string; name: string; id: string}): string {
  return fillPlaceholders(template, {NUMBER: call.number, NAME: call.name, CALLID: call.id}, appleScriptString)
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
  for (const name of ['make', 'answer', 'end'] as const) {
    if (templates[name]) checkPlaceholders(templates[name], `driver.applescript.${name}`)
  }

  async function execute(name: Capability, call: {number: string; name: string; id: string}): Promise<void> {
    try {
      await run(renderAppleScript(templates[name]!, call))
    } catch (error) {
      throw new DriverError('applescript', `${name} script failed: ${(error as Error).message}`, {cause: error})
    }
  }

  return {
    name: 'applescript',
    capabilities: new Set((['make', 'answer', 'end'] as const).filter((name) => templates[name])),

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
  }
}
