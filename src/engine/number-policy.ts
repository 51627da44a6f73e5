import {ConfigError, RequestError} from '../errors.js'
import {isSipAddress, type SipAddress, sipAddress} from './sip-address.js'

export interface NumberLists {
  allow: string[]
  block: string[]
}

/** `test` takes the forms of a number: true when the entry matches any of them. */
type Matcher = {entry: string; test: (forms: string[]) => boolean}

/** The forms a number is also matched in (see src/dialing/rules.ts matchForms); the number itself by default. */
export type NumberForms = (number: string) => string[]

/**
 * How numbers and entries are read (src/dialing/rules.ts numberMatching): `forms` of a number, any of which a block
 * entry matches; `canonical` forms, every one of which an allow entry must match; an `entry`'s own forms.
 */
export interface NumberMatching {
  forms: NumberForms
  canonical: NumberForms
  entry: NumberForms
}

/**
 * `numbers.allow` / `numbers.block`: each entry is a prefix (`0900`, `+31900`; spaces and dashes ignored) or a
 * regular expression between slashes (`/^\+88[0-9]/`). Block wins, when it matches any form of the number; a
 * non-empty allow list admits only numbers whose canonical forms all match one of its entries.
 *
 * A SIP address (`sip:alice@pbx.example.com`) is no number, but a user part that starts like one (`0900123,`,
 * `0900123$`, 33 digits: no number, so dialled as an address) is held to the block entries by that number: the
 * PBX may well dial it. It is blocked by a SIP URI entry naming the same user and host (any parameters, sip: or
 * sips:; compared as RFC 3261 19.1.4 does, see reached) or by a host entry (`@pbx.example.com`, any user and
 * port); with a non-empty allow list (of any entries) it is dialled only when that list holds its exact URI, since
 * an allow list of numbers was written without it in mind. Likewise a number needs a number entry in a non-empty
 * allow list: an allow list of addresses alone admits no number.
 */
export function compileNumberPolicy(
  lists: NumberLists,
  matching: NumberMatching | NumberForms = (number) => [number],
): (number: string) => void {
  const {forms, canonical, entry} =
    typeof matching === 'function' ? {forms: matching, canonical: matching, entry: matching} : matching
  const numberEntries = (list: string[]) => list.filter((item) => !isSipEntry(item))
  const block = numberEntries(lists.block).map((item) => matcher('numbers.block', item, entry))
  const allow = numberEntries(lists.allow).map((item) => matcher('numbers.allow', item, entry))
  const sipBlock = lists.block.filter((item) => isSipEntry(item)).map((item) => sipEntry('numbers.block', item))
  const sipAllow = lists.allow.filter((item) => isSipEntry(item)).map((item) => sipEntry('numbers.allow', item))
  for (const item of sipAllow)
    if (item.kind === 'host')
      throw new ConfigError(
        `Invalid entry "${item.entry}" in numbers.allow: a SIP address is allowed by its exact URI (sip:alice@pbx.example.com); a host entry (@host) is for numbers.block`,
      )
  return (number) => {
    if (isSipAddress(number)) {
      const address = sipAddress(number)
      const leading = leadingNumber(address.user)
      const blocked = leading === undefined ? undefined : block.find((m) => m.test(forms(leading)))
      if (blocked) {
        throw new RequestError(
          `Refused make: ${address.uri} matches numbers.block entry "${blocked.entry}" (its user part starts with the number ${leading}); remove that entry to allow it`,
          'ERR_NUMBER_BLOCKED',
          403,
        )
      }

      checkSipAddress(address, sipBlock, lists.allow.length > 0 ? sipAllow : undefined)
      return
    }

    const blocked = block.find((m) => m.test(forms(number)))
    if (blocked) {
      throw new RequestError(
        `Refused make: ${number} matches numbers.block entry "${blocked.entry}"; remove that entry to allow it`,
        'ERR_NUMBER_BLOCKED',
        403,
      )
    }

    if (lists.allow.length > 0 && !canonical(number).every((form) => allow.some((m) => m.test([form])))) {
      throw new RequestError(
        `Refused make: ${number} matches no numbers.allow entry; add a matching prefix to numbers.allow to allow it`,
        'ERR_NUMBER_NOT_ALLOWED',
        403,
      )
    }
  }
}

/**
 * An entry matches when it matches any form of the number (as dialled, international, ...); a prefix entry is
 * itself taken in each of its forms, so `0900` and `+31900` mean the same once the country code is known.
 */
function matcher(key: string, entry: string, entryForms: NumberForms): Matcher {
  const regex = /^\/(.+)\/$/.exec(entry)
  if (regex) {
    try {
      const pattern = new RegExp(regex[1])
      return {entry, test: (numbers) => numbers.some((form) => pattern.test(form))}
    } catch (error) {
      throw new ConfigError(`Invalid pattern ${entry} in ${key}: ${(error as Error).message}`)
    }
  }

  const prefix = entry.replaceAll(/[\s\-.()]/g, '')
  if (!/^\+?[0-9*#]+$/.test(prefix)) {
    throw new ConfigError(
      `Invalid entry "${entry}" in ${key}: use a number prefix such as 0900 or a /regular expression/`,
    )
  }

  const prefixes = entryForms(prefix)
  return {entry, test: (numbers) => numbers.some((form) => prefixes.some((p) => form.startsWith(p)))}
}

type SipEntry = {entry: string; kind: 'host'; host: string} | {entry: string; kind: 'uri'; address: SipAddress}

const isSipEntry = (entry: string): boolean => entry.startsWith('@') || isSipAddress(entry)

function sipEntry(key: string, entry: string): SipEntry {
  try {
    if (!entry.startsWith('@')) return {entry, kind: 'uri', address: sipAddress(entry)}
    // A host entry is checked as the host of an address would be.
    return {entry, kind: 'host', host: sipAddress(`sip:x${entry}`).host}
  } catch (error) {
    throw new ConfigError(
      `Invalid entry "${entry}" in ${key}: a SIP entry is a SIP URI (sip:alice@pbx.example.com) or a host (@pbx.example.com); ${(error as Error).message}`,
    )
  }
}

/**
 * The number a SIP user part starts with (`0900123` of `0900123,`, `+31 900…` of `%2B31-900x`), visual separators
 * taken off; none when it starts with no digit.
 */
function leadingNumber(user: string): string | undefined {
  const start = /^[+*#\d][\d*#.()-]*/.exec(unescaped(user))?.[0]
  const number = start?.replaceAll(/[.()-]/g, '')
  return number && /\d/.test(number) ? number : undefined
}

/** `%XX` escapes decoded, byte by byte: `%62ob` and `bo%62` are `bob` (RFC 3261 19.1.4). */
const unescaped = (text: string): string =>
  text.replaceAll(/%([\dA-Fa-f]{2})/g, (_, hex: string) => String.fromCodePoint(Number.parseInt(hex, 16)))

/**
 * A host as one spelling: an IPv6 address in its canonical form (`[0:0::1]` is `[::1]`), an IPv4-mapped one as the
 * IPv4 address it maps (`[::ffff:a00:1]` is `10.0.0.1`); a name is already lower case.
 */
function canonicalHost(host: string): string {
  if (!host.startsWith('[')) return host
  const canonical = new URL(`http://${host}/`).hostname
  const mapped = /^\[::ffff:([\da-f]{1,4}):([\da-f]{1,4})\]$/.exec(canonical)
  if (!mapped) return canonical
  const [high, low] = [Number.parseInt(mapped[1]!, 16), Number.parseInt(mapped[2]!, 16)]
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.')
}

/**
 * Who an address reaches, whatever its scheme and parameters: what a block entry names. The user unescaped (and
 * case-sensitive), the host canonical, and a scheme's default port (5060 for sip:, 5061 for sips:) the same as none.
 */
function reached(address: SipAddress): string {
  const defaultPort = address.scheme === 'sips' ? 5061 : 5060
  const port = address.port === undefined || address.port === defaultPort ? '' : `:${address.port}`
  return `${unescaped(address.user)}@${canonicalHost(address.host)}${port}`
}

function checkSipAddress(address: SipAddress, block: SipEntry[], allow: SipEntry[] | undefined): void {
  const blocked = block.find((item) =>
    item.kind === 'host'
      ? canonicalHost(item.host) === canonicalHost(address.host)
      : reached(item.address) === reached(address),
  )
  if (blocked) {
    throw new RequestError(
      `Refused make: ${address.uri} matches numbers.block entry "${blocked.entry}"; remove that entry to allow it`,
      'ERR_NUMBER_BLOCKED',
      403,
    )
  }

  if (allow && !allow.some((item) => item.kind === 'uri' && item.address.uri === address.uri)) {
    throw new RequestError(
      `Refused make: ${address.uri} is not in numbers.allow; a SIP address is allowed only by its exact URI there: add ${address.uri} to numbers.allow to allow it`,
      'ERR_NUMBER_NOT_ALLOWED',
      403,
    )
  }
}
