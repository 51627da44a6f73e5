import {compileNumberPolicy} from '../engine/number-policy.js'
import {ConfigError} from '../errors.js'
import {compilePopups} from '../notify/popups.js'
import {compileInternalNumbers, compileTargets} from '../notify/targets.js'
import {compileTemplate} from '../notify/template.js'
import type {CallbackConfig, PopupConfig} from './schema.js'

/**
 * Checks a JSON schema cannot express, run before a value is written (and again when the listener starts), so that
 * a mistake such as an unknown template variable is reported by `config set` and not at the first call.
 */
const CHECKS: Record<string, (value: unknown) => void> = {
  'numbers.allow': (value) => compileNumberPolicy({allow: value as string[], block: []}),
  'numbers.block': (value) => compileNumberPolicy({allow: [], block: value as string[]}),
  callbacks: (value) => compileTargets({notifications: {}, callbacks: value as CallbackConfig[]}),
  popups: (value) => compilePopups({popups: value as PopupConfig[]}),
  internalNumbers: (value) => compileInternalNumbers(value as string),
  ...Object.fromEntries(
    ['incoming', 'outgoing', 'active', 'end'].map((event) => [
      `notifications.${event}`,
      (value: unknown) => compileTemplate(value as string, `notifications.${event}`),
    ]),
  ),
}

export function checkValue(key: string, value: unknown): void {
  try {
    CHECKS[key]?.(value)
  } catch (error) {
    // A value of the wrong shape is the schema's to report, with the key and what it takes.
    if (error instanceof ConfigError) throw error
  }
}
