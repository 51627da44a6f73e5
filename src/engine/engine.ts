import {EventEmitter} from 'node:events'

import {CallStateError} from '../errors.js'
import type {Call, CallDetails, CallEvent, CallEventType, CallResult, CallState, Direction} from './call.js'
import {cleanDetails, cleanText} from './caller-id.js'
import {shownId} from './call.js'
import {isoNow} from './clock.js'

const {randomUUID} = process.getBuiltinModule('node:crypto')

/** Ended calls kept for `status` and `popup`; older ones are dropped so that a long-running listener stays small. */
const ENDED_CALLS_KEPT = 50

type Listener = (event: CallEvent) => void

/**
 * The call table and the event bus. Every state change goes through here, is validated, and emits exactly one
 * event. Drivers and `notify` requests report what happened; subscribers (console, notifications) listen.
 */
export class CallEngine {
  readonly #calls = new Map<string, Call>()
  readonly #ended: Call[] = []
  /**
   * When each live call was last answered, resumed or held, in order: `end` without an id ends the active one
   * answered last, `resume` without an id resumes the call held last.
   */
  readonly #answerOrder = new Map<string, number>()
  #answers = 0
  readonly #bus = new EventEmitter()
  readonly #atomically: (work: () => void) => void

  /**
   * `atomically` runs the delivery of one event to every subscriber as one unit: the listener makes it a store
   * transaction, so the event's stored effects (its notifications, the live-call row) land together or not at all.
   */
  constructor({atomically = (work) => work()}: {atomically?: (work: () => void) => void} = {}) {
    this.#atomically = atomically
    // Subscribers are few and long-lived (console, notifier, event streams): no leak warning at 10.
    this.#bus.setMaxListeners(0)
  }

  subscribe(listener: Listener): () => void {
    this.#bus.on('event', listener)
    return () => this.#bus.off('event', listener)
  }

  /** Live calls, oldest first. */
  live(): Call[] {
    return [...this.#calls.values()].map((call) => ({...call}))
  }

  /** Recently ended calls, newest first. */
  recent(): Call[] {
    return this.#ended.map((call) => ({...call}))
  }

  get(id: string): Call | undefined {
    const call = this.#calls.get(id) ?? this.#ended.find((ended) => ended.id === id)
    return call && {...call}
  }

  incoming(details: CallDetails): Call {
    return this.#create('incoming', details)
  }

  outgoing(details: CallDetails): Call {
    return this.#create('outgoing', details)
  }

  /**
   * Puts back a live call a previous listener knew (read from the store at start), without an event: its
   * `incoming` or `outgoing` was sent then. It is normally ended at once.
   */
  restore(call: Call): void {
    if (this.#calls.has(call.id)) throw new CallStateError(`Call ${shownId(call.id)} already exists`)
    // Read back from a file: cleaned like anything a driver reports.
    this.#calls.set(call.id, {...call, ...cleanDetails(call), id: call.id})
    if (call.state === 'active' || call.state === 'held') this.#answerOrder.set(call.id, ++this.#answers)
  }

  /** The remote answered (outgoing) or we answered (incoming). */
  activate(id: string): Call {
    // Not "answer": a remote answering, or a phone reporting `notify active`, lands here too.
    const call = this.#live(id, 'make active')
    if (call.state === 'active' || call.state === 'held') {
      throw new CallStateError(
        `Call ${shownId(id)} is already ${call.state === 'held' ? 'answered (on hold)' : 'active'}`,
      )
    }

    call.state = 'active'
    call.answeredAt = isoNow()
    this.#answerOrder.set(id, ++this.#answers)
    return this.#emit('active', call)
  }

  /** Something about a live call changed (number or name learned, transfer). Emits nothing when nothing changed. */
  update(id: string, details: CallDetails): Call {
    const call = this.#live(id, 'update')
    const changed = applyDetails(call, cleanDetails(details))
    return changed ? this.#emit('updated', call) : {...call}
  }

  /** The call is on hold (we put it there): `held`. */
  hold(id: string): Call {
    const call = this.#live(id, 'hold')
    if (call.state !== 'active') throw cannot(call, 'held', ['active'])
    call.state = 'held'
    this.#answerOrder.set(id, ++this.#answers)
    return this.#emit('held', call)
  }

  /** The call is off hold again, and the current one: `resumed`. */
  resume(id: string): Call {
    const call = this.#live(id, 'resume')
    if (call.state !== 'held') throw cannot(call, 'resumed', ['held'])
    call.state = 'active'
    this.#answerOrder.set(id, ++this.#answers)
    return this.#emit('resumed', call)
  }

  /** The call was handed on to `number` (blind transfer): `transferred`. The driver reports its end after. */
  transferred(id: string, number: string): Call {
    const call = this.#live(id, 'transfer')
    if (call.state !== 'active' && call.state !== 'held') throw cannot(call, 'transferred', ['active', 'held'])
    // A blind transfer happens once; a second report on a call still up is a mistake, not news.
    if (call.transferredTo)
      throw new CallStateError(`Call ${shownId(id)} was already transferred to ${call.transferredTo}`)
    call.transferredTo = cleanText(number)
    return this.#emit('transferred', call)
  }

  /** Our microphone on the call was muted or unmuted: `updated`, or nothing when it already was. */
  setMuted(id: string, muted: boolean): Call {
    const call = this.#live(id, muted ? 'mute' : 'unmute')
    if (call.state !== 'active' && call.state !== 'held')
      throw cannot(call, muted ? 'muted' : 'unmuted', ['active', 'held'])
    if (Boolean(call.muted) === muted) return {...call}
    call.muted = muted
    return this.#emit('updated', call)
  }

  /**
   * The call is over: `end`, or `missed` for an incoming call that was never answered, or `rejected` when `result`
   * says so (`reject`). Without `result` it follows from the call and the reason (see resultOf).
   */
  finish(id: string, reason = '', result?: CallResult): Call {
    const call = this.#live(id, 'end')
    call.endReason = cleanText(reason)
    call.result = result ?? resultOf(call)
    call.state = 'ended'
    call.endedAt = isoNow()
    this.#calls.delete(id)
    this.#answerOrder.delete(id)
    this.#ended.unshift(call)
    this.#ended.length = Math.min(this.#ended.length, ENDED_CALLS_KEPT)
    const type = call.result === 'missed' ? 'missed' : call.result === 'rejected' ? 'rejected' : 'end'
    return this.#emit(type, call)
  }

  /**
   * The call an in-call action (`hold`, `transfer`, ...) acts on: the given one, which must be in one of `states`,
   * else the live call in one of them that was answered, resumed or held last. A wrong state is a 409 naming it.
   * `number`: a softphone hook reports the caller's number, not callctl's id: only the calls with that number, and
   * one of them in a state the action takes, else refused as `?call=` of it would be (never another call).
   */
  target(action: string, states: readonly CallState[], id?: string, number?: string): Call {
    if (id !== undefined) {
      const call = this.#given(id, number, action)
      if (!states.includes(call.state)) throw cannot(call, pastTense(action), states)
      return {...call}
    }

    const numbered = this.#withNumber(number, action)
    const call = this.#byAnswer(numbered.filter((call) => states.includes(call.state))).at(-1)
    if (!call) {
      const named = numbered.at(-1)
      if (number !== undefined && named) throw cannot(named, pastTense(action), states)
      throw new CallStateError(`No ${states.join(' or ')} call to ${action}`, 'ERR_NO_CALL')
    }

    return {...call}
  }

  /** The live calls; with `number`, those with that number (`+` and `00` alike), refused if there is none. */
  #withNumber(number: string | undefined, action: string): Call[] {
    if (number === undefined) return [...this.#calls.values()]
    const matching = this.#numbered(number)
    if (matching.length === 0)
      throw new CallStateError(`No live call with number ${number} to ${action}; pass the call id`, 'ERR_NO_CALL')
    return matching
  }

  /** The live calls with `number` (`+` and `00` alike). */
  #numbered(number: string): Call[] {
    return [...this.#calls.values()].filter((call) => sameNumber(call.number, number))
  }

  /**
   * The live call `id`, when a report names it. With `number` too, that must be its number (`+` and `00` alike), or
   * the report is about another call: refused, naming both. A call whose number is unknown yet takes any.
   */
  #given(id: string, number: string | undefined, action: string): Call {
    const call = this.#live(id, action)
    if (number === undefined || call.number === '' || sameNumber(call.number, number)) return call
    throw new CallStateError(
      `Cannot ${action} call ${shownId(id)}: it is the call with number ${call.number}, not ${number}; give the call id alone, or the number of the call you mean`,
      'ERR_NUMBER_MISMATCH',
    )
  }

  /** `calls` in the order they were answered, resumed or held, the last one last (unanswered ones first, as given). */
  #byAnswer(calls: Call[]): Call[] {
    return calls.toSorted((a, b) => (this.#answerOrder.get(a.id) ?? 0) - (this.#answerOrder.get(b.id) ?? 0))
  }

  /**
   * The call a phone's `notify updated` is about. With `number`, the live call with that number (the one answered
   * last, else the newest); with none, the call whose number is unknown yet takes it (the phone learned it), the
   * active one among several; never a call with another known number. Without a number, the active call answered
   * last. `numbered`: the call was picked by its number, which is not news.
   */
  updatable(number?: string): {call: Call; numbered: boolean} {
    if (number === undefined) return {call: this.target('update', ['active']), numbered: false}
    const matching = this.#current(this.#numbered(number))
    if (matching) return {call: {...matching}, numbered: true}
    const unknown = [...this.#calls.values()].filter((call) => call.number === '')
    const active = this.#byAnswer(unknown.filter((call) => call.state === 'active')).at(-1)
    const call = active ?? (unknown.length === 1 ? unknown[0] : undefined)
    if (call) return {call: {...call}, numbered: false}
    const why =
      unknown.length === 0
        ? 'and every live call has a known number'
        : `and ${unknown.length} calls without a number, none active, could take it`
    throw new CallStateError(
      `No live call with number ${number} to update, ${why}; pass the call id to change a call's number`,
      'ERR_NO_CALL',
    )
  }

  /** Of `calls`, the one the user talks on: the active one answered last, else the newest. */
  #current(calls: Call[]): Call | undefined {
    return this.#byAnswer(calls.filter((c) => c.state === 'active')).at(-1) ?? calls.at(-1)
  }

  /** Live calls that are active (not on hold), other than `except`. */
  activeOthers(except: string): Call[] {
    return [...this.#calls.values()]
      .filter((call) => call.state === 'active' && call.id !== except)
      .map((c) => ({...c}))
  }

  /**
   * The call `answer` or `reject` acts on, or that a phone reports `missed` or `rejected` (`action` `end as missed`,
   * `end as rejected`): the given one, else the oldest ringing incoming call (with `number`, of those with it).
   */
  answerable(id?: string, action = 'answer', number?: string): Call {
    return this.#oldest(
      action,
      'ringing incoming',
      (call) => call.direction === 'incoming' && call.state === 'ringing',
      id,
      number,
    )
  }

  /**
   * The call a phone reports `active`: the given one, else the oldest ringing or dialing one (with `number`, of those
   * with it). An answered call is not answered again: 409.
   */
  activatable(id?: string, number?: string): Call {
    return this.#oldest(
      'make active',
      'ringing or dialing',
      (call) => call.state === 'ringing' || call.state === 'dialing',
      id,
      number,
    )
  }

  /**
   * The given call, else the oldest live one (with `number`, of those with that number) that `fits` (a `what`
   * call): one that does not is a 409 naming its direction and state.
   */
  #oldest(action: string, what: string, fits: (call: Call) => boolean, id?: string, number?: string): Call {
    const numbered = id === undefined ? this.#withNumber(number, action) : [this.#given(id, number, action)]
    const call = numbered.find(fits) ?? (id === undefined && number === undefined ? undefined : numbered.at(-1))
    if (!call) throw new CallStateError(`No ${what} call to ${action}`, 'ERR_NO_CALL')
    if (!fits(call))
      throw new CallStateError(
        `Call ${shownId(call.id)} cannot be ${pastTense(action)}: it is ${call.direction} and ${call.state}; only ${article(what)} ${what} call can`,
      )
    return {...call}
  }

  /** The call `end` acts on: the given one, else the active call, else the newest ringing, dialing or held one. */
  endable(id?: string, number?: string): Call {
    if (id !== undefined) return {...this.#given(id, number, 'end')}
    // The call the user is talking on: the one answered last (an earlier one may still be up, e.g. not on hold).
    const call = this.#current(this.#withNumber(number, 'end'))
    if (!call) throw new CallStateError('No call to end', 'ERR_NO_CALL')
    return {...call}
  }

  #create(direction: Direction, raw: CallDetails): Call {
    const details = cleanDetails(raw)
    const id = details.id ?? randomUUID()
    if (this.#calls.has(id)) throw new CallStateError(`Call ${shownId(id)} already exists`)
    const call: Call = {
      id,
      direction,
      number: details.number ?? '',
      name: details.name ?? '',
      state: direction === 'incoming' ? 'ringing' : 'dialing',
      createdAt: isoNow(),
      tags: details.tags ?? [],
      channel: details.channel ?? '',
    }
    this.#calls.set(id, call)
    return this.#emit(direction, call)
  }

  #live(id: string, action: string): Call {
    const call = this.#calls.get(id)
    if (call) return call
    if (this.#ended.some((ended) => ended.id === id)) {
      throw new CallStateError(`Cannot ${action} call ${shownId(id)}: it has already ended`)
    }

    throw new CallStateError(`Cannot ${action} call ${shownId(id)}: no such call`, 'ERR_NO_CALL')
  }

  #emit(type: CallEventType, call: Call): Call {
    const snapshot = {...call, tags: [...call.tags]}
    const event: CallEvent = {id: randomUUID(), type, at: isoNow(), call: snapshot}
    // A throwing subscriber must not undo a state change that already happened, nor starve the others.
    this.#atomically(() => {
      for (const listener of this.#bus.listeners('event') as Listener[]) {
        try {
          listener(event)
        } catch (error) {
          process.emitWarning(`callctl: an event subscriber failed: ${(error as Error).message}`)
        }
      }
    })

    return {...snapshot}
  }
}

function applyDetails(call: Call, details: CallDetails): boolean {
  let changed = false
  for (const key of ['number', 'name', 'channel'] as const) {
    const value = details[key]
    if (value !== undefined && value !== call[key]) {
      call[key] = value
      changed = true
    }
  }

  if (details.tags && details.tags.join('\n') !== call.tags.join('\n')) {
    call.tags = [...details.tags]
    changed = true
  }

  return changed
}

/** `{RESULT}` of a call that ends without one given: answered, else what its reason and direction say. */
function resultOf(call: Call): CallResult {
  if (call.answeredAt) return 'answered'
  if (call.direction === 'incoming') return 'missed'
  // An outgoing call that never connected: the far end was busy, we gave up, or it failed.
  if (/\b(486|600)\b|busy/i.test(call.endReason ?? '')) return 'busy'
  if (/local|listener (stopped|restarted)|cancel/i.test(call.endReason ?? '')) return 'cancelled'
  return 'failed'
}

function cannot(call: Call, done: string, states: readonly CallState[]): CallStateError {
  return new CallStateError(
    `Call ${shownId(call.id)} cannot be ${done}: it is ${call.state}; only ${article(states[0])} ${states.join(' or ')} call can`,
  )
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a'
}

function pastTense(action: string): string {
  const irregular: Record<string, string> = {
    hold: 'held',
    'send DTMF to': 'sent DTMF',
    transfer: 'transferred',
    'make active': 'made active',
    'end as missed': 'ended as missed',
    'end as rejected': 'ended as rejected',
  }
  return irregular[action] ?? `${action.replace(/e$/, '')}ed`
}

/** Whether two numbers are one as a hook may write them: `+31…` and `0031…` alike, spaces and dashes aside. */
function sameNumber(a: string, b: string): boolean {
  const plain = (number: string) => number.replaceAll(/[\s\-.()]/g, '').replace(/^\+/, '00')
  return plain(a) === plain(b)
}
