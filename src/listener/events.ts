import type {ServerResponse} from 'node:http'

import type {Config} from '../config/schema.js'
import type {CallEvent} from '../engine/call.js'
import type {CallEngine} from '../engine/engine.js'
import {valuesFor} from '../notify/template.js'
import type {RouteHandler} from './app.js'

/** Proxies and browsers drop a silent connection; a comment line now and then keeps it open. */
const HEARTBEAT_MS = 15_000

/** One Server-Sent Event: the call event, its call, and the template variables a notification of it would get. */
export function eventMessage(event: CallEvent, user: Config['user']): string {
  const data = JSON.stringify({id: event.id, type: event.type, at: event.at, call: event.call, variables: valuesFor(event, user)})
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${data}\n\n`
}

/**
 * `GET /events`: a Server-Sent Events stream of call events for web CRMs, the status page and `callctl events`.
 * Each subscriber is dropped when its connection closes, so the engine never holds on to one that went away.
 */
export function eventStreamRoute(engine: CallEngine, user: Config['user']): {route: RouteHandler; subscribers: () => number} {
  const open = new Set<ServerResponse>()
  const route: RouteHandler = async ({req, res}) => {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    })
    // The first bytes tell EventSource and `callctl events` that the stream is up.
    res.write(`retry: 2000\n: callctl events\n\n`)
    open.add(res)
    const unsubscribe = engine.subscribe((event) => res.write(eventMessage(event, user)))
    const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS)
    heartbeat.unref()
    const close = () => {
      clearInterval(heartbeat)
      unsubscribe()
      open.delete(res)
    }

    req.socket.setTimeout(0)
    res.on('close', close)
    return undefined
  }

  return {route, subscribers: () => open.size}
}
