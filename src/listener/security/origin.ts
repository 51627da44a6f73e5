import type {IncomingHttpHeaders} from 'node:http'

/**
 * Who is asking, as far as a browser tells. Browsers mark their requests (Sec-Fetch-*, Origin, Referer); scripts,
 * curl, CRM servers and the CLI send none of these and are treated as the user's own tools.
 */
export type Requester =
  | {kind: 'tool'}
  | {kind: 'same-origin'}
  /** The user typed the URL, used a bookmark, or a desktop app opened it (Sec-Fetch-Site: none). */
  | {kind: 'user'}
  | {kind: 'allowed-origin'; origin: string}
  /** A link the user clicked on a page of another origin: a top-level navigation with user activation. */
  | {kind: 'cross-origin-click'; origin: string}
  | {kind: 'cross-origin'; origin: string}

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

export function classifyRequester(headers: IncomingHttpHeaders, policy: OriginPolicy): Requester {
  const site = header(headers, 'sec-fetch-site')
  const mode = header(headers, 'sec-fetch-mode')
  const user = header(headers, 'sec-fetch-user')
  const dest = header(headers, 'sec-fetch-dest')
  // Origin first: Referer may be stripped by a referrer policy, Origin is not forgeable from a page.
  const origin = originOf(header(headers, 'origin')) ?? originOf(header(headers, 'referer'))
  // Browsers send Sec-Fetch-Site with every Sec-Fetch-Mode; Node's fetch sends a lone `Sec-Fetch-Mode: cors`.
  if (site === undefined && origin === undefined) return {kind: 'tool'}
  if (site === 'none' && origin === undefined) return {kind: 'user'}
  if (origin !== undefined && policy.own.has(origin)) return {kind: 'same-origin'}
  if (site === 'same-origin' && origin === undefined) return {kind: 'same-origin'}
  const from = origin ?? 'an unknown origin'
  if (origin !== undefined && policy.allowed.has(origin)) return {kind: 'allowed-origin', origin}
  if (mode === 'navigate' && user === '?1' && (dest === undefined || dest === 'document')) {
    return {kind: 'cross-origin-click', origin: from}
  }

  return {kind: 'cross-origin', origin: from}
}

/** True for names that only ever reach this machine. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase()
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare)
}
