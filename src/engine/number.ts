import {RequestError} from '../errors.js'

export const MAX_NUMBER_LENGTH = 32

/** Characters people type for readability, dropped before a number is used (pasted numbers bring Unicode dashes). */
const DECORATION = /[\s\-.()\u2010-\u2015\u2212]/g
const DIALABLE = /^\+?[0-9*#]+$/
/**
 * `+49 (0) 30 123` (or `0049 (0) 30 123`): the national trunk prefix written in brackets after a country code, a common way to print a
 * number for callers at home and abroad. Dialled with the country code it must go (`+4930123`), or the call fails.
 */
const TRUNK_AFTER_COUNTRY_CODE = /^(\s*(?:\+|00)[\d\s\-.\u00A0\u2009]{1,8}?)\(\s*0\s*\)/

export const NUMBER_RULE = `a number holds digits, a leading +, * and #; spaces, dashes, dots and parentheses are ignored; at most ${MAX_NUMBER_LENGTH} characters`

/** Turns what a user or CRM sent into a dialable number, or says exactly why it is not one. */
export function normalizeNumber(raw: string): string {
  const number = raw.replace(TRUNK_AFTER_COUNTRY_CODE, '$1').replace(DECORATION, '')
  if (number.length === 0) {
    throw new RequestError(`No number given: ${NUMBER_RULE}`, 'ERR_INVALID_NUMBER')
  }

  if (number.length > MAX_NUMBER_LENGTH) {
    throw new RequestError(`Number too long (${number.length} characters): ${NUMBER_RULE}`, 'ERR_INVALID_NUMBER')
  }

  if (!DIALABLE.test(number)) {
    throw new RequestError(`Invalid number ${JSON.stringify(raw)}: ${NUMBER_RULE}`, 'ERR_INVALID_NUMBER')
  }

  return number
}
