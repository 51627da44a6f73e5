import type {ServerResponse} from 'node:http'

import type {DeliverySettings} from '../delivery/settings.js'
import type {CallEvent} from '../engine/call.js'
import type {CallEngine} from '../engine/engine.js'
import {valuesFor} from '../delivery/template.js'
import {RequestError} from '../errors.js'
import type {RouteHandler} from './app.js'

/** Proxies and browsers drop a silent connection; a comment line now and then keeps it open. */
const HEARTBEAT_MS = 15_000
/** A subscriber that stops reading is dropped before its unread events take more memory than this. */
const MAX_UNREAD_BYTES = 1024 * 1024
/** More open streams than any desktop needs; beyond it a new one is refused rather than the listener slowed. */
export const MAX_SUBSCRIBERS = 100

/** One Server-Sent Event: the call event, its call, and the template variables a notification of it would get. */
export function eventMessage(event: CallEvent, user: DeliverySettings['user']): string {
  const data = JSON.stringify({
    id: event.id,
    type: event.type,
    at: event.at,
    call: event.call,
    variables: valuesFor(event, user),
  })
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${data}\n\n`
}

/**
 * `GET /events`: a Server-Sent Events stream of call events for web CRMs, the status page and `callctl events`.
 * A subscriber is dropped when its connection closes, or when it stops reading (its unread events would otherwise
 * pile up in the listener's memory).
 */
export function eventStreamRoute(
  engine: CallEngine,
  user: () => DeliverySettings['user'],
): {route: RouteHandler; subscribers: () => number; end: () => void} {
  const open = new Set<ServerResponse>()
  const send = (res: ServerResponse, text: string) => {
    if (res.writableLength > MAX_UNREAD_BYTES) res.destroy()
    else res.write(text)
  }

  // One subscription for all streams: each event is serialized once, however many are open.
  engine.subscribe((event) => {
    if (open.size === 0) return
    const message = eventMessage(event, user())
    for (const res of open) send(res, message)
  })

  const route: RouteHandler = async ({req, res}) => {
    if (open.size >= MAX_SUBSCRIBERS) {
      throw new RequestError(
        `Too many /events subscribers (${MAX_SUBSCRIBERS}); close some first`,
        'ERR_TOO_MANY_SUBSCRIBERS',
        503,
      )
    }

    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    })
    // The first bytes tell EventSource and `callctl events` that the stream is up.
    res.write(`retry: 2000\n: callctl events\n\n`)
    open.add(res)
    const heartbeat = setInterval(() => send(res, ': ping\n\n'), HEARTBEAT_MS)
    heartbeat.unref()
    req.socket.setTimeout(0)
    res.on('close', () => {
      clearInterval(heartbeat)
      open.delete(res)
    })
    return undefined
  }

  return {
    route,
    subscribers: () => open.size,
    // Streams never end by themselves: a stopping listener ends them, so it need not wait for them.
    end: () => {
      for (const res of open) res.end()
    },
  }
}
