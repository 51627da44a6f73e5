import {RequestError} from '../errors.js'
import {normalizeNumber, shown} from './number.js'

/**
 * Far past any real address (RFC 3261 sets no limit; RFC 1035 caps a host name at 253), short enough that a URI
 * fits in a log line and a netstring of a few hundred bytes.
 */
export const MAX_SIP_ADDRESS_LENGTH = 256
/** URI parameters in one address: a handful at most (transport, user, lr, ...). */
const MAX_SIP_PARAMS = 8

/** A SIP address, as sipAddress reads it: `sip:alice@pbx.example.com:5060;transport=tcp`. */
export interface SipAddress {
  scheme: 'sip' | 'sips'
  /** As written, percent-escapes kept (case-sensitive, RFC 3261 19.1.4). */
  user: string
  /** Lower case; an IPv6 address in brackets. */
  host: string
  port?: number
  /** `;name=value` as written, the names lower case. */
  params: Array<[string, string | undefined]>
  /** The whole URI as callctl dials it: scheme and host lower case, the rest as written. */
  uri: string
}

export const SIP_ADDRESS_RULE =
  "a SIP address is sip:user@host[:port][;name=value…]: a user of letters, digits, -_.!~*'()&=+$, and %XX; a host name, IPv4 address or [IPv6] address; no password, no headers (?…), no spaces"

/** Whether text is meant as a SIP address rather than a number: numbers never start with a scheme. */
export const isSipAddress = (text: string): boolean => /^sips?:/i.test(text.trim())

/** What `make` dials of `raw`: a SIP address as sipAddress writes it, else the number normalizeNumber makes (each throws a 400). */
export const normalizeDialable = (raw: string): string =>
  isSipAddress(raw) ? sipAddress(raw).uri : normalizeNumber(raw)

/** A space or a control character, raw: never part of an address, nor of a search for one. */
// eslint-disable-next-line no-control-regex -- control characters are what is matched
export const SPACE_OR_CONTROL = /[\u0000-\u0020\u007F-\u009F]/

/**
 * RFC 3261 `user` (unreserved / escaped / user-unreserved), without `;`, `?` and `/`: they end the user part in
 * other readers (baresip's among them), so an address that holds them would be dialled as another one.
 */
const USER = /^(?:[A-Za-z\d\-_.!~*'()&=+$,]|%[\dA-Fa-f]{2})+$/
/** RFC 3261 `paramchar` (`param-unreserved`, unreserved, escaped); a name must be a token as well. */
const PARAM_VALUE = /^(?:[A-Za-z\d\-_.!~*'()[\]/:&+$]|%[\dA-Fa-f]{2})+$/
const PARAM_NAME = /^[A-Za-z\d\-_.!~*'+]+$/
const LABEL = /^[A-Za-z\d](?:[A-Za-z\d-]{0,61}[A-Za-z\d])?$/
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/

/**
 * Reads a SIP address strictly, or says what is wrong with it (a RequestError, 400, ERR_INVALID_LINK, quoting
 * `shownAs`: the link as given where only a part of it is checked). What it
 * returns holds no space, control character, quote, backslash or `?`: nothing that could end a ctrl_tcp command,
 * a SIP header or a shell word early.
 */
export function sipAddress(input: string, shownAs = input): SipAddress {
  const text = input.trim()
  const refuse = (why: string) =>
    new RequestError(`Cannot dial ${shown(shownAs)}: ${why}`, 'ERR_INVALID_LINK', 400, [
      `Check the address: ${SIP_ADDRESS_RULE}`,
    ])
  if (text.length > MAX_SIP_ADDRESS_LENGTH)
    throw refuse(`a SIP address has at most ${MAX_SIP_ADDRESS_LENGTH} characters, this one ${text.length}`)
  if (SPACE_OR_CONTROL.test(text)) throw refuse('it holds a space or a control character')
  const scheme = /^(sips?):/i.exec(text)?.[1]?.toLowerCase() as SipAddress['scheme'] | undefined
  if (!scheme) throw refuse('a SIP address starts with sip: or sips:')
  const rest = text.slice(scheme.length + 1)
  if (rest.startsWith('//')) throw refuse('a SIP address has no // after sip:')
  if (/[?#]/.test(rest))
    throw refuse('headers (?…) and fragments (#…) are not dialled: callctl places a call to the address, nothing more')
  const at = rest.lastIndexOf('@')
  if (at === -1) throw refuse('a SIP address needs a user and a host (sip:user@host)')
  const userinfo = rest.slice(0, at)
  if (userinfo.includes(':')) throw refuse('a password in a SIP address (user:password@) is not dialled')
  if (userinfo.includes('@')) throw refuse('its user part holds a raw @; write it as %40')
  if (userinfo === '') throw refuse('its user part is empty')
  if (!USER.test(userinfo)) throw refuse(`its user part ${shown(userinfo)} holds a character a SIP user cannot`)
  checkEscapes(userinfo, refuse)

  const [hostport = '', ...rawParams] = rest.slice(at + 1).split(';')
  const {host, port} = hostAndPort(hostport, refuse)
  if (rawParams.length > MAX_SIP_PARAMS) throw refuse(`at most ${MAX_SIP_PARAMS} ;parameters`)
  const params: SipAddress['params'] = rawParams.map((raw) => {
    const equals = raw.indexOf('=')
    const name = (equals === -1 ? raw : raw.slice(0, equals)).toLowerCase()
    const value = equals === -1 ? undefined : raw.slice(equals + 1)
    if (!PARAM_NAME.test(name) || (value !== undefined && !PARAM_VALUE.test(value)))
      throw refuse(`${shown(`;${raw}`)} is not a URI parameter (;name or ;name=value)`)
    if (value !== undefined) checkEscapes(value, refuse)
    // maddr sends the request to another host than the one the address names: a block by host would not hold.
    if (name === 'maddr')
      throw refuse(';maddr= is not dialled: it sends the call to another host than the address names')
    return [name, value]
  })
  const uri = `${scheme}:${userinfo}@${host}${port === undefined ? '' : `:${port}`}${params
    .map(([name, value]) => `;${name}${value === undefined ? '' : `=${value}`}`)
    .join('')}`
  return {scheme, user: userinfo, host, ...(port === undefined ? {} : {port}), params, uri}
}

function hostAndPort(hostport: string, refuse: (why: string) => RequestError): {host: string; port?: number} {
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d{1,5}))?$/.exec(hostport)
  if (!match) throw refuse(`${shown(hostport)} is not a host[:port]`)
  const [, rawHost = '', rawPort] = match
  const host = rawHost.toLowerCase()
  if (host.startsWith('[')) {
    // node:net only here: its import would load it (4 ms) for every command of the fast path.
    if (!process.getBuiltinModule('node:net').isIPv6(host.slice(1, -1)))
      throw refuse(`${shown(rawHost)} is not an IPv6 address`)
  } else if (!IPV4.test(host)) {
    const labels = host.split('.')
    // RFC 3261 `hostname`: the last label starts with a letter, so 1.2.3.999 is no host name either.
    if (host.length > 253 || !labels.every((label) => LABEL.test(label)) || !/^[a-z]/.test(labels.at(-1)!))
      throw refuse(`${shown(rawHost)} is not a host name, an IPv4 address or an [IPv6] address`)
  }

  if (rawPort === undefined) return {host}
  const port = Number(rawPort)
  if (port < 1 || port > 65_535) throw refuse(`port ${rawPort} is not 1 to 65535`)
  return {host, port}
}

/** Escapes that decode to a control character (`%00`, `%0A`) would be one wherever the address is decoded. */
function checkEscapes(text: string, refuse: (why: string) => RequestError): void {
  for (const [escape] of text.matchAll(/%[\dA-Fa-f]{2}/g)) {
    const code = Number.parseInt(escape.slice(1), 16)
    if (code < 0x20 || code === 0x7f) throw refuse(`it holds ${escape}, an encoded control character`)
  }
}
