import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'

import type {Config} from '../config/schema.js'
import {CALL_EVENT_TYPES, type CallDetails, type CallEventType} from '../engine/call.js'
import type {CallControl} from '../engine/control.js'
import {CallctlError, RequestError} from '../errors.js'
import {pathSegments, readFields, sendJson} from './http.js'
import {describeRoutes, ROUTE_METHODS, type RouteName, routeTable} from './routes.js'

export interface RequestRecord {
  method: string
  path: string
  status: number
  route?: RouteName
  error?: string
  ms: number
}

export interface ListenerOptions {
  control: CallControl
  config: Pick<Config, 'commands'>
  version: string
  /** One record per answered request, for the console and logs. */
  onRequest?: (record: RequestRecord) => void
}

const MAX_NAME_LENGTH = 128

/** Builds the request handler. It never throws: every failure becomes a JSON answer with an honest status. */
export function buildHandler(options: ListenerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const {control, config, version, onRequest} = options
  const routes = routeTable(config.commands)

  async function dispatch(req: IncomingMessage, res: ServerResponse, record: RequestRecord): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://listener.invalid')
    record.path = url.pathname
    const [first, ...rest] = pathSegments(url.pathname)
    if (first === undefined) {
      sendJson(res, 200, {name: 'callctl', version, routes: describeRoutes(config.commands)})
      return
    }

    const route = routes.get(first)
    if (!route) {
      throw new RequestError(`Unknown command "${first}"`, 'ERR_UNKNOWN_COMMAND', 404, [
        `Valid commands: ${describeRoutes(config.commands).join(', ')}`,
      ])
    }

    record.route = route
    const allowed = ROUTE_METHODS[route]
    if (!allowed.includes(req.method ?? '')) {
      throw Object.assign(
        new RequestError(`${req.method} is not allowed on /${first}; use ${allowed.join(' or ')}`, 'ERR_METHOD', 405),
        {headers: {allow: allowed.join(', ')}},
      )
    }

    const fields = {...Object.fromEntries(url.searchParams), ...(await readFields(req))}
    const callId = fields.call || undefined
    switch (route) {
      case 'make': {
        const number = rest.length > 0 ? rest.join('/') : fields.number
        if (!number) {
          throw new RequestError(`No number given: use /${first}/<number>`, 'ERR_INVALID_NUMBER')
        }

        sendJson(res, 200, {ok: true, call: await control.make(number)})
        return
      }

      case 'answer': {
        sendJson(res, 200, {ok: true, call: await control.answer(callId)})
        return
      }

      case 'end': {
        sendJson(res, 200, {ok: true, call: await control.end(callId)})
        return
      }

      case 'status': {
        sendJson(res, 200, {name: 'callctl', version, pid: process.pid, ...control.status()})
        return
      }

      case 'notify': {
        const type = (rest[0] ?? fields.event) as CallEventType
        if (!CALL_EVENT_TYPES.includes(type)) {
          throw new RequestError(
            `Unknown event "${rest[0] ?? ''}": use /notify/<${CALL_EVENT_TYPES.join('|')}>`,
            'ERR_UNKNOWN_EVENT',
            404,
          )
        }

        sendJson(res, 200, {ok: true, call: control.notify(type, notifyDetails(fields, callId))})
      }
    }
  }

  return (req, res) => {
    const started = performance.now()
    const record: RequestRecord = {method: req.method ?? '', path: '', status: 0, ms: 0}
    res.on('finish', () => {
      record.status = res.statusCode
      record.ms = Math.round((performance.now() - started) * 10) / 10
      onRequest?.(record)
    })
    dispatch(req, res, record).catch((error: unknown) => {
      record.error = (error as Error).message
      if (res.headersSent) {
        res.destroy()
        return
      }

      const failure =
        error instanceof CallctlError
          ? error
          : new CallctlError(`Internal error: ${(error as Error).message}`, {code: 'ERR_INTERNAL'})
      sendJson(
        res,
        failure.status,
        {ok: false, error: {code: failure.code, message: failure.message, hints: failure.suggestions}},
        (error as {headers?: Record<string, string>}).headers,
      )
    })
  }
}

function notifyDetails(fields: Record<string, string>, id: string | undefined): CallDetails & {reason?: string} {
  const text = (value: string | undefined, max: number) =>
    // Names come from the network: keep them printable and short before they reach logs and templates.
    value === undefined ? undefined : value.replaceAll(/[\u0000-\u001F\u007F]/g, '').slice(0, max)
  return {
    id,
    number: fields.number || undefined,
    name: text(fields.name, MAX_NAME_LENGTH),
    tags: fields.tags === undefined ? undefined : fields.tags.split(',').map((tag) => tag.trim()).filter(Boolean),
    channel: text(fields.channel, MAX_NAME_LENGTH),
    reason: text(fields.reason, MAX_NAME_LENGTH),
  }
}

/** A server with the handler and the hardening every listener needs: malformed requests get a 400, not a crash. */
export function createListener(options: ListenerOptions): Server {
  const server = createServer({requestTimeout: 10_000, headersTimeout: 5000, maxHeaderSize: 16 * 1024}, buildHandler(options))
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (socket.writable && error.code !== 'ECONNRESET') {
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n')
    }

    socket.destroy()
  })
  return server
}
