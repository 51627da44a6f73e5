import {ConfigError} from '../errors.js'

/**
 * What a driver template may say: the number dialled, the call acted on, the number a call is transferred to
 * (`transfer`) and the DTMF digits sent (`dtmf`). The last two are empty in the other actions.
 */
export type Placeholders = {NUMBER: string; NAME: string; CALLID: string; TARGET?: string; DIGITS?: string}
const NAMES = ['NUMBER', 'NAME', 'CALLID']
/** In the templates of drivers with one template per action (command, applescript). */
export const ACTION_PLACEHOLDERS = [...NAMES, 'TARGET', 'DIGITS']

/** Checks a driver template once, at start: an unknown `{PLACEHOLDER}` is a config error, not an empty string. */
export function checkPlaceholders(template: string, where: string, names: readonly string[] = NAMES): void {
  for (const [, name] of template.matchAll(/\{([A-Z_]+)\}/g)) {
    if (!names.includes(name)) {
      throw new ConfigError(`Unknown placeholder {${name}} in ${where}: use ${names.map((n) => `{${n}}`).join(', ')}`)
    }
  }
}

/** Fills placeholders; `encode` says how a value is written where it lands (as is, in an argument or a URL). */
export function fillPlaceholders(
  template: string,
  values: Placeholders,
  encode: (value: string) => string = (v) => v,
): string {
  return template.replaceAll(/\{(NUMBER|NAME|CALLID|TARGET|DIGITS)\}/g, (_, name: keyof Placeholders) =>
    encode(values[name] ?? ''),
  )
}
