import {randomUUID} from 'node:crypto'

import type {CallEvent} from '../engine/call.js'
import type {Delivery, Outbox} from './outbox.js'
import {signatureHeaders} from './signature.js'

export interface DeliveryRecord {
  id: string
  target: string
  event: string
  callId: string
  url: string
  attempt: number
  /** delivered, retrying (kept in the outbox), or failed (too old: kept in outbox/failed). */
  outcome: 'delivered' | 'retrying' | 'failed'
  status?: number
  error?: string
  ms: number
}

export interface DelivererOptions {
  outbox: Outbox
  userAgent: string
  timeoutMs: number
  /** Requests in flight per target. */
  concurrency: number
  maxAgeHours: number
  onDelivery?: (record: DeliveryRecord) => void
}

const MAX_BACKOFF_MS = 5 * 60 * 1000
/** How often the outbox folder is read for deliveries put back by `callctl outbox --retry`. */
const RESCAN_MS = 10_000

/**
 * Sends what the outbox holds. Per call and receiving server one delivery at a time, in order (a CRM never sees
 * `end` before `incoming`, even when Enreach's three URLs are three config entries); per server at most
 * `concurrency` requests at once, so a slow CRM holds up only its own queue.
 */
export class Deliverer {
  readonly #options: DelivererOptions
  /** Chains of deliveries that must go in order, by `server|call`. */
  readonly #chains = new Map<string, Delivery[]>()
  readonly #busyChains = new Set<string>()
  readonly #inFlight = new Map<string, number>()
  readonly #known = new Set<string>()
  #timer?: NodeJS.Timeout
  #rescan?: NodeJS.Timeout
  #closed = false

  constructor(options: DelivererOptions) {
    this.#options = options
  }

  /** Picks up what a previous run left pending (e.g. after a crash) and starts sending. */
  start(): void {
    this.#options.outbox.ensure()
    this.#load()
    this.#rescan = setInterval(() => this.#load(), RESCAN_MS)
    this.#rescan.unref()
  }

  /** Writes the delivery to disk first, then queues it. */
  enqueue(event: CallEvent, target: string, request: Delivery['request'], secret?: string): void {
    const {outbox} = this.#options
    const delivery: Delivery = {
      id: randomUUID(),
      seq: outbox.nextSeq(),
      target,
      callId: event.call.id,
      event: event.type,
      createdAt: event.at,
      attempts: 0,
      nextAttemptAt: 0,
      request,
      secret,
    }
    try {
      outbox.save(delivery)
    } catch (error) {
      // Disk full or folder unwritable: still send it from memory, and say that it is not durable.
      this.#troubled(delivery, error)
    }

    this.#add(delivery)
    this.#pump()
  }

  counts(): {pending: number; failed: number} {
    return {pending: this.#known.size, failed: this.#options.outbox.failed().length}
  }

  close(): void {
    this.#closed = true
    clearTimeout(this.#timer)
    clearInterval(this.#rescan)
  }

  #load(): void {
    const fresh = this.#options.outbox.pending().filter((delivery) => !this.#known.has(delivery.seq))
    for (const delivery of fresh) this.#add(delivery)
    if (fresh.length > 0) this.#pump()
  }

  #add(delivery: Delivery): void {
    this.#known.add(delivery.seq)
    const key = chainKey(delivery)
    const chain = this.#chains.get(key)
    if (chain) chain.push(delivery)
    else this.#chains.set(key, [delivery])
  }

  #pump(): void {
    if (this.#closed) return
    const now = Date.now()
    let wakeAt = Number.POSITIVE_INFINITY
    for (const [key, chain] of this.#chains) {
      if (this.#busyChains.has(key)) continue
      const head = chain[0]
      if (head.nextAttemptAt > now) {
        wakeAt = Math.min(wakeAt, head.nextAttemptAt)
        continue
      }

      const server = serverOf(head)
      const inFlight = this.#inFlight.get(server) ?? 0
      if (inFlight >= this.#options.concurrency) continue
      this.#busyChains.add(key)
      this.#inFlight.set(server, inFlight + 1)
      this.#send(head)
        .catch((error: unknown) => this.#troubled(head, error))
        .finally(() => {
          this.#busyChains.delete(key)
          this.#inFlight.set(server, (this.#inFlight.get(server) ?? 1) - 1)
          this.#pump()
        })
    }

    clearTimeout(this.#timer)
    if (wakeAt !== Number.POSITIVE_INFINITY) {
      this.#timer = setTimeout(() => this.#pump(), Math.max(0, wakeAt - now))
      this.#timer.unref()
    }
  }

  async #send(delivery: Delivery): Promise<void> {
    const {outbox, userAgent, timeoutMs, maxAgeHours, onDelivery} = this.#options
    const {request} = delivery
    const started = performance.now()
    delivery.attempts++
    let status: number | undefined
    let error: string | undefined
    try {
      // got is loaded with the first notification, not at start-up.
      const {default: got} = await import('got')
      const body = request.body ?? ''
      const response = await got(request.url, {
        method: request.method,
        headers: {
          ...request.headers,
          'user-agent': userAgent,
          'x-callctl-event': delivery.event,
          'x-callctl-event-id': delivery.id,
          'idempotency-key': delivery.id,
          ...(delivery.secret ? signatureHeaders(delivery.secret, body) : {}),
        },
        body: request.body,
        timeout: {request: timeoutMs},
        // Quick retries for a blip; longer outages wait in the outbox. The idempotency key makes POST safe to repeat.
        retry: {limit: 1, methods: ['GET', 'POST'], calculateDelay: ({computedValue}) => (computedValue ? 200 : 0)},
        throwHttpErrors: false,
        followRedirect: false,
      })
      status = response.statusCode
      if (status < 200 || status >= 300) error = `HTTP ${status}`
    } catch (failure) {
      error = (failure as Error).message
    }

    const ms = Math.round(performance.now() - started)
    const report = (outcome: DeliveryRecord['outcome']) =>
      onDelivery?.({id: delivery.id, target: delivery.target, event: delivery.event, callId: delivery.callId, url: request.url, attempt: delivery.attempts, outcome, status, error, ms})
    if (error === undefined) {
      outbox.remove(delivery)
      this.#done(delivery)
      report('delivered')
      return
    }

    delivery.lastError = error
    if (Date.now() - Date.parse(delivery.createdAt) > maxAgeHours * 3_600_000) {
      outbox.fail(delivery)
      this.#done(delivery)
      report('failed')
      return
    }

    delivery.nextAttemptAt = Date.now() + Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (delivery.attempts - 1))
    outbox.save(delivery)
    report('retrying')
  }

  /** An outbox write failed: the listener goes on (it must never crash on a notification) and says so. */
  #troubled(delivery: Delivery, error: unknown): void {
    const {target, event, callId, request, attempts, id} = delivery
    this.#options.onDelivery?.({id, target, event, callId, url: request.url, attempt: attempts, outcome: 'retrying', error: `cannot write the outbox: ${(error as Error).message}`, ms: 0})
  }

  #done(delivery: Delivery): void {
    this.#known.delete(delivery.seq)
    const key = chainKey(delivery)
    const chain = this.#chains.get(key)
    chain?.shift()
    if (chain?.length === 0) this.#chains.delete(key)
  }
}

/** The receiving server: what ordering and concurrency are counted by. */
function serverOf(delivery: Delivery): string {
  try {
    return new URL(delivery.request.url).origin
  } catch {
    return delivery.target
  }
}

function chainKey(delivery: Delivery): string {
  return `${serverOf(delivery)}|${delivery.callId}`
}
