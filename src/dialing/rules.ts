import {RequestError} from '../errors.js'
import type {DialingSettings} from './settings.js'

/** The number to dial and each rule that changed it, in order (`--dry-run` prints them). */
export interface Dialled {
  number: string
  rules: string[]
}

/**
 * Applies the dialing rules to a normalised number (see normalizeNumber): strip, format, length limits, outside line,
 * in that order. Feature codes (`*31#`) and internal extensions pass unchanged.
 */
export function applyDialingRules(number: string, dialing: DialingSettings): Dialled {
  const rules: string[] = []
  let current = number
  const stripped = dialing.strip.find((prefix) => current.startsWith(prefix) && current.length > prefix.length)
  if (stripped) {
    current = current.slice(stripped.length)
    rules.push(`dialing.strip: removed ${stripped}`)
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
export function toInternational(number: string, dialing: DialingSettings): {number: string; how: string} {
  const {internationalPrefix, countryCode, trunkPrefix} = dialing
  if (number.startsWith('+')) return {number, how: 'already international'}
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
 * The forms of a number that `numbers.allow` and `numbers.block` are matched against: as dialled, without the
 * outside line, and international (`0031900…` and, with dialing.countryCode 31, `0900…` both as `+31900…`), so that
 * `+31900` blocks every way of writing that number.
 */
export function matchForms(number: string, dialing: DialingSettings): string[] {
  const forms = new Set([number])
  const {outsideLine, extensionLength} = dialing
  if (outsideLine && number.startsWith(outsideLine) && number.length - outsideLine.length > extensionLength)
    forms.add(number.slice(outsideLine.length))
  for (const form of [...forms]) forms.add(toInternational(form, dialing).number)
  return [...forms]
}

function lengthError(number: string, why: string): RequestError {
  return new RequestError(`Refused make: ${number} is ${why}`, 'ERR_NUMBER_LENGTH', 400, [
    'Check the number, or change the limit: callctl config set dialing.minLength|dialing.maxLength <n>',
  ])
}
