import {ConfigError} from '../errors.js'

/** What a driver template may say: the number dialled, and the call acted on. */
export type Placeholders = {NUMBER: string; NAME: string; CALLID: string}
const NAMES = ['NUMBER', 'NAME', 'CALLID']

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
  return template.replaceAll(/\{(NUMBER|NAME|CALLID)\}/g, (_, name: keyof Placeholders) => encode(values[name]))
}
