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
    throw new RequestError(`Invalid number ${shown(raw)}: ${NUMBER_RULE}`, 'ERR_INVALID_NUMBER')
  }

  return number
}

/** The longest part of a number or link a message quotes: a 100 kB link must not become a 100 kB notification or log line. */
export const SHOWN_LINK_CHARS = 200

/**
 * Text from a request or a link as messages quote it: cut to SHOWN_LINK_CHARS, in double quotes, with control
 * characters and Unicode direction overrides escaped, so that what the user reads is what was sent.
 */
export function shown(text: string): string {
  const cut = text.length > SHOWN_LINK_CHARS ? `${text.slice(0, SHOWN_LINK_CHARS)}…` : text
  return JSON.stringify(cut).replaceAll(
    /[\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069\u2028\u2029]/g,
    (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`,
  )
}
