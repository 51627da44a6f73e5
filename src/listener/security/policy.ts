import type {IncomingMessage} from 'node:http'

import type {ListenerSettings} from '../settings.js'
import {isSipAddress, normalizeDialable} from '../../engine/sip-address.js'
import {RequestError} from '../../errors.js'
import type {RouteContext, RouteGuard} from '../app.js'
import {ROUTE_METHODS, type RouteName} from '../routes.js'
import {Confirmations, groupDigits, sendActedPage, sendConfirmPage} from './confirm.js'
import {
  classifyRequester,
  isLoopbackAddress,
  isLoopbackHost,
  type OriginPolicy,
  OUTSIDE,
  type Requester,
} from './origin.js'
import {RateLimit} from './rate-limit.js'

const {createHash, timingSafeEqual} = process.getBuiltinModule('node:crypto')

/** Routes that only read state. Without CORS a foreign page cannot read the answer, so they need no origin check. */
const READ_ONLY = new Set<RouteName>(['index', 'status', 'history', 'events'])
/** Routes that dial a number, and so share `make`'s rate limit (a transfer to a premium number costs as much). */
const DIALS = new Set<RouteName>(['make', 'transfer'])
/** Routes a navigation started elsewhere (a link, a bookmark, a redirect) may ask for, after the user confirms. */
const CONFIRMABLE = new Set<RouteName>(['make', 'answer', 'end'])

export interface SecurityOptions {
  security: ListenerSettings['security']
  /** The port the listener really got (port 0 picks one). */
  port: () => number
  /** The number rules (`numbers.block`, `numbers.allow`): a blocked number gets no confirmation page to click. */
  checkNumber?: (number: string) => void
}

function refuse(status: number, code: string, message: string): never {
  throw new RequestError(message, code, status)
}

/**
 * The listener's security policy as route guards, in order: DNS rebinding (Host), the peer (only loopback without a
 * token), CORS preflights, the token, browsers (Origin, Sec-Fetch-*, confirmation of navigations), and the rate limit
 * on `make`. Trust comes from the socket, the token or security.allowedOrigins; browser headers only take it away.
 * Each refusal names the setting that would allow it.
 */
export function securityGuards({security, port, checkNumber}: SecurityOptions): RouteGuard[] {
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

  /** Host headers found to name this listener: a client sends the same one every time (the port is fixed by then). */
  const ownHosts = new Set<string>()
  function checkHost({req, route}: RouteContext): void {
    if (!security.checkHost) return
    const raw = req.headers.host
    // HTTP/1.0 tools may send no Host; browsers always do, and rebinding needs a browser.
    if (raw === undefined || ownHosts.has(raw)) return
    const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(raw)
    const host = match?.[1].toLowerCase() ?? ''
    const hostPort = Number(match?.[2] ?? 80)
    if (match && (isLoopbackHost(host) || allowedHosts.has(host)) && hostPort === port()) {
      // Bounded: a client cycling through spellings of 127.0.0.1 (127.1, 127.0.0.2, upper case...) gains nothing.
      if (ownHosts.size < 64) ownHosts.add(raw)
      return
    }

    refuse(
      403,
      'ERR_HOST',
      `Refused ${route} for Host "${raw}": not a name of this listener (a DNS rebinding attempt?); add the name to security.allowedHosts to allow it`,
    )
  }

  /** Without a token, the socket is what grants trust: only this computer may use the listener. */
  function checkPeer({req, route}: RouteContext): void {
    if (expectedToken || isLoopbackAddress(req.socket.remoteAddress)) return
    refuse(
      403,
      'ERR_PEER',
      `Refused ${route} from ${req.socket.remoteAddress ?? 'an unknown address'}: without security.token only this computer may use the listener; set security.token (callctl config set security.token --generate) to allow other machines`,
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

  /** CORS preflights change nothing and carry no token; only allowed origins get an answer that lets them on. */
  function answerPreflight({req, res}: RouteContext, requester: Requester): void {
    // A preflight always carries Origin: a Referer alone is no reason to answer one.
    if (requester.kind !== 'allowed-origin' || req.headers.origin === undefined) {
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
  }

  /**
   * Decides what a browser may do with a route that changes something. Returns true when it answered the request
   * itself (a confirmation page). Only tools (no browser headers), the listener's own pages and allowed origins act
   * at once; a navigation the user started elsewhere is asked to confirm; anything else from a browser is refused.
   */
  function checkBrowser(ctx: RouteContext, requester: Requester): boolean {
    const {req, res, route} = ctx
    if (requester.kind === 'tool' || requester.kind === 'same-origin' || requester.kind === 'allowed-origin') {
      return false
    }

    // The token was checked before this: with one set, the request has it.
    if (requester.kind === 'unmarked') {
      if (security.token) return false
      refuse(
        403,
        'ERR_ORIGIN',
        `Refused ${route} to ${requester.host}: a request to a name from security.allowedHosts that carries no browser headers may come from any web page; send security.token with it, or use 127.0.0.1`,
      )
    }

    // Only GET: a page is shown for a link, and a form POSTed across sites gets no code to redeem.
    if (requester.kind === 'navigation' && CONFIRMABLE.has(route) && security.confirmLinks && req.method === 'GET') {
      if (route === 'make') checkNumber?.(normalizeDialable(dialled(ctx)))
      sendConfirmPage(res, {
        question: question(ctx),
        actionUrl: ctx.url.pathname + ctx.url.search,
        code: confirmations.issue(actionKey(ctx)),
        askedBy: requester.askedBy,
      })
      return true
    }

    refuse(
      403,
      'ERR_ORIGIN',
      requester.kind === 'navigation' && CONFIRMABLE.has(route) && req.method === 'GET'
        ? `Refused ${route} from ${requester.from}: links may not control the phone without a confirmation, and security.confirmLinks is off; turn it on, or add the origin to security.allowedOrigins`
        : `Refused ${route} from ${requester.from}: pages of other sites may not control the phone; add the origin to security.allowedOrigins to allow it`,
    )
  }

  /**
   * The journal is personal data and costly to read: a page of another site, which could not read the answer anyway,
   * may not make the listener read it (a dozen such requests a second starved calls). Tools, the listener's own pages
   * and allowed origins may, and so does the user typing its address (a navigation from outside any page).
   */
  function checkJournalReader({route}: RouteContext, requester: Requester): void {
    if (requester.kind !== 'navigation' && requester.kind !== 'foreign') return
    if (requester.kind === 'navigation' && requester.from === OUTSIDE) return
    refuse(
      403,
      'ERR_ORIGIN',
      `Refused ${route} from ${requester.from}: pages of other sites may not read the call journal; add the origin to security.allowedOrigins to allow it`,
    )
  }

  /**
   * A confirmation code acts once, for the action it was issued for, posted by the listener's own page. The page
   * posts no body: body fields would override the confirmed number or call.
   */
  function redeem(ctx: RouteContext, requester: Requester): void {
    const {headers} = ctx.req
    const valid =
      requester.kind === 'same-origin' &&
      ctx.req.method === 'POST' &&
      (headers['content-length'] ?? '0') === '0' &&
      headers['transfer-encoding'] === undefined &&
      CONFIRMABLE.has(ctx.route) &&
      confirmations.redeem(ctx.fields.confirm, actionKey(ctx))
    if (!valid)
      refuse(403, 'ERR_CONFIRM', 'Refused: this confirmation has expired or was already used; open the link again')
  }

  return [
    (ctx) => {
      checkHost(ctx)
      checkPeer(ctx)
      const requester = classifyRequester(ctx.req.headers, originPolicy())
      // CORS answers an Origin header; a Referer alone (a link clicked on the CRM) needs none.
      if (requester.kind === 'allowed-origin' && ctx.req.headers.origin !== undefined) {
        ctx.res.setHeader('access-control-allow-origin', requester.origin)
        ctx.res.setHeader('vary', 'Origin')
      }

      if (ctx.req.method === 'OPTIONS') {
        answerPreflight(ctx, requester)
        return true
      }

      // Before anything that could act or hand out a confirmation code: no browser header stands in for the token.
      checkToken(ctx)
      if (ctx.fields.confirm !== undefined) redeem(ctx, requester)
      else if (!READ_ONLY.has(ctx.route) && checkBrowser(ctx, requester)) return true
      else if (ctx.route === 'history') checkJournalReader(ctx, requester)

      // A method the route refuses (HEAD /make) is answered 405 after the guards: it uses up no call.
      if (DIALS.has(ctx.route) && ROUTE_METHODS[ctx.route].includes(ctx.req.method ?? '') && !makeLimit.take()) {
        throw Object.assign(
          new RequestError(
            `Refused ${ctx.route}: more than ${security.makeRateLimit} calls a minute; raise security.makeRateLimit to allow more`,
            'ERR_RATE_LIMIT',
            429,
          ),
          {headers: {'retry-after': String(makeLimit.retryAfterSeconds())}},
        )
      }

      // A transfer refused before anything was sent (no call to transfer, a blocked number) dialled nothing. A make
      // is never given back: a driver may fail after the call went out.
      if (ctx.route === 'transfer') ctx.refund = () => makeLimit.giveBack()

      if (isDocumentNavigation(ctx.req)) ctx.render = (status, body) => sendActedPage(ctx.res, status, body as never)
      return false
    },
  ]
}

function originText(requester: Requester): string {
  return 'origin' in requester ? requester.origin : 'from' in requester ? requester.from : 'a page without an origin'
}

/** The number a `make` asks for, as given: in the path or as `?number=`. */
function dialled({rest, fields}: RouteContext): string {
  return rest.length > 0 ? rest.join('/') : (fields.number ?? '')
}

function question(ctx: RouteContext): string {
  const {route} = ctx
  if (route === 'make') {
    const to = normalizeDialable(dialled(ctx))
    return `Call ${isSipAddress(to) ? to : groupDigits(to)}?`
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
