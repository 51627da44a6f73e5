import {CallctlError, DriverError, RequestError} from '../errors.js'
import type {Capability, Driver, DriverReachability, DriverReporter} from './driver.js'
import {type Call, type CallDetails, type CallEventType, type CallState, shownId} from './call.js'
import type {CallEngine} from './engine.js'
import {callerId} from './caller-id.js'
import {normalizeNumber, NUMBER_RULE} from './number.js'
import {isSipAddress, normalizeDialable} from './sip-address.js'

/** The engine's transitions, as a driver sees them. */
export function reporterFor(engine: CallEngine): DriverReporter {
  return {
    incoming: (details) => engine.incoming(details),
    outgoing: (details) => engine.outgoing(details),
    active: (id) => engine.activate(id),
    updated: (id, details) => engine.update(id, details),
    held: (id) => engine.hold(id),
    resumed: (id) => engine.resume(id),
    transferred: (id, number) => engine.transferred(id, number),
    muted: (id, muted) => engine.setMuted(id, muted),
    ended: (id, reason, result) => engine.finish(id, reason, result),
    calls: () => engine.live(),
  }
}

/** The driver as `/status` shows it: which one, and whether it reaches its phone. */
export type DriverStatus = {name: string} & DriverReachability

/**
 * A live call as `/status` shows it: `unknown` while the driver cannot reach its phone (the call may have ended or
 * been answered meanwhile), with the last state callctl knew.
 */
export type StatusCall = Omit<Call, 'state'> & {state: CallState | 'unknown'; lastKnownState?: CallState}

/**
 * What the listener's routes call: commands go to the driver after the engine has picked and checked the call;
 * `notify` reports go straight to the engine.
 */
export interface CallControlOptions {
  /** Throws for numbers that may not be dialled or transferred to (`numbers.allow` / `numbers.block`). */
  checkNumber?: (number: string) => void
  /** Answering a second call puts the active one on hold first (`calls.holdOnAnswer`), when the driver can hold. */
  holdOnAnswer?: boolean
  /** The drivers that could do what this one cannot, for the 501 answer. */
  driversThatCan?: (capability: Capability) => string[]
}

/** How long after answer a link's `;ext=` is keyed in: long enough for a menu to start listening. */
export const EXTENSION_PAUSE_MS = 1500

/** DTMF as the phone takes it: 0-9 * # A-D, `,` a pause. */
const DTMF = /^[0-9*#A-D,]{1,64}$/
/** Pauses in one request: each is a second the request stays open (64 of them, eight times over, held a call 64 s). */
export const MAX_DTMF_PAUSES = 10
/** DTMF requests for one call sent or waiting their turn at once; one more is refused. */
export const MAX_DTMF_QUEUED = 4

export class CallControl {
  /** Throws for numbers that may not be dialled (`numbers.allow` / `numbers.block`). */
  public checkNumber: (number: string) => void
  public holdOnAnswer: boolean
  readonly #driversThatCan: (capability: Capability) => string[]

  constructor(
    readonly engine: CallEngine,
    public driver: Driver,
    options: CallControlOptions = {},
  ) {
    this.checkNumber = options.checkNumber ?? (() => {})
    this.holdOnAnswer = options.holdOnAnswer ?? true
    this.#driversThatCan = options.driversThatCan ?? (() => [])
  }

  /**
   * Dials; `ext` (a link's `;ext=`) is keyed in once the call is answered, when the driver can send DTMF
   * (`keysExtensions`).
   */
  async make(rawNumber: string, {ext}: {ext?: string} = {}): Promise<Call> {
    this.#require('make')
    // A SIP address is dialled as it is, by a driver that speaks SIP. Read and checked against the number lists
    // before that is asked: a malformed one is a 400 and a blocked one a 403 whatever the driver, as `dial` says.
    const number = normalizeDialable(rawNumber)
    const sip = isSipAddress(number)
    this.checkNumber(number)
    if (sip && !this.driver.capabilities.has('sip'))
      throw cannotDialSip(this.driver.name, number, this.#driversThatCan('sip'))
    const digits = ext?.replaceAll(/[\s\-.()]/g, '')
    if (digits !== undefined && !/^[\d*#]{1,16}$/.test(digits))
      throw new RequestError(
        `Invalid extension ${JSON.stringify(ext!.slice(0, 40))}: an extension is 1 to 16 of 0-9, * and #`,
        'ERR_INVALID_DTMF',
      )
    const call = await this.#drive(() => (sip ? this.driver.dialSip!(number) : this.driver.make(number)))
    if (digits) this.#keyInOnAnswer(call.id, digits)
    return call
  }

  /** Whether `make` keys in an extension after answer: only drivers that send DTMF can. */
  get keysExtensions(): boolean {
    return this.driver.capabilities.has('dtmf')
  }

  /**
   * `;ext=`: sent as DTMF once the call is active, after a pause (the far end's menu greets first); forgotten when
   * the call ends first. A failure is a warning: the call itself stands.
   */
  #keyInOnAnswer(id: string, digits: string): void {
    if (!this.keysExtensions) return
    let sent = false
    const send = () => {
      if (sent) return
      sent = true
      stop()
      const timer = setTimeout(() => {
        this.dtmf(digits, id).catch((error: Error) =>
          process.emitWarning(`callctl: extension ${digits} not sent on call ${id}: ${error.message}`),
        )
      }, EXTENSION_PAUSE_MS)
      timer.unref()
    }

    const stop = this.engine.subscribe((event) => {
      if (event.call.id !== id) return
      if (event.call.state === 'active') send()
      else if (event.call.state === 'ended') stop()
    })
    if (this.engine.get(id)?.state === 'active') send()
  }

  /** Answers a ringing call; with `holdOnAnswer`, the call talked on so far goes on hold first (call waiting). */
  async answer(id?: string): Promise<Call> {
    this.#require('answer')
    const call = this.engine.answerable(id)
    await this.#holdOthers(call.id)
    await this.#drive(() => this.driver.answer(call))
    return this.engine.get(call.id) ?? call
  }

  /** Declines a ringing incoming call: it ends `rejected`. */
  async reject(id?: string): Promise<Call> {
    this.#require('reject')
    const call = this.engine.answerable(id, 'reject')
    await this.#drive(async () => this.driver.reject!(call))
    return this.engine.get(call.id) ?? call
  }

  async hold(id?: string): Promise<Call> {
    this.#require('hold')
    const call = this.engine.target('hold', ['active'], id)
    await this.#drive(async () => this.driver.hold!(call))
    return this.engine.get(call.id) ?? call
  }

  /** Takes a held call off hold; the call talked on until now goes on hold first, so `resume --call` swaps. */
  async resume(id?: string): Promise<Call> {
    this.#require('resume')
    const call = this.engine.target('resume', ['held'], id)
    await this.#holdOthers(call.id)
    await this.#drive(async () => this.driver.resume!(call))
    return this.engine.get(call.id) ?? call
  }

  async transfer(rawNumber: string, id?: string): Promise<Call> {
    this.#require('transfer')
    const number = normalizeNumber(rawNumber)
    try {
      this.checkNumber(number)
    } catch (error) {
      // The number rules speak of dialling; here the number is a transfer's target.
      if (!(error instanceof RequestError)) throw error
      throw new RequestError(
        error.message.replace(/^Refused make: /, 'Refused transfer: '),
        error.code,
        error.status,
        error.suggestions,
      )
    }

    const call = this.engine.target('transfer', ['active', 'held'], id)
    await this.#drive(async () => this.driver.transfer!(call, number))
    return this.engine.get(call.id) ?? call
  }

  async dtmf(rawDigits: string, id?: string): Promise<Call> {
    this.#require('dtmf')
    const digits = rawDigits.replaceAll(/\s/g, '').toUpperCase()
    if (!DTMF.test(digits)) {
      throw new RequestError(
        `Invalid DTMF ${JSON.stringify(rawDigits.slice(0, 80))}: use 1 to 64 of 0-9 * # A-D, with , for a pause`,
        'ERR_INVALID_DTMF',
      )
    }

    const pauses = digits.split(',').length - 1
    if (pauses > MAX_DTMF_PAUSES) {
      throw new RequestError(
        `Invalid DTMF ${JSON.stringify(rawDigits.slice(0, 80))}: at most ${MAX_DTMF_PAUSES} pauses (,) in one request, got ${pauses}`,
        'ERR_INVALID_DTMF',
      )
    }

    const call = this.engine.target('send DTMF to', ['active'], id)
    // One queue per call: requests sent together take turns instead of mixing their digits.
    const queue = this.#dtmfQueues.get(call.id) ?? {tail: Promise.resolve(), size: 0}
    if (queue.size >= MAX_DTMF_QUEUED) {
      throw new RequestError(
        `Refused DTMF for call ${shownId(call.id)}: ${MAX_DTMF_QUEUED} DTMF requests for it are being sent or waiting; send more once they are done`,
        'ERR_DTMF_BUSY',
        429,
      )
    }

    queue.size++
    this.#dtmfQueues.set(call.id, queue)
    const turn = queue.tail
    let done!: () => void
    queue.tail = new Promise<void>((resolve) => {
      done = resolve
    })
    try {
      await turn
      // Its turn: the call may have ended or gone on hold while this waited (then 409, and nothing is sent).
      const now = this.engine.target('send DTMF to', ['active'], call.id)
      await this.#drive(async () => this.driver.dtmf!(now, digits))
    } finally {
      done()
      if (--queue.size === 0) this.#dtmfQueues.delete(call.id)
    }

    return this.engine.get(call.id) ?? call
  }

  readonly #dtmfQueues = new Map<string, {tail: Promise<void>; size: number}>()

  async mute(muted: boolean, id?: string): Promise<Call> {
    this.#require('mute')
    const call = this.engine.target(muted ? 'mute' : 'unmute', ['active', 'held'], id)
    await this.#drive(async () => this.driver.mute!(call, muted))
    return this.engine.get(call.id) ?? call
  }

  /** Call waiting: the active calls other than `id` go on hold, when configured and the driver can. */
  async #holdOthers(id: string): Promise<void> {
    if (!this.holdOnAnswer || !this.driver.capabilities.has('hold')) return
    for (const other of this.engine.activeOthers(id)) {
      await this.#drive(async () => this.driver.hold!(other))
    }
  }

  async end(id?: string): Promise<Call> {
    this.#require('end')
    const call = this.engine.endable(id)
    await this.#drive(() => this.driver.end(call))
    return this.engine.get(call.id) ?? call
  }

  /** Drivers without a reachability hook have nothing to lose and count as connected. */
  reachability(): DriverStatus {
    const {state, detail} = this.driver.reachability?.() ?? {state: 'connected', detail: ''}
    return {name: this.driver.name, state, detail}
  }

  status(): {driver: DriverStatus; capabilities: string[]; calls: StatusCall[]; recent: Call[]} {
    const driver = this.reachability()
    const live = this.engine.live()
    return {
      driver,
      capabilities: [...this.driver.capabilities],
      calls:
        driver.state === 'connected'
          ? live
          : live.map((call) => ({...call, state: 'unknown' as const, lastKnownState: call.state})),
      recent: this.engine.recent().slice(0, 10),
    }
  }

  /** A phone, softphone hook or script reports a call event (`callctl notify`). */
  notify(type: CallEventType, details: CallDetails & {reason?: string; to?: string}): Call {
    const {reason, to: _to, ...rest} = details
    // Any caller ID is taken (`anonymous`, `sip:alice@pbx`): the engine cleans it, and a number is normalised there.
    const call = {...rest, number: rest.number === undefined ? undefined : callerId(rest.number)}
    switch (type) {
      case 'incoming': {
        return this.engine.incoming(call)
      }

      case 'outgoing': {
        return this.engine.outgoing(call)
      }

      case 'active': {
        return this.engine.activate(this.engine.activatable(call.id, call.number).id)
      }

      case 'updated': {
        // With `--call`, a number is the call's new one; without, it names the call (see CallEngine.updatable).
        if (call.id !== undefined) return this.engine.update(call.id, {...call, id: undefined})
        const {call: target, numbered} = this.engine.updatable(call.number)
        return this.engine.update(target.id, {...call, number: numbered ? undefined : call.number})
      }

      case 'held': {
        return this.engine.hold(this.engine.target('hold', ['active'], call.id, call.number).id)
      }

      case 'resumed': {
        return this.engine.resume(this.engine.target('resume', ['held'], call.id, call.number).id)
      }

      case 'transferred': {
        // `{TRANSFERTO}` is a number, as a transfer made by callctl gives it: what is reported is held to that.
        let to: string
        try {
          to = normalizeNumber(details.to ?? '')
        } catch {
          throw new RequestError(
            `Invalid to=${JSON.stringify((details.to ?? '').slice(0, 40))}: give the number the call was transferred to (${NUMBER_RULE})`,
            'ERR_INVALID_NUMBER',
            400,
            ['Example: /notify/transferred?to=0201234567'],
          )
        }

        return this.engine.transferred(this.engine.target('transfer', ['active', 'held'], call.id, call.number).id, to)
      }

      case 'end': {
        // The number a hook passes (MicroSIP's cmdCallEnd) names the call: with a second call waiting, the one
        // answered last is not necessarily the one that ended. A plain `end` leaves how it went to the engine.
        return this.engine.finish(this.engine.endable(call.id, call.number).id, reason ?? 'reported')
      }

      case 'missed':
      case 'rejected': {
        // Only a ringing incoming call ends missed or rejected: never an answered one, nor one we made.
        const ended = this.engine.answerable(call.id, `end as ${type}`, call.number)
        return this.engine.finish(ended.id, reason ?? 'reported', type)
      }
    }
  }

  #require(capability: Capability): void {
    if (!this.driver.capabilities.has(capability))
      throw notSupported(
        this.driver.name,
        capability,
        this.#driversThatCan(capability).filter((name) => name !== this.driver.name),
      )
  }

  /** Resolves once no driver command is in flight (at once if none is). */
  async whenIdle(): Promise<void> {
    if (this.#inFlight === 0) return
    await new Promise<void>((resolve) => this.#idle.push(resolve))
  }

  #inFlight = 0
  readonly #idle: Array<() => void> = []

  async #drive<T>(action: () => Promise<T>): Promise<T> {
    this.#inFlight++
    try {
      return await action()
    } catch (error) {
      if (error instanceof CallctlError) throw error
      throw new DriverError(this.driver.name, (error as Error).message, {cause: error})
    } finally {
      if (--this.#inFlight === 0) for (const resolve of this.#idle.splice(0)) resolve()
    }
  }
}

/**
 * A SIP address the driver cannot dial. A `sips:` one no driver dials (baresip 1.0 would call another address, see
 * its driver): pointing at baresip would send the user there for nothing.
 */
export function cannotDialSip(name: string, address: string, drivers: string[]): DriverError {
  if (!/^sips:/i.test(address))
    return notSupported(
      name,
      'sip',
      drivers.filter((other) => other !== name),
    )
  return new DriverError(name, 'this driver cannot dial SIP addresses, and no driver dials sips: ones', {
    code: 'ERR_NOT_SUPPORTED',
    status: 501,
    suggestions: ['Dial its sip: form if a call without TLS will do'],
  })
}

/** 501: the driver `name` cannot do `capability`; `others` can. `callctl dial` says the same before starting a listener. */
export function notSupported(name: string, capability: Capability, others: string[]): DriverError {
  const what =
    capability === 'dtmf'
      ? 'send DTMF to calls'
      : capability === 'mute'
        ? 'mute or unmute calls'
        : capability === 'sip'
          ? 'dial SIP addresses (a sip: URI whose user part is not a number)'
          : `${capability} calls`
  const can = others.length > 0 ? `; drivers that can: ${others.join(', ')}` : ''
  return new DriverError(name, `this driver cannot ${what}${can}`, {
    code: 'ERR_NOT_SUPPORTED',
    status: 501,
    suggestions: others.length > 0 ? ['Change the driver with callctl config set driver.name <name>'] : [],
  })
}
