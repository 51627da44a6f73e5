import type {IncomingMessage, Server, ServerResponse} from 'node:http'

import type {ListenerSettings} from './settings.js'
import {CALL_EVENT_TYPES, type CallDetails, type CallEventType} from '../engine/call.js'
import type {CallControl} from '../engine/control.js'
import {CallctlError, RequestError} from '../errors.js'
import {keepNumberPlus, pathSegments, readFields, repeatedField, sendJson} from './http.js'
import {sendStatusPage, wantsPage} from './status-page.js'
import {describeRoutes, ROUTE_METHODS, type RouteName, routeTable} from './routes.js'

const {createServer} = process.getBuiltinModule('node:http')

/** What the listener reports of each request, tagged as one of its reports (src/listener/report.ts). */
export interface RequestRecord {
  kind: 'request'
  method: string
  path: string
  status: number
  route?: RouteName
  error?: string
  ms: number
}

/** One request on its way through the pipeline. Steps may rewrite `url` (aliases) before the route is chosen. */
export interface RequestContext {
  req: IncomingMessage
  res: ServerResponse
  url: URL
  record: RequestRecord
  /** Writes an answer body, JSON unless a step chose otherwise (e.g. a page for a browser navigation). */
  render: (status: number, body: unknown, headers?: Record<string, string>) => void
}

/**
 * A pipeline step run before routing, in order: it may refuse (throw a RequestError), rewrite `ctx.url`, or answer
 * the request itself and return true (e.g. a CORS preflight), which ends the pipeline.
 */
export type RequestStep = (ctx: RequestContext) => boolean | void | Promise<boolean | void>

/** What a route handler gets: the request, the path after the command segment, and query + body fields. */
export interface RouteContext extends RequestContext {
  route: RouteName
  command: string
  rest: string[]
  fields: Record<string, string>
  /** Set by a guard that counted the request (the rate limit): called when the handler refuses it (4xx). */
  refund?: () => void
}

/** Returns the JSON body of a 200 answer, or undefined when it has answered the request itself. */
export type RouteHandler = (ctx: RouteContext) => Promise<unknown>

/**
 * Run after the route is known and before its handler: may refuse (throw), add response headers, or answer the
 * request itself and return true (e.g. a confirmation page), which skips the handler.
 */
export type RouteGuard = (ctx: RouteContext) => boolean | void | Promise<boolean | void>

/** The status reported for a request whose client went away before it was answered (no answer was sent). */
const CLIENT_CLOSED = 499

/** Routes that only read: their answers wait for no commit. */
const READING_ROUTES: ReadonlySet<string> = new Set(['index', 'status', 'history', 'events'])

export interface ListenerOptions {
  control: CallControl
  config: Pick<ListenerSettings, 'commands'>
  version: string
  /** Run before routing, in order (security policy, URL aliases, ...). */
  steps?: RequestStep[]
  /** Run after routing, before the handler, in order (security policy). */
  guards?: RouteGuard[]
  /** Routes beyond the built-in ones, or replacements of them (e.g. `/`, `/events`). */
  routes?: Partial<Record<RouteName, RouteHandler>>
  /** One record per answered request, for the console and logs: handed on as it is, not copied. */
  onRequest?: (record: RequestRecord) => void
  /** The dialing rules (src/dialing/rules.ts): the number `/make` dials for the one it was given. */
  dialNumber?: (number: string) => string
  /**
   * Settles once the call events so far are stored (the store commits them in groups), undefined when none wait:
   * an answer is sent after it, because a 200 promises that the event is stored.
   */
  stored?: () => Promise<void> | undefined
  /** Given each request's work as it starts, settled once it is answered or has failed (a stop waits for it). */
  track?: (work: Promise<void>) => void
}

function builtinRoutes(
  control: CallControl,
  config: ListenerOptions['config'],
  version: string,
  dialNumber: (number: string) => string = (number) => number,
): Record<RouteName, RouteHandler> {
  return {
    async index({req, res}) {
      if (!wantsPage(req.headers.accept)) return {name: 'callctl', version, routes: describeRoutes(config.commands)}
      sendStatusPage(res, config.commands)
      return undefined
    },

    async make({rest, fields, command}) {
      const number = rest.length > 0 ? rest.join('/') : fields.number
      if (!number) throw new RequestError(`No number given: use /${command}/<number>`, 'ERR_INVALID_NUMBER')
      // `?ext=` (a link's `;ext=`, see dial-links.ts): keyed in after answer where the driver can send DTMF.
      // An empty `?ext=` (a CRM template with no extension) is none.
      if (!fields.ext) return {ok: true, call: await control.make(dialNumber(number))}
      const call = await control.make(dialNumber(number), {ext: fields.ext})
      return {ok: true, call, ext: {digits: fields.ext, keyedAfterAnswer: control.keysExtensions}}
    },

    async answer({fields}) {
      return {ok: true, call: await control.answer(fields.call || undefined)}
    },

    async end({fields}) {
      return {ok: true, call: await control.end(fields.call || undefined)}
    },

    async reject({fields}) {
      return {ok: true, call: await control.reject(fields.call || undefined)}
    },

    async hold({fields}) {
      return {ok: true, call: await control.hold(fields.call || undefined)}
    },

    async resume({fields}) {
      return {ok: true, call: await control.resume(fields.call || undefined)}
    },

    async transfer({rest, fields, command}) {
      const number = rest.length > 0 ? rest.join('/') : fields.number
      if (!number) throw new RequestError(`No number given: use /${command}/<number>`, 'ERR_INVALID_NUMBER')
      return {ok: true, call: await control.transfer(number, fields.call || undefined)}
    },

    async dtmf({rest, fields, command}) {
      const digits = rest.length > 0 ? rest.join('/') : fields.digits
      if (!digits) throw new RequestError(`No digits given: use /${command}/<digits>`, 'ERR_INVALID_DTMF')
      return {ok: true, call: await control.dtmf(digits, fields.call || undefined)}
    },

    async mute({fields}) {
      return {ok: true, call: await control.mute(true, fields.call || undefined)}
    },

    async unmute({fields}) {
      return {ok: true, call: await control.mute(false, fields.call || undefined)}
    },

    async history() {
      throw new RequestError('The call journal is not kept by this listener', 'ERR_NO_HISTORY', 404)
    },

    async status() {
      return {name: 'callctl', version, pid: process.pid, ...control.status()}
    },

    async notify({rest, fields}) {
      const type = (rest[0] ?? fields.event) as CallEventType
      if (!CALL_EVENT_TYPES.includes(type)) {
        throw new RequestError(
          `Unknown event "${rest[0] ?? ''}": use /notify/<${CALL_EVENT_TYPES.join('|')}>`,
          'ERR_UNKNOWN_EVENT',
          404,
        )
      }

      return {ok: true, call: control.notify(type, notifyDetails(fields))}
    },

    async popup() {
      throw new RequestError('Popups are not configured on this listener', 'ERR_NO_POPUPS', 404)
    },

    async events() {
      throw new RequestError('Events are not streamed by this listener', 'ERR_NO_EVENTS', 404)
    },
  }
}

/** Builds the request handler. It never throws: every failure becomes a JSON answer with an honest status. */
export function buildHandler(options: ListenerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const {control, config, version, onRequest, steps = [], guards = [], stored = () => undefined} = options
  const table = routeTable(config.commands)
  const handlers = {...builtinRoutes(control, config, version, options.dialNumber), ...options.routes}

  /**
   * What a command's answer waits for: the commit of the call events so far. A reading (`/status`, `/history`)
   * changes no call and promises nothing stored, so it does not wait for other requests' commits.
   */
  function storedFor(route: string | undefined): Promise<void> | undefined {
    // Not an async function: a reading's answer goes out without a turn of the microtask queue.
    return route !== undefined && READING_ROUTES.has(route) ? undefined : stored()
  }

  async function dispatch(ctx: RequestContext): Promise<void> {
    // A step or guard that answers at once is not awaited: a request spends no turn of the microtask queue on it.
    for (const step of steps) {
      const answered = step(ctx)
      if (answered instanceof Promise ? await answered : answered) return
    }

    const {req, url, record} = ctx
    record.path = url.pathname
    const [command = '', ...rest] = pathSegments(url.pathname)
    const route = table.get(command)
    if (!route) {
      throw new RequestError(`Unknown command ${JSON.stringify(command)}`, 'ERR_UNKNOWN_COMMAND', 404, [
        `Valid commands: ${describeRoutes(config.commands).join(', ')}`,
      ])
    }

    record.route = route
    const keys = url.search === '' ? [] : [...url.searchParams.keys()]
    const repeated = keys.find((key, at) => keys.indexOf(key) !== at)
    if (repeated !== undefined) throw repeatedField(repeated, 'query')

    const fields: Record<string, string> = keys.length === 0 ? {} : {...Object.fromEntries(url.searchParams)}
    // The same object, so that what a guard changes (e.g. `render`) holds for the handler and for errors too.
    const routeCtx: RouteContext = Object.assign(ctx, {route, command, rest, fields})
    for (const guard of guards) {
      const answered = guard(routeCtx)
      if (answered instanceof Promise ? await answered : answered) return
    }

    const allowed = ROUTE_METHODS[route]
    // HEAD is GET without the body (Node leaves it out) for what only reads; monitors use it.
    const method = req.method === 'HEAD' && (route === 'status' || route === 'index') ? 'GET' : (req.method ?? '')
    if (!allowed.includes(method)) {
      throw Object.assign(
        new RequestError(`${req.method} is not allowed on /${command}; use ${allowed.join(' or ')}`, 'ERR_METHOD', 405),
        {headers: {allow: allowed.join(', ')}},
      )
    }

    if (req.method === 'POST') {
      // A field in both the query and the body is the same mistake as one given twice, unless they agree.
      for (const [key, value] of Object.entries(await readFields(req))) {
        if (Object.hasOwn(fields, key) && fields[key] !== value) {
          throw new RequestError(
            `Field ${JSON.stringify(key.slice(0, 40))} is in both the query and the body, with different values: give it once`,
            'ERR_REPEATED_FIELD',
          )
        }

        fields[key] = value
      }
    }

    // `?call=` with an empty id (a script's unset variable) must not mean "the current call".
    if (Object.hasOwn(fields, 'call') && fields.call.trim() === '') {
      throw new RequestError(
        'Empty call id: give the id of a call, or leave out call= to act on the current one',
        'ERR_INVALID_CALL_ID',
      )
    }

    let body: unknown
    try {
      body = await handlers[route](routeCtx)
    } catch (error) {
      if (error instanceof CallctlError && error.status < 500) routeCtx.refund?.()
      throw error
    }

    if (body === undefined) return
    const storing = storedFor(route)
    if (storing) await storing
    ctx.render(200, body)
  }

  return (req, res) => {
    const started = performance.now()
    const record: RequestRecord = {kind: 'request', method: req.method ?? '', path: '', status: 0, ms: 0}
    // On close, not finish: a client that hangs up before its answer (a CRM's short timeout while the phone dials)
    // never sees one, and is reported all the same; so is an `/events` stream, when it ends.
    res.once('close', () => {
      if (res.headersSent) {
        record.status = res.statusCode
      } else {
        // nginx's code for it: no answer went out.
        record.status = CLIENT_CLOSED
        record.error ??= 'the client closed the connection before the answer'
      }

      record.ms = Math.round((performance.now() - started) * 10) / 10
      onRequest?.(record)
    })
    let url: URL
    try {
      const target = req.url ?? '/'
      // A path that starts with `//` (a CRM's base URL ending in `/`) would be read as a host name and a path.
      url = new URL(target.startsWith('/') ? `http://listener.invalid${target}` : target, 'http://listener.invalid')
      keepNumberPlus(url)
      record.path = url.pathname
    } catch {
      sendJson(res, 400, {ok: false, error: {code: 'ERR_BAD_URL', message: 'Malformed request URL', hints: []}})
      return
    }

    const ctx: RequestContext = {
      req,
      res,
      url,
      record,
      render: (status, body, headers) => sendJson(res, status, body, headers),
    }
    const work = dispatch(ctx).catch(async (error: unknown) => {
      record.error = (error as Error).message
      // A refused command may have changed calls too (a make the driver failed ends its call).
      const storing = storedFor(record.route)
      if (storing) await storing
      if (res.headersSent) {
        res.destroy()
        return
      }

      const failure =
        error instanceof CallctlError
          ? error
          : new CallctlError(`Internal error: ${(error as Error).message}`, {code: 'ERR_INTERNAL'})
      ctx.render(
        failure.status,
        {ok: false, error: {code: failure.code, message: failure.message, hints: failure.suggestions}},
        (error as {headers?: Record<string, string>}).headers,
      )
    })
    options.track?.(work)
  }
}

function notifyDetails(fields: Record<string, string>): CallDetails & {reason?: string; to?: string} {
  // Names, numbers and reasons come from the network: the engine cleans them (src/engine/caller-id.ts), as it does
  // what every driver reports.
  return {
    id: fields.call || undefined,
    number: fields.number || undefined,
    name: fields.name,
    tags: fields.tags === undefined ? undefined : fields.tags.split(','),
    channel: fields.channel,
    reason: fields.reason,
    to: fields.to,
  }
}

/** A server with the handler and the hardening every listener needs: malformed requests get a 400, not a crash. */
/** The HTTP server around a request handler (see buildHandler), with callctl's limits on slow and bad clients. */
export function createListener(handler: (req: IncomingMessage, res: ServerResponse) => void): Server {
  const server = createServer({requestTimeout: 10_000, headersTimeout: 5000, maxHeaderSize: 16 * 1024}, handler)
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (socket.writable && error.code !== 'ECONNRESET') {
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n')
    }

    socket.destroy()
  })
  return server
}
