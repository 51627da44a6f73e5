import {compileNumberPolicy} from '../engine/number-policy.js'

/**
 * Checks a JSON schema cannot express, run before a value is written (and again when the listener starts), so that
 * a mistake is reported by `config set` and not at the first call.
 */
const CHECKS: Record<string, (value: unknown) => void> = {
  'numbers.allow': (value) => compileNumberPolicy({allow: value as string[], block: []}),
  'numbers.block': (value) => compileNumberPolicy({allow: [], block: value as string[]}),
}

export function checkValue(key: string, value: unknown): void {
  if (Array.isArray(value) && !value.every((item) => typeof item === 'string')) return // the schema reports it
  CHECKS[key]?.(value)
}
