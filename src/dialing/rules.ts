import {isSipAddress} from '../engine/sip-address.js'
import {RequestError} from '../errors.js'
import type {DialingSettings} from './settings.js'

/** The number to dial and each rule that changed it, in order (`--dry-run` prints them). */
export interface Dialled {
  number: string
  rules: string[]
}

/**
 * Applies the dialing rules to a normalised number (see normalizeNumber): strip, format, length limits, outside line,
 * in that order. Feature codes (`*31#`), internal extensions and SIP addresses (which hold no number to format) pass
 * unchanged.
 */
export function applyDialingRules(number: string, dialing: DialingSettings): Dialled {
  if (isSipAddress(number)) return {number, rules: []}
  const rules: string[] = []
  let current = number
  const stripped = dialing.strip.find((prefix) => current.startsWith(prefix) && current.length > prefix.length)
  if (stripped) {
    current = current.slice(stripped.length)
    rules.push(`dialing.strip: removed ${stripped}`)
  }

  const untrunked = withoutTrunkAfterCountryCode(current, dialing)
  if (untrunked !== current) {
    rules.push(
      `dialing.trunkPrefix: ${dialing.trunkPrefix} after the country code ${dialing.countryCode} dropped (it is not dialled after a country code)`,
    )
    current = untrunked
  }

  if (/^[*#]/.test(current)) return {number: current, rules}

  const digitCount = current.replace(/^\+/, '').length
  if (!current.startsWith('+') && digitCount <= dialing.extensionLength) {
    if (rules.length === 0) rules.push(`dialing.extensionLength: ${current} is an internal extension`)
    return {number: current, rules}
  }

  const formatted = formatNumber(current, dialing)
  if (formatted.number !== current) {
    current = formatted.number
    rules.push(formatted.rule)
  }

  const length = current.replace(/^\+/, '').length
  if (dialing.minLength !== undefined && length < dialing.minLength)
    throw lengthError(current, `shorter than dialing.minLength ${dialing.minLength}`)
  if (dialing.maxLength !== undefined && length > dialing.maxLength)
    throw lengthError(current, `longer than dialing.maxLength ${dialing.maxLength}`)

  if (dialing.outsideLine) {
    current = `${dialing.outsideLine}${current}`
    rules.push(`dialing.outsideLine: ${dialing.outsideLine} dialled first`)
  }

  return {number: current, rules}
}

function formatNumber(number: string, dialing: DialingSettings): {number: string; rule: string} {
  if (dialing.format === 'keep') return {number, rule: ''}
  const international = toInternational(number, dialing)
  if (dialing.format === 'international')
    return {number: international.number, rule: `dialing.format international: ${international.how}`}
  if (!international.number.startsWith('+')) return {number, rule: ''}
  const {countryCode, trunkPrefix, internationalPrefix} = dialing
  if (countryCode && international.number.startsWith(`+${countryCode}`)) {
    return {
      number: `${trunkPrefix}${international.number.slice(countryCode.length + 1)}`,
      rule: `dialing.format national: +${countryCode} (dialing.countryCode) became ${trunkPrefix || 'nothing'} (dialing.trunkPrefix)`,
    }
  }

  return {
    number: `${internationalPrefix}${international.number.slice(1)}`,
    rule: `dialing.format national: + became ${internationalPrefix} (dialing.internationalPrefix)`,
  }
}

/** The number with `+<country code>` where the settings tell it; otherwise as it was (a local number). */
export function toInternational(given: string, dialing: DialingSettings): {number: string; how: string} {
  const {internationalPrefix, countryCode, trunkPrefix} = dialing
  const number = withoutTrunkAfterCountryCode(given, dialing)
  if (number.startsWith('+'))
    return {
      number,
      how:
        number === given
          ? 'already international'
          : `${trunkPrefix} (dialing.trunkPrefix) after +${countryCode} dropped`,
    }
  if (internationalPrefix && number.startsWith(internationalPrefix) && number.length > internationalPrefix.length)
    return {
      number: `+${number.slice(internationalPrefix.length)}`,
      how: `${internationalPrefix} (dialing.internationalPrefix) became +`,
    }
  if (countryCode && trunkPrefix && number.startsWith(trunkPrefix))
    return {
      number: `+${countryCode}${number.slice(trunkPrefix.length)}`,
      how: `${trunkPrefix} (dialing.trunkPrefix) became +${countryCode} (dialing.countryCode)`,
    }
  if (countryCode && !trunkPrefix)
    return {number: `+${countryCode}${number}`, how: `+${countryCode} (dialing.countryCode) added`}
  return {number, how: 'a local number: set dialing.countryCode to make it international'}
}

/**
 * `+31 0 900…` and `0031 0 900…`: the national trunk prefix written after the own country code is never dialled
 * there (`+31900…` is meant); kept, the call fails, or a national format turns it into another number.
 */
export function withoutTrunkAfterCountryCode(number: string, dialing: DialingSettings): string {
  const {countryCode, trunkPrefix, internationalPrefix} = dialing
  if (!countryCode || !trunkPrefix) return number
  for (const lead of ['+', internationalPrefix]) {
    const head = `${lead}${countryCode}${trunkPrefix}`
    if (lead && number.startsWith(head) && number.length > head.length)
      return `${lead}${countryCode}${number.slice(head.length)}`
  }

  return number
}

/**
 * Feature codes a PBX or network takes in front of a number (`*31#` and `#31#` show or hide the caller id, `*67`,
 * `*82`): `*`/`#`, two or three digits, an optional `#`. Which length is meant cannot be told, so both are tried.
 */
const FEATURE_CODES = [/^[*#]{1,2}\d{2}#?/, /^[*#]{1,2}\d{3}#?/]

/** The number with its leading feature codes taken off, every way they can be read (the number itself when none). */
function withoutFeatureCodes(number: string): string[] {
  const bare = new Set<string>()
  const visit = (current: string, depth: number) => {
    const next = FEATURE_CODES.map((code) => code.exec(current)?.[0] ?? '')
      .filter((code) => code && current.length > code.length)
      .map((code) => current.slice(code.length))
    if (next.length === 0 || depth >= 4) bare.add(current)
    else for (const rest of new Set(next)) visit(rest, depth + 1)
  }

  visit(number, 0)
  return [...bare]
}

/**
 * The forms of a number that `numbers.block` is matched against, any of which blocks: as dialled, without the
 * outside line, without leading feature codes (`*31#0900…`), and international (`0031900…`, `+310900…` and, with
 * dialing.countryCode 31, `0900…` all as `+31900…`), so that `+31900` blocks every way of writing that number.
 */
export function matchForms(number: string, dialing: DialingSettings): string[] {
  const forms = new Set([number])
  const outside = withoutOutsideLine(number, dialing)
  forms.add(outside)
  for (const form of withoutFeatureCodes(outside)) forms.add(form)
  for (const form of [...forms]) {
    forms.add(withoutTrunkAfterCountryCode(form, dialing))
    forms.add(toInternational(form, dialing).number)
  }

  return [...forms]
}

/**
 * The forms `numbers.allow` needs to admit, every one of them: the number without the outside line and without
 * leading feature codes, international where dialing.countryCode tells how (else as written, `00` made `+`). An
 * allow entry is read the same way, so `0` (with dialing.countryCode 31) admits `+31…` and nothing abroad.
 */
export function canonicalForms(number: string, dialing: DialingSettings): string[] {
  const forms = withoutFeatureCodes(withoutOutsideLine(number, dialing))
  return [...new Set(forms.map((form) => toInternational(form, dialing).number))]
}

/** How `numbers.allow` and `numbers.block` read numbers and their own entries (src/engine/number-policy.ts). */
export function numberMatching(dialing: DialingSettings): {
  forms: (number: string) => string[]
  canonical: (number: string) => string[]
  entry: (prefix: string) => string[]
} {
  return {
    forms: (number) => matchForms(number, dialing),
    canonical: (number) => canonicalForms(number, dialing),
    // An entry is a prefix, not a number: no feature code is taken off it (`*31#` would become nothing).
    entry: (prefix) => [
      ...new Set([prefix, withoutTrunkAfterCountryCode(prefix, dialing), toInternational(prefix, dialing).number]),
    ],
  }
}

function withoutOutsideLine(number: string, {outsideLine, extensionLength}: DialingSettings): string {
  return outsideLine && number.startsWith(outsideLine) && number.length - outsideLine.length > extensionLength
    ? number.slice(outsideLine.length)
    : number
}

function lengthError(number: string, why: string): RequestError {
  return new RequestError(`Refused make: ${number} is ${why}`, 'ERR_NUMBER_LENGTH', 400, [
    'Check the number, or change the limit: callctl config set dialing.minLength|dialing.maxLength <n>',
  ])
}
