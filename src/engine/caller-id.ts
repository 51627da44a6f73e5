import type {CallDetails} from './call.js'
import {normalizeNumber} from './number.js'

/** Longest name, channel, reason or caller ID that is not a number, in characters: enough for any real one. */
export const MAX_TEXT_LENGTH = 128
const MAX_TAGS = 20

/**
 * Characters that can make text lie or break out of where it is put: C0 and C1 controls (newlines among them), line
 * and paragraph separators, and the bidirectional overrides that show `moc.evil` as `live.com`.
 */
// eslint-disable-next-line no-control-regex -- control characters are what this strips
const UNSAFE = /[\u0000-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/g

/** Text from a phone or the network, made safe for logs, templates and screens: unsafe characters out, length capped. */
export function cleanText(value: string, max = MAX_TEXT_LENGTH): string {
  // Well-formed always: a lone surrogate (`Bob\uD800` from a JSON body or a lookup answer) would make every URL
  // encoding of it throw, and so lose the event's notifications.
  const clean = value.replaceAll(UNSAFE, '').toWellFormed().trim()
  // By code points, so that a cut never leaves half a surrogate pair.
  return clean.length <= max ? clean : [...clean].slice(0, max).join('')
}

/**
 * A caller ID as callctl keeps it: a dialable number in its normal form (`+31 20-123 4567` → `+31201234567`), else
 * what the phone said, cleaned (`anonymous`, `sip:alice@pbx`, `"Bob" <sip:201@pbx>`): a withheld number is still a
 * call whose events must go out.
 */
export function callerId(raw: string): string {
  const clean = cleanText(raw)
  try {
    return normalizeNumber(clean)
  } catch {
    return clean
  }
}

/** Every detail a driver or `/notify` reports, cleaned at the engine's door: no driver can skip it. */
export function cleanDetails(details: CallDetails): CallDetails {
  return {
    ...details,
    ...(details.number !== undefined && {number: callerId(String(details.number))}),
    ...(details.name !== undefined && {name: cleanText(String(details.name))}),
    ...(details.channel !== undefined && {channel: cleanText(String(details.channel))}),
    ...(details.tags !== undefined && {
      tags: details.tags
        .map((tag) => cleanText(String(tag), 64))
        .filter(Boolean)
        .slice(0, MAX_TAGS),
    }),
  }
}
