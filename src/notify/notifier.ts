import type {Config} from '../config/schema.js'
import type {CallEvent} from '../engine/call.js'
import type {CallEngine} from '../engine/engine.js'
import {renderUrl, valuesFor} from './template.js'

export interface DeliveryRecord {
  event: CallEvent
  url: string
  status?: number
  error?: string
  ms: number
}

export interface NotifierOptions {
  notifications: Config['notifications']
  userAgent: string
  timeoutMs?: number
  onDelivery?: (record: DeliveryRecord) => void
}

/**
 * Enreach "URL Call Notifications": a GET to the configured URL on `incoming`, `active` and `end`. Requests run
 * apart from the event that caused them: a slow or failing CRM never holds up a call command.
 */
export function subscribeNotifications(engine: CallEngine, options: NotifierOptions): () => void {
  const {notifications, userAgent, timeoutMs = 5000, onDelivery} = options
  return engine.subscribe((event) => {
    const template = notifications[event.type as keyof Config['notifications']]
    if (!template) return
    const url = renderUrl(template, valuesFor(event))
    const started = performance.now()
    const done = (result: {status?: number; error?: string}) =>
      onDelivery?.({event, url, ms: Math.round(performance.now() - started), ...result})
    deliver(url, userAgent, timeoutMs).then(
      (status) => done({status}),
      (error: Error) => done({error: error.message}),
    )
  })
}

async function deliver(url: string, userAgent: string, timeoutMs: number): Promise<number> {
  // got is loaded with the first notification, not at start-up.
  const {default: got} = await import('got')
  const response = await got(url, {
    headers: {'user-agent': userAgent},
    timeout: {request: timeoutMs},
    retry: {limit: 2},
    throwHttpErrors: true,
  })
  return response.statusCode
}
