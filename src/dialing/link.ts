import {normalizeNumber, shown} from '../engine/number.js'
import {isSipAddress, sipAddress} from '../engine/sip-address.js'

export {SHOWN_LINK_CHARS, shown} from '../engine/number.js'
import {RequestError} from '../errors.js'

/** What a clicked link or a typed number asks to dial. */
export interface DialTarget {
  /**
   * Dialable, as normalizeNumber makes it (`+4930123`), before the dialing rules; or, for a `sip:`/`sips:` URI whose
   * user part is not a number, the whole URI as sipAddress makes it (`sip:alice@pbx.example.com`), which only a
   * driver that speaks SIP dials.
   */
  number: string
  scheme: 'tel' | 'callto' | 'sip' | 'sips' | 'plain'
  /** `;ext=` of a tel: URI (or of a sip: user part): an extension to key in once the call is answered. */
  ext?: string
  /** `;isub=`: an ISDN subaddress, which no driver can send; kept so that it is not silently lost. */
  isub?: string
}

/** Link schemes callctl dials, in the order `handler install` registers them. */
export const DIAL_SCHEMES = ['tel', 'callto', 'sip'] as const
export type DialScheme = (typeof DIAL_SCHEMES)[number]

const SCHEME = /^([a-z][a-z\d+.-]*):/i
const PHONE_LINK = /^(tel|callto|sips?):/i

/** Whether a number as given is a phone link (`tel:`, `callto:`, `sip:`, `sips:`) rather than a plain number. */
export const isDialLink = (text: string): boolean => PHONE_LINK.test(text)

/**
 * Reads a link or a number: RFC 3966 `tel:` (visual separators, `;phone-context=`, `;ext=`, `;isub=`, percent
 * encoding), Skype's `callto:` and `callto://`, `sip:`/`sips:` (the user part when it is a number, else the whole
 * address, strictly checked: see sipAddress), or a plain number.
 * Throws a RequestError naming what is wrong, as the listener's `/make` does for a bad number.
 */
export function parseDialLink(input: string): DialTarget {
  const target = parseLink(input)
  // `tel:*` or `tel:#`: a feature code's first key, no number; a click must not dial it.
  if (!isSipAddress(target.number) && !/\d/.test(target.number))
    throw new RequestError(`Cannot dial ${shown(input)}: it holds no digit, so no number`, 'ERR_INVALID_LINK')
  return target
}

function parseLink(input: string): DialTarget {
  const text = input.trim()
  const scheme = SCHEME.exec(text)?.[1]?.toLowerCase()
  if (scheme === undefined) return {number: normalizeNumber(decode(text, input, {link: false})), scheme: 'plain'}
  const rest = text.slice(scheme.length + 1)
  switch (scheme) {
    case 'tel': {
      return {...telephoneSubscriber(rest, input), scheme: 'tel'}
    }

    case 'callto': {
      // callto://+49301234 and callto:+49301234; browsers sometimes append a slash, Skype a query (?call).
      const body = rest
        .replace(/^\/\//, '')
        .replace(/[?#].*$/s, '')
        .replace(/\/+$/, '')
      return {...telephoneSubscriber(body, input), scheme: 'callto'}
    }

    case 'sip':
    case 'sips': {
      return {...sipUser(rest, input, scheme), scheme}
    }

    default: {
      throw new RequestError(
        `Cannot dial ${shown(input)}: "${scheme}:" links are not phone links; use tel:, callto:, sip: or a number`,
        'ERR_INVALID_LINK',
      )
    }
  }
}

/** A tel: URI's body (RFC 3966 `telephone-subscriber`): the number, then `;name=value` parameters. */
function telephoneSubscriber(body: string, input: string): Omit<DialTarget, 'scheme'> {
  const [rawNumber = '', ...parameters] = body.split(';')
  const params = new Map<string, string>()
  for (const parameter of parameters) {
    const equals = parameter.indexOf('=')
    const name = (equals === -1 ? parameter : parameter.slice(0, equals)).toLowerCase()
    // RFC 3966 `pname`; parameters callctl does not use (postd, user=phone, ...) are skipped.
    if (!/^[a-z\d-]+$/.test(name))
      throw new RequestError(
        `Cannot dial ${shown(input)}: ${shown(`;${parameter}`)} is not a tel: parameter (name=value)`,
        'ERR_INVALID_LINK',
      )
    params.set(name, decode(equals === -1 ? '' : parameter.slice(equals + 1), input))
  }

  let number = decode(rawNumber, input)
  const context = params.get('phone-context')
  // A local number's context is either a global number prefix (`+1-212-555`, prepended) or a domain name (which
  // says where the number is valid and cannot be dialled; the number is used as it is).
  if (context?.startsWith('+') && !number.trim().startsWith('+')) number = `${context}${number}`
  const ext = params.get('ext')
  const isub = params.get('isub')
  return {
    number: normalizeNumber(number),
    ...(ext ? {ext: extension(ext, input)} : {}),
    ...(isub ? {isub: subaddress(isub, input)} : {}),
  }
}

/**
 * The user part of a SIP URI when it is a telephone number (`sip:+4930123;ext=5@pbx.example.com;user=phone`), else
 * the whole URI as a SIP address (`sip:alice@pbx.example.com`), refused unless it is a well-formed one.
 */
function sipUser(rest: string, input: string, scheme: 'sip' | 'sips'): Omit<DialTarget, 'scheme'> {
  const at = rest.indexOf('@')
  const user = at === -1 ? rest.replace(/[;?].*$/s, '') : rest.slice(0, at)
  // Without an @ the part is a host by RFC 3261; it is read as a number (`sip:020123456`, as phones write it) only
  // when it cannot be a host: `sip:127.0.0.1` or `sip:10.0.0.1:5060` are no number 127001. sipAddress says why.
  if (at === -1 && /[.:[]/.test(user)) return {number: sipAddress(input).uri}
  // A password in the userinfo (`user:password@host`) is no part of the number.
  const withoutPassword = user.replace(/:.*$/s, '')
  let target: Omit<DialTarget, 'scheme'> | undefined
  try {
    target = telephoneSubscriber(withoutPassword, input)
  } catch (error) {
    if (!(error instanceof RequestError)) throw error
  }

  if (!target) return {number: sipAddress(input).uri}
  // The number is what is dialled, but what follows it must still be an address (`sip:9@@?pbx.example.comb` is
  // no link to 9): the host, port and parameters are checked as an address's are.
  if (at !== -1) sipAddress(`${scheme}:x@${rest.slice(at + 1)}`, input)
  return target
}

function extension(raw: string, input: string): string {
  const ext = raw.replace(/[\s\-.()]/g, '')
  if (!/^[\d*#]{1,16}$/.test(ext))
    throw new RequestError(
      `Invalid extension ${shown(raw)} in ${shown(input)}: ;ext= takes digits, * and #`,
      'ERR_INVALID_LINK',
    )
  return ext
}

/** RFC 3966 `isub` is URI characters: whatever else came (a NUL, a line break) makes the link invalid. */
function subaddress(isub: string, input: string): string {
  if (!/^[\x21-\x7E]{1,40}$/.test(isub))
    throw new RequestError(
      `Invalid subaddress ${shown(isub)} in ${shown(input)}: ;isub= takes up to 40 printable characters`,
      'ERR_INVALID_LINK',
    )
  return isub
}

function decode(text: string, input: string, {link = true} = {}): string {
  let decoded: string
  try {
    decoded = decodeURIComponent(text)
  } catch {
    // decodeURIComponent fails on both: `%zz`, and `%ff%fe`, well-formed but not UTF-8.
    const why = /%(?![0-9a-f]{2})/i.test(text) ? 'a % not followed by two hex digits' : 'bytes that are not UTF-8 text'
    throw new RequestError(
      `Cannot dial ${shown(input)}: it holds a broken percent-encoding (${why})`,
      'ERR_INVALID_LINK',
    )
  }

  // A link's own fault, whichever part holds it (`tel:%00123`, a line break in `;isub=`), as the README says.
  if (link && /\p{Cc}/u.test(decoded))
    throw new RequestError(`Cannot dial ${shown(input)}: it holds a control character`, 'ERR_INVALID_LINK')
  return decoded
}
