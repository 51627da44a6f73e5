import type {CallEvent} from '../engine/call.js'
import type {Delivery, Outbox} from './outbox.js'
import {signatureHeaders} from './signature.js'

const {randomUUID} = process.getBuiltinModule('node:crypto')

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
  /** Chains of deliveries that must go in order, by `server|call`; the head is the one to send next. */
  readonly #chains = new Map<string, Delivery[]>()
  /**
   * Per server, the chains whose head may be sent now, first come first served. A chain is in at most one place:
   * this queue, a backoff timer, or in flight; so finding work never means walking every chain (with thousands of
   * calls queued, that walk per completed request was quadratic).
   */
  readonly #due = new Map<string, string[]>()
  readonly #backoff = new Map<string, NodeJS.Timeout>()
  readonly #inFlight = new Map<string, number>()
  readonly #known = new Set<string>()
  #rescan?: NodeJS.Timeout
  #closed = false
  /** Counted, not read from disk per `/status`: refreshed by the rescan, so `outbox --purge` shows within seconds. */
  #failed = 0

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
  }

  /** New limits from a changed config: they hold from the next request on. */
  setLimits(limits: Pick<DelivererOptions, 'timeoutMs' | 'concurrency' | 'maxAgeHours'>): void {
    Object.assign(this.#options, limits)
    for (const server of this.#due.keys()) this.#pump(server)
  }

  counts(): {pending: number; failed: number} {
    return {pending: this.#known.size, failed: this.#failed}
  }

  close(): void {
    this.#closed = true
    for (const timer of this.#backoff.values()) clearTimeout(timer)
    this.#backoff.clear()
    clearInterval(this.#rescan)
  }

  #load(): void {
    this.#failed = this.#options.outbox.failedCount()
    for (const delivery of this.#options.outbox.pending()) {
      if (!this.#known.has(delivery.seq)) this.#add(delivery)
    }
  }

  #add(delivery: Delivery): void {
    this.#known.add(delivery.seq)
    const key = chainKey(delivery)
    const chain = this.#chains.get(key)
    if (chain) {
      // Behind a head that is queued, waiting or in flight: its turn comes when the head is done.
      chain.push(delivery)
      return
    }

    this.#chains.set(key, [delivery])
    this.#schedule(key)
  }

  /** Queues the chain's head now, or when its backoff ends. */
  #schedule(key: string): void {
    const head = this.#chains.get(key)?.[0]
    if (!head || this.#closed) return
    const wait = head.nextAttemptAt - Date.now()
    if (wait > 0) {
      const timer = setTimeout(() => {
        this.#backoff.delete(key)
        this.#queue(key, head)
      }, wait)
      timer.unref()
      this.#backoff.set(key, timer)
      return
    }

    this.#queue(key, head)
  }

  #queue(key: string, head: Delivery): void {
    const server = serverOf(head)
    const due = this.#due.get(server)
    if (due) due.push(key)
    else this.#due.set(server, [key])
    this.#pump(server)
  }

  #pump(server: string): void {
    const due = this.#due.get(server)
    while (!this.#closed && due && due.length > 0 && (this.#inFlight.get(server) ?? 0) < this.#options.concurrency) {
      const key = due.shift()!
      const head = this.#chains.get(key)?.[0]
      if (!head) continue
      this.#inFlight.set(server, (this.#inFlight.get(server) ?? 0) + 1)
      this.#send(head)
        .catch((error: unknown) => {
          // The outbox could not be written: wait as after a failed attempt, never resend in a tight loop.
          head.nextAttemptAt = Math.max(head.nextAttemptAt, Date.now() + backoffMs(head.attempts))
          this.#troubled(head, error)
        })
        .finally(() => {
          this.#inFlight.set(server, (this.#inFlight.get(server) ?? 1) - 1)
          this.#schedule(key)
          this.#pump(server)
        })
    }

    if (due?.length === 0) this.#due.delete(server)
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
      onDelivery?.({
        id: delivery.id,
        target: delivery.target,
        event: delivery.event,
        callId: delivery.callId,
        url: request.url,
        attempt: delivery.attempts,
        outcome,
        status,
        error,
        ms,
      })
    if (error === undefined) {
      this.#done(delivery)
      outbox.remove(delivery)
      report('delivered')
      return
    }

    delivery.lastError = error
    if (Date.now() - Date.parse(delivery.createdAt) > maxAgeHours * 3_600_000) {
      outbox.fail(delivery)
      this.#failed++
      this.#done(delivery)
      report('failed')
      return
    }

    delivery.nextAttemptAt = Date.now() + backoffMs(delivery.attempts)
    outbox.save(delivery)
    report('retrying')
  }

  /** An outbox write failed: the listener goes on (it must never crash on a notification) and says so. */
  #troubled(delivery: Delivery, error: unknown): void {
    const {target, event, callId, request, attempts, id} = delivery
    this.#options.onDelivery?.({
      id,
      target,
      event,
      callId,
      url: request.url,
      attempt: attempts,
      outcome: 'retrying',
      error: `cannot write the outbox: ${(error as Error).message}`,
      ms: 0,
    })
  }

  #done(delivery: Delivery): void {
    this.#known.delete(delivery.seq)
    const key = chainKey(delivery)
    const chain = this.#chains.get(key)
    chain?.shift()
    if (chain?.length === 0) this.#chains.delete(key)
  }
}

/** 1 s, 2 s, 4 s, … after the first, second, third failed attempt; at most MAX_BACKOFF_MS. */
function backoffMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.max(0, attempts - 1))
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
