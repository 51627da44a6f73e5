import type {IncomingMessage} from 'node:http'

import type {ListenerSettings} from '../settings.js'
import {normalizeNumber} from '../../engine/number.js'
import {RequestError} from '../../errors.js'
import type {RouteContext, RouteGuard} from '../app.js'
import type {RouteName} from '../routes.js'
import {Confirmations, groupDigits, sendActedPage, sendConfirmPage} from './confirm.js'
import {classifyRequester, isLoopbackHost, type OriginPolicy, type Requester} from './origin.js'
import {RateLimit} from './rate-limit.js'

const {createHash, timingSafeEqual} = process.getBuiltinModule('node:crypto')

/** Routes that only read state. Without CORS a foreign page cannot read the answer, so they need no origin check. */
const READ_ONLY = new Set<RouteName>(['index', 'status', 'events'])
/** Routes a clicked link from another site may ask for, after the user confirms. */
const CONFIRMABLE = new Set<RouteName>(['make', 'answer', 'end'])

export interface SecurityOptions {
  security: ListenerSettings['security']
  /** The port the listener really got (port 0 picks one). */
  port: () => number
}

function refuse(status: number, code: string, message: string): never {
  throw new RequestError(message, code, status)
}

/**
 * The listener's security policy as route guards, in order: DNS rebinding (Host), browsers (Origin, Sec-Fetch-*,
 * CORS, confirmation of clicked links), the token, and the rate limit on `make`. Each refusal names the setting
 * that would allow it.
 */
export function securityGuards({security, port}: SecurityOptions): RouteGuard[] {
  const confirmations = new Confirmations()
  const makeLimit = new RateLimit(security.makeRateLimit, 60_000)
  const allowedHosts = new Set(security.allowedHosts.map((host) => host.toLowerCase()))
  const expectedToken = security.token ? digest(security.token) : undefined
  let origins: OriginPolicy | undefined
  const originPolicy = () =>
    (origins ??= {
      own: new Set(['127.0.0.1', 'localhost', '[::1]', ...allowedHosts].map((host) => `http://${host}:${port()}`)),
      allowed: new Set(security.allowedOrigins),
    })

  function checkHost({req, route}: RouteContext): void {
    if (!security.checkHost) return
    const raw = req.headers.host
    // HTTP/1.0 tools may send no Host; browsers always do, and rebinding needs a browser.
    if (raw === undefined) return
    const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(raw)
    const host = match?.[1].toLowerCase() ?? ''
    const hostPort = Number(match?.[2] ?? 80)
    if (match && (isLoopbackHost(host) || allowedHosts.has(host)) && hostPort === port()) return
    refuse(
      403,
      'ERR_HOST',
      `Refused ${route} for Host "${raw}": not a name of this listener (a DNS rebinding attempt?); add the name to security.allowedHosts to allow it`,
    )
  }

  function checkToken(ctx: RouteContext): void {
    if (!expectedToken || ctx.route === 'index') return
    const given = tokenOf(ctx.req) ?? ctx.fields.token
    if (given !== undefined && timingSafeEqual(digest(given), expectedToken)) return
    refuse(
      401,
      'ERR_TOKEN',
      `Refused ${ctx.route}: ${given === undefined ? 'no' : 'wrong'} token; security.token is set, so send it as Authorization: Bearer <token>, X-Callctl-Token or ?token=`,
    )
  }

  /** Decides what a browser may do. Returns true when it answered the request itself. */
  function checkBrowser(ctx: RouteContext, requester: Requester): boolean {
    const {req, res, route} = ctx
    if (requester.kind === 'allowed-origin') {
      res.setHeader('access-control-allow-origin', requester.origin)
      res.setHeader('vary', 'Origin')
    }

    if (req.method === 'OPTIONS') {
      if (requester.kind !== 'allowed-origin') {
        refuse(
          403,
          'ERR_ORIGIN',
          `Refused CORS preflight from ${originText(requester)}; add the origin to security.allowedOrigins to allow it`,
        )
      }

      res.writeHead(204, {
        'access-control-allow-methods': 'GET, POST',
        'access-control-allow-headers': 'authorization, x-callctl-token, content-type',
        'access-control-max-age': '600',
        // Chromium's Private Network Access preflight asks before a public page may reach localhost.
        ...(req.headers['access-control-request-private-network'] === 'true'
          ? {'access-control-allow-private-network': 'true'}
          : {}),
      })
      res.end()
      return true
    }

    if (READ_ONLY.has(route)) return false
    if (requester.kind === 'cross-origin-click' && CONFIRMABLE.has(route) && security.confirmLinks) {
      sendConfirmPage(res, {
        question: question(ctx),
        actionUrl: ctx.url.pathname + ctx.url.search,
        code: confirmations.issue(actionKey(ctx)),
        origin: requester.origin,
      })
      return true
    }

    if (requester.kind === 'cross-origin' || requester.kind === 'cross-origin-click') {
      refuse(
        403,
        'ERR_ORIGIN',
        `Refused ${route} from ${requester.origin}: pages of other sites may not control the phone; add the origin to security.allowedOrigins to allow it`,
      )
    }

    return false
  }

  return [
    (ctx) => {
      checkHost(ctx)
      const requester = classifyRequester(ctx.req.headers, originPolicy())
      if (ctx.fields.confirm !== undefined) {
        if (requester.kind !== 'same-origin' || !confirmations.redeem(ctx.fields.confirm, actionKey(ctx))) {
          refuse(403, 'ERR_CONFIRM', 'Refused: this confirmation has expired or was already used; open the link again')
        }
      } else {
        if (checkBrowser(ctx, requester)) return true
        checkToken(ctx)
      }

      if (ctx.route === 'make' && !makeLimit.take()) {
        throw Object.assign(
          new RequestError(
            `Refused make: more than ${security.makeRateLimit} calls a minute; raise security.makeRateLimit to allow more`,
            'ERR_RATE_LIMIT',
            429,
          ),
          {headers: {'retry-after': String(makeLimit.retryAfterSeconds())}},
        )
      }

      if (isDocumentNavigation(ctx.req)) ctx.render = (status, body) => sendActedPage(ctx.res, status, body as never)
      return false
    },
  ]
}

function originText(requester: Requester): string {
  return 'origin' in requester ? requester.origin : 'a page without an origin'
}

function question({route, rest, fields}: RouteContext): string {
  if (route === 'make') {
    const raw = rest.length > 0 ? rest.join('/') : (fields.number ?? '')
    return `Call ${groupDigits(normalizeNumber(raw))}?`
  }

  return route === 'answer' ? 'Answer the ringing call?' : 'End the current call?'
}

/** What a confirmation code is good for: this route, this number, this call. */
function actionKey({route, rest, fields}: RouteContext): string {
  return JSON.stringify([route, rest, fields.number ?? '', fields.call ?? ''])
}

function isDocumentNavigation(req: IncomingMessage): boolean {
  return req.headers['sec-fetch-mode'] === 'navigate' && (req.headers['sec-fetch-dest'] ?? 'document') === 'document'
}

function tokenOf(req: IncomingMessage): string | undefined {
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]
  const header = req.headers['x-callctl-token']
  return bearer ?? (Array.isArray(header) ? header[0] : header)
}

/** Hashing first gives equal lengths, so the comparison takes the same time whatever was sent. */
function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest()
}
