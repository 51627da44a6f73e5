import type {IncomingHttpHeaders} from 'node:http'

/**
 * Who is asking, as far as a browser tells. Browsers mark their requests (Sec-Fetch-*, Origin, Referer); scripts,
 * curl, CRM servers and the CLI send none of these and are treated as the user's own tools.
 *
 * These headers are read to take trust away, never to give it: any program can send them, so a request that claims
 * to be same-origin gets no more than one that sends nothing (what the token and the socket allow). Where the
 * headers disagree, the least trusted reading wins.
 */
export type Requester =
  | {kind: 'tool'}
  /**
   * No browser header, sent to a name from security.allowedHosts: browsers send no Sec-Fetch-* to such a name (plain
   * http, not loopback), and a page's `referrerpolicy="no-referrer"` drops Origin and Referer too, so silence there
   * does not say "a tool". Only the token makes such a request trusted.
   */
  | {kind: 'unmarked'; host: string}
  | {kind: 'same-origin'}
  | {kind: 'allowed-origin'; origin: string}
  /**
   * A top-level navigation the user started: a link clicked on another site, or one the browser started itself (a
   * typed URL, a bookmark, a link opened from a mail, chat or PDF app: Sec-Fetch-Site: none), maybe redirected.
   */
  | {kind: 'navigation'; from: string; askedBy: string}
  | {kind: 'foreign'; from: string}

export interface OriginPolicy {
  /** The listener's own origins: http://127.0.0.1:PORT, http://localhost:PORT, ... */
  own: ReadonlySet<string>
  /** `security.allowedOrigins`. */
  allowed: ReadonlySet<string>
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value[0] : value
}

function originOf(url: string | undefined): string | undefined {
  if (!url || url === 'null') return url
  try {
    return new URL(url).origin
  } catch {
    return 'null'
  }
}

/** Where a navigation came from when no page started it (a typed address, a bookmark, another app). */
export const OUTSIDE = 'outside a web page'

export function classifyRequester(headers: IncomingHttpHeaders, policy: OriginPolicy): Requester {
  const site = header(headers, 'sec-fetch-site')
  const mode = header(headers, 'sec-fetch-mode')
  const user = header(headers, 'sec-fetch-user')
  const dest = header(headers, 'sec-fetch-dest')
  const host = header(headers, 'host')?.toLowerCase()
  // Origin first: Referer may be stripped by a referrer policy, and a page cannot set Origin. A redirect across
  // origins turns Origin into "null"; Referer keeps naming the page that started the chain.
  const originHeader = originOf(header(headers, 'origin'))
  const origin = originHeader ?? originOf(header(headers, 'referer'))
  // Browsers send no Sec-Fetch-* to a host that is not potentially trustworthy (an http name from
  // security.allowedHosts), nor did Safari before 16.4; every browser marks its navigations to http with
  // `Upgrade-Insecure-Requests: 1`, which no tool here sends.
  const legacyNavigation =
    site === undefined && mode === undefined && header(headers, 'upgrade-insecure-requests') === '1'
  const navigation = mode === 'navigate' || legacyNavigation
  // Browsers send Sec-Fetch-Site with every Sec-Fetch-Mode; Node's fetch sends a lone `Sec-Fetch-Mode: cors`.
  if (site === undefined && origin === undefined && !navigation) {
    return host === undefined || isLoopbackHost(host.replace(/:\d+$/, '')) ? {kind: 'tool'} : {kind: 'unmarked', host}
  }

  // A page of this listener under a name it does not answer to (DNS rebinding with checkHost off) is not its own.
  const ownHost = host === undefined || policy.own.has(`http://${host}`)
  const own = (value: string | undefined) => value !== undefined && policy.own.has(value)
  if (ownHost) {
    // A page cannot forge Origin, and Origin becomes "null" after a redirect through another origin.
    if (own(originHeader) && site !== 'none') return {kind: 'same-origin'}
    // A same-origin POST under `Referrer-Policy: no-referrer` carries `Origin: null`.
    const noOrigin = originHeader === undefined || originHeader === 'null'
    if (site === 'same-origin' && noOrigin && (origin === undefined || origin === 'null' || own(origin))) {
      return {kind: 'same-origin'}
    }

    // Browsers older than Sec-Fetch: their Origin or Referer is all there is.
    if (site === undefined && own(origin)) return {kind: 'same-origin'}
  }

  if (origin !== undefined && policy.allowed.has(origin) && (site === 'cross-site' || site === 'same-site' || !site)) {
    return {kind: 'allowed-origin', origin}
  }

  const outside = (site === 'none' || legacyNavigation) && origin === undefined
  const from = outside
    ? OUTSIDE
    : origin === undefined || origin === 'null'
      ? 'an unknown origin'
      : own(origin)
        ? `${origin} by way of another site`
        : origin
  // A document navigation with user activation: a clicked link, or a navigation the browser itself started.
  // Script-driven navigations (no activation) and frames stay refused.
  // Without Sec-Fetch, user activation cannot be told: such a navigation is asked to confirm rather than refused.
  if (
    navigation &&
    (dest === undefined || dest === 'document') &&
    (user === '?1' || site === 'none' || legacyNavigation)
  ) {
    const askedBy = outside
      ? 'a link opened from outside a web page: a typed address, a bookmark, or another app (mail, chat, PDF), maybe through redirects'
      : `a link on ${from}`
    return {kind: 'navigation', from, askedBy}
  }

  return {kind: 'foreign', from}
}

/** True for names that only ever reach this machine. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase()
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare)
}

/** True for a peer address on this machine (`::ffff:127.0.0.1` is how a dual-stack socket shows an IPv4 peer). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false
  const bare = address.replace(/^::ffff:/i, '')
  return bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare)
}
