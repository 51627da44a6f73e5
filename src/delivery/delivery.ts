import type {CallEvent} from '../engine/call.js'
import {type Delivery, type DisabledTarget, disabledKey, enableName, type NewDelivery, type Outbox} from './outbox.js'
import {hideUrlSecrets} from '../config/schema.js'
import {send} from './send.js'
import {type SignatureScheme, signatureHeaders, standardHeaders} from './signature.js'
import {originOf} from './targets.js'

const {randomUUID} = process.getBuiltinModule('node:crypto')

export interface DeliveryRecord {
  id: string
  target: string
  /** The target's identity (targets.ts targetIdOf): `doctor` tells a removed callback's records by it. */
  targetId?: string
  event: string
  callId: string
  url: string
  attempt: number
  /** delivered, retrying (kept in the outbox), or failed (can never succeed, or too old: kept as failed). */
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
  /** Something about the store the user should know (damaged records set aside, a failed read). */
  onTrouble?: (message: string) => void
  /**
   * The signing secret a target has in the config now: read at each attempt, so a secret changed with `callctl
   * callbacks secret` signs what is already queued too, and no secret is copied into the outbox.
   */
  secretFor?: (delivery: Pick<Delivery, 'target' | 'targetId'>) => string | undefined
  /**
   * Whether the delivery's target is still in the config. One that is not (removed, or changed to another URL) is
   * given up without a request: nothing else would ever clear it, and it would hold up its call's later
   * notifications to the same server for delivery.maxAgeHours.
   */
  configured?: (delivery: Pick<Delivery, 'target' | 'targetId'>) => boolean
}

const MAX_BACKOFF_MS = 5 * 60 * 1000
/** A receiver's Retry-After is honoured up to this; a longer one is taken as this. */
const MAX_RETRY_AFTER_MS = 60 * 60 * 1000
/** How often the outbox is read for deliveries put back by `callctl outbox --retry`. */
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
  readonly #known = new Set<number>()
  /** Deliveries stored but waiting for their final request (a lookup's name): see #hold. */
  readonly #held = new Set<Delivery>()
  /** Deliveries whose request is under way: a config change lets them finish. */
  readonly #sending = new Set<Delivery>()
  #rescan?: NodeJS.Timeout
  #closed = false
  /** Deliveries the store could not take, kept in memory only: numbered apart from the store's rows. */
  #unstored = 0
  /** Counted, not read per `/status`: refreshed by the rescan, so `outbox --purge` shows within seconds. */
  #failed = 0
  #quarantined = 0
  /** Targets a 410 switched off, by identity: read at start and at each rescan, so `outbox --enable` is seen. */
  #disabled = new Map<string, DisabledTarget>()

  constructor(options: DelivererOptions) {
    this.#options = options
  }

  /** Picks up what a previous run left pending (e.g. after a crash) and starts sending. */
  start(): void {
    this.#load()
    // A timer callback that throws would end the process: a failed rescan is reported and tried again.
    this.#rescan = setInterval(() => {
      try {
        this.#load()
      } catch (error) {
        this.#options.onTrouble?.(`outbox: cannot read the store (${(error as Error).message}); trying again`)
      }
    }, RESCAN_MS)
    this.#rescan.unref()
  }

  /** Writes the delivery to disk first, then queues it; a target a 410 switched off gets nothing. */
  enqueue(
    event: CallEvent,
    {key: target, id: targetId}: {key: string; id?: string},
    request: Delivery['request'],
    {scheme, ready}: {scheme?: SignatureScheme; ready?: Promise<Delivery['request'] | undefined>} = {},
  ): void {
    const {outbox} = this.#options
    const off = this.#disabledFor({target, targetId}, request.url)
    if (off) {
      this.#options.onDelivery?.({
        id: event.id,
        target,
        ...(targetId !== undefined && {targetId}),
        event: event.type,
        callId: event.call.id,
        url: hideUrlSecrets(request.url),
        attempt: 0,
        outcome: 'failed',
        error: disabledMessage(off),
        ms: 0,
      })
      return
    }

    const fresh: NewDelivery = {
      id: randomUUID(),
      target,
      ...(targetId !== undefined && {targetId}),
      callId: event.call.id,
      event: event.type,
      createdAt: event.at,
      attempts: 0,
      nextAttemptAt: 0,
      request,
      // One message per event and target: two callbacks to one receiver are two messages to deduplicate by id.
      eventId: `${event.id}-${target.replaceAll(/\W/g, '')}`,
      ...(scheme === undefined ? {} : {scheme}),
    }
    let delivery: Delivery
    try {
      delivery = outbox.add(fresh)
    } catch (error) {
      // Disk full or store unwritable: still send it from memory (a negative number, never a row's), and say that
      // it is not durable.
      delivery = {...fresh, seq: -++this.#unstored}
      this.#troubled(delivery, error)
    }

    if (ready) this.#hold(delivery, ready)
    this.#add(delivery)
  }

  /**
   * Stored now (in the event's transaction, so a crash cannot lose it) but not sent before `ready` gives the request
   * as it should go (with the name a lookup found): it is rewritten in the store, then sent. Its call's later
   * deliveries wait behind it. A process killed meanwhile sends it as stored, without the name, at its next start.
   */
  #hold(delivery: Delivery, ready: Promise<Delivery['request'] | undefined>): void {
    this.#held.add(delivery)
    void ready
      .then((request) => {
        if (!request || this.#closed) return
        delivery.request = request
        if (delivery.seq > 0) this.#options.outbox.save(delivery)
      })
      .catch((error: unknown) => this.#troubled(delivery, error))
      .finally(() => {
        this.#held.delete(delivery)
        const key = chainKey(delivery)
        if (this.#chains.get(key)?.[0] === delivery) this.#schedule(key)
      })
  }

  /** New limits from a changed config: they hold from the next request on. */
  setLimits(limits: Pick<DelivererOptions, 'timeoutMs' | 'concurrency' | 'maxAgeHours'>): void {
    Object.assign(this.#options, limits)
    for (const server of this.#due.keys()) this.#pump(server)
  }

  /**
   * The config changed: what waits for a target it no longer has is given up now, not at its next attempt (which a
   * backoff may put minutes away while it holds up its call's later notifications). A request under way finishes.
   */
  retarget(): void {
    const {configured} = this.#options
    if (!configured) return
    for (const [key, chain] of [...this.#chains]) {
      // One under way or waiting for its lookup is checked again before its request.
      const gone = chain.filter(
        (delivery) => !this.#sending.has(delivery) && !this.#held.has(delivery) && !configured(delivery),
      )
      if (gone.length === 0) continue
      const head = chain[0]
      chain.splice(0, chain.length, ...chain.filter((delivery) => !gone.includes(delivery)))
      if (chain.length === 0) this.#chains.delete(key)
      for (const delivery of gone) this.#giveUp(delivery)
      // A head waiting out its backoff was given up: the next one goes now. A chain queued or in flight is picked up
      // as it is (the queue reads the head when its turn comes).
      const timer = this.#backoff.get(key)
      if (timer && chain[0] !== head) {
        clearTimeout(timer)
        this.#backoff.delete(key)
        this.#schedule(key)
      }
    }
  }

  /** Reads the store again now (the listener, after it set damaged live calls aside at start). */
  refresh(): void {
    this.#load()
  }

  counts(): {pending: number; failed: number; quarantined: number; disabled: DisabledTarget[]} {
    return {
      pending: this.#known.size,
      failed: this.#failed,
      quarantined: this.#quarantined,
      // A switched-off target removed from the config since is nothing to act on.
      disabled: [...this.#disabled.values()].filter(
        (off) => off.targetId === undefined || this.#options.configured?.(off) !== false,
      ),
    }
  }

  close(): void {
    this.#closed = true
    for (const timer of this.#backoff.values()) clearTimeout(timer)
    this.#backoff.clear()
    clearInterval(this.#rescan)
  }

  #load(): void {
    const {outbox} = this.#options
    this.#disabled = new Map(outbox.disabled().map((row) => [disabledKey(row), row]))
    for (const delivery of outbox.pending(this.#known)) {
      // Left by a run before the config changed, or put back by `outbox --retry`.
      if (this.#options.configured?.(delivery) === false) this.#giveUp(delivery)
      else this.#add(delivery)
    }
    // Failed rows are read (and damaged ones quarantined) only when their number changed: they are not sent, but
    // `/status` must not count a damaged row as a failed delivery.
    const failed = outbox.failedCount()
    this.#failed = failed === this.#failed ? failed : outbox.failed().length
    const quarantined = outbox.store.quarantineCount()
    if (quarantined > this.#quarantined)
      this.#options.onTrouble?.(
        `outbox: ${quarantined} damaged stored record(s) set aside in the quarantine; callctl outbox lists them`,
      )
    this.#quarantined = quarantined
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
    // A held head is scheduled when it is let go.
    if (!head || this.#closed || this.#held.has(head)) return
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
      this.#sending.add(head)
      this.#send(head)
        .catch((error: unknown) => {
          // The outbox could not be written: wait as after a failed attempt, never resend in a tight loop.
          head.nextAttemptAt = Math.max(head.nextAttemptAt, Date.now() + backoffMs(head.attempts))
          this.#troubled(head, error)
        })
        .finally(() => {
          this.#sending.delete(head)
          this.#inFlight.set(server, (this.#inFlight.get(server) ?? 1) - 1)
          this.#schedule(key)
          this.#pump(server)
        })
    }

    if (due?.length === 0) this.#due.delete(server)
  }

  async #send(delivery: Delivery): Promise<void> {
    const {outbox, userAgent, timeoutMs, maxAgeHours, onDelivery} = this.#options
    // Its event is stored first (the store commits call events in groups): a receiver that heard `incoming` must
    // hear `end` too, which a listener killed before the commit could not know to send.
    const storing = outbox.store.committed()
    if (storing) await storing
    const {request} = delivery
    const started = performance.now()
    delivery.attempts++
    let status: number | undefined
    let error: string | undefined
    /** Set when no retry can ever succeed: a bad URL or header, or a 4xx that is not about timing. */
    let permanent = false
    let retryAfterMs: number | undefined
    /** The receiver answered 410 Gone: it wants no more, so the target is switched off until re-enabled. */
    let gone = false
    const off = this.#disabledFor(delivery, request.url)
    // Queued before its target was switched off, or removed from the config: failed without a request.
    const refused = off
      ? disabledMessage(off)
      : this.#options.configured?.(delivery) === false
        ? removedMessage(delivery)
        : undefined
    if (refused) {
      error = refused
      permanent = true
    } else
      try {
        const body = request.body ?? ''
        // The idempotency key makes a POST safe to repeat (send() repeats a blip once).
        const response = await send(request.url, {
          method: request.method,
          headers: {
            ...request.headers,
            'user-agent': userAgent,
            'x-callctl-event': delivery.event,
            'x-callctl-event-id': delivery.id,
            'idempotency-key': delivery.id,
            ...signing(delivery, body, this.#secretOf(delivery)),
          },
          body: request.body,
          timeoutMs,
        })
        status = response.status
        if (status < 200 || status >= 300) {
          error = `HTTP ${status}`
          // A redirect is not followed (a receiver that moved is configured anew), so it never succeeds either.
          permanent = status >= 300 && status < 500 && status !== 408 && status !== 429
          gone = status === 410
          // Throttling and a gateway in trouble: the receiver says when to come back.
          if (THROTTLED.has(status)) retryAfterMs = parseRetryAfter(response.headers['retry-after'])
        }
      } catch (failure) {
        // One line: some errors (TLS) span several.
        error = (failure as Error).message.replaceAll(/\s+/g, ' ').trim()
        permanent = isPermanentRequestError(failure)
      }

    // A listener stopped meanwhile has closed the store: the delivery stays as stored, for the next start.
    if (this.#closed) return
    const ms = Math.round(performance.now() - started)
    const report = (outcome: DeliveryRecord['outcome']) =>
      onDelivery?.({
        id: delivery.id,
        target: delivery.target,
        ...(delivery.targetId !== undefined && {targetId: delivery.targetId}),
        event: delivery.event,
        callId: delivery.callId,
        // Reports go to the console, `listen --json` and the log file: credentials in the URL stay out of them.
        url: hideUrlSecrets(request.url),
        attempt: delivery.attempts,
        outcome,
        status,
        error,
        ms,
      })
    if (error === undefined) {
      this.#done(delivery)
      if (delivery.seq > 0) outbox.remove(delivery)
      report('delivered')
      return
    }

    if (gone) {
      const disabled: DisabledTarget = {
        target: delivery.target,
        ...(delivery.targetId !== undefined && {targetId: delivery.targetId}),
        url: hideUrlSecrets(request.url),
        at: new Date().toISOString(),
        reason: 'HTTP 410 Gone',
      }
      this.#disabled.set(disabledKey(disabled), disabled)
      try {
        outbox.disable(disabled)
      } catch (failure) {
        this.#troubled(delivery, failure)
      }

      this.#options.onTrouble?.(
        `${delivery.target} answered 410 Gone: switched off, nothing more is sent to it; callctl outbox --enable ${enableName(disabled, [...this.#disabled.values()])} switches it on again`,
      )
    }

    delivery.lastError = refused ? error : permanent ? `${error} (not retried: it cannot succeed as it is)` : error
    const age = Date.now() - Date.parse(delivery.createdAt)
    // A createdAt that is not a date gives NaN: too old, not a delivery retried forever.
    if (permanent || !(age <= maxAgeHours * 3_600_000)) {
      // Out of its chain first: the call's later notifications go on even if the store cannot be written.
      this.#done(delivery)
      this.#failed++
      error = delivery.lastError
      report('failed')
      if (delivery.seq > 0) outbox.fail(delivery)
      return
    }

    delivery.nextAttemptAt = Date.now() + Math.max(backoffMs(delivery.attempts), retryAfterMs ?? 0)
    if (delivery.seq > 0) outbox.save(delivery)
    report('retrying')
  }

  /**
   * The 410 that switched this target off, if any. A target is its URL template (its targetId), wherever it is in
   * the list: a new callback put at a switched-off one's index is another target. A row or a delivery of an older
   * callctl, which has no identity, matches by config key at the server that answered.
   */
  #disabledFor({target, targetId}: Pick<Delivery, 'target' | 'targetId'>, url: string): DisabledTarget | undefined {
    for (const off of this.#disabled.values()) {
      if (off.targetId !== undefined && targetId !== undefined) {
        if (off.targetId === targetId) return off
      } else if (off.target === target && originOf(off.url) === originOf(url)) return off
    }

    return undefined
  }

  /** Failed without a request: its target is no longer in the config. Not (or no longer) in a chain. */
  #giveUp(delivery: Delivery): void {
    this.#known.delete(delivery.seq)
    delivery.lastError = removedMessage(delivery)
    this.#failed++
    this.#options.onDelivery?.({
      id: delivery.id,
      target: delivery.target,
      ...(delivery.targetId !== undefined && {targetId: delivery.targetId}),
      event: delivery.event,
      callId: delivery.callId,
      url: hideUrlSecrets(delivery.request.url),
      attempt: delivery.attempts,
      outcome: 'failed',
      error: delivery.lastError,
      ms: 0,
    })
    try {
      if (delivery.seq > 0) this.#options.outbox.fail(delivery)
    } catch (error) {
      this.#troubled(delivery, error)
    }
  }

  /** The target's secret in the config now; a record of an older callctl that carries its own keeps it. */
  #secretOf(delivery: Delivery): string | undefined {
    return this.#options.secretFor ? (this.#options.secretFor(delivery) ?? delivery.secret) : delivery.secret
  }

  /** An outbox write failed: the listener goes on (it must never crash on a notification) and says so. */
  #troubled(delivery: Delivery, error: unknown): void {
    const {target, event, callId, request, attempts, id} = delivery
    this.#options.onDelivery?.({
      id,
      target,
      event,
      callId,
      url: hideUrlSecrets(request.url),
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

/** Answers that mean "not now": their Retry-After is honoured (and send() does not repeat them at once). */
const THROTTLED = new Set([429, 502, 503, 504])

function disabledMessage(off: DisabledTarget): string {
  return `${off.target} is switched off since ${off.at} (${off.reason}); callctl outbox --enable ${off.target} switches it on again`
}

function removedMessage(delivery: Delivery): string {
  return `${delivery.target} was removed from the config (or changed to another URL) since this was queued: not sent; callctl outbox --purge deletes it`
}

/** The signature headers of the delivery's scheme; Standard Webhooks' id and timestamp even without a secret. */
function signing(delivery: Delivery, body: string, secret: string | undefined): Record<string, string> {
  if (delivery.scheme === 'standard') return standardHeaders(delivery.eventId ?? delivery.id, secret, body)
  return secret ? signatureHeaders(secret, body) : {}
}

/** 1 s, 2 s, 4 s, … after the first, second, third failed attempt; at most MAX_BACKOFF_MS, never NaN or 0. */
function backoffMs(attempts: number): number {
  const wait = 1000 * 2 ** Math.max(0, attempts - 1)
  return Number.isFinite(wait) ? Math.min(MAX_BACKOFF_MS, wait) : MAX_BACKOFF_MS
}

/** `Retry-After: 120` or an HTTP date, in ms from now; undefined when absent or not understood. */
export function parseRetryAfter(header: string | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined
  const value = header.trim()
  const ms = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value) - now
  return Number.isFinite(ms) ? Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms)) : undefined
}

/**
 * Errors no retry can fix: the URL or a header cannot be sent (Node refuses them before any byte goes out; send()
 * refuses a protocol other than http and https). Network errors (refused, reset, timeout, DNS) are transient.
 */
const PERMANENT_ERRORS = new Set([
  'ERR_INVALID_URL',
  'ERR_INVALID_CHAR',
  'ERR_INVALID_HTTP_TOKEN',
  'ERR_UNSUPPORTED_PROTOCOL',
])

function isPermanentRequestError(failure: unknown): boolean {
  return PERMANENT_ERRORS.has((failure as {code?: string}).code ?? '')
}

/** The receiving server: what ordering and concurrency are counted by. */
function serverOf(delivery: Delivery): string {
  try {
    return new URL(delivery.request.url).origin
  } catch {
    // Not a URL: it fails at its first attempt (permanent), in a queue of its own.
    return delivery.target
  }
}

function chainKey(delivery: Delivery): string {
  return `${serverOf(delivery)}|${delivery.callId}`
}
