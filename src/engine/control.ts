import {CallctlError, DriverError, RequestError} from '../errors.js'
import type {Capability, Driver, DriverReachability, DriverReporter} from './driver.js'
import type {Call, CallDetails, CallEventType, CallState} from './call.js'
import type {CallEngine} from './engine.js'
import {callerId} from './caller-id.js'
import {normalizeNumber} from './number.js'

/** The engine's transitions, as a driver sees them. */
export function reporterFor(engine: CallEngine): DriverReporter {
  return {
    incoming: (details) => engine.incoming(details),
    outgoing: (details) => engine.outgoing(details),
    active: (id) => engine.activate(id),
    updated: (id, details) => engine.update(id, details),
    ended: (id, reason) => engine.finish(id, reason),
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
export class CallControl {
  constructor(
    readonly engine: CallEngine,
    public driver: Driver,
    /** Throws for numbers that may not be dialled (`numbers.allow` / `numbers.block`). */
    public checkNumber: (number: string) => void = () => {},
  ) {}

  async make(rawNumber: string): Promise<Call> {
    this.#require('make')
    const number = normalizeNumber(rawNumber)
    this.checkNumber(number)
    return this.#drive(() => this.driver.make(number))
  }

  async answer(id?: string): Promise<Call> {
    this.#require('answer')
    const call = this.engine.answerable(id)
    await this.#drive(() => this.driver.answer(call))
    return this.engine.get(call.id) ?? call
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
  notify(type: CallEventType, details: CallDetails & {reason?: string}): Call {
    const {reason, ...rest} = details
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
        return this.engine.activate(call.id ?? this.#pick(call, (c) => c.state !== 'active', 'to mark active'))
      }

      case 'updated': {
        const id = call.id ?? this.#pick({}, (c) => c.state === 'active', 'to update')
        return this.engine.update(id, {...call, id: undefined})
      }

      case 'end': {
        return this.engine.finish(call.id ?? this.engine.endable().id, reason ?? 'reported')
      }
    }
  }

  #pick(details: CallDetails, wanted: (call: Call) => boolean, purpose: string): string {
    const call = this.engine
      .live()
      .find((c) => wanted(c) && (details.number === undefined || c.number === details.number))
    if (!call) {
      const which = details.number === undefined ? '' : ` with number ${details.number}`
      throw new RequestError(`No call${which} ${purpose}; pass the call id`, 'ERR_NO_CALL', 409)
    }

    return call.id
  }

  #require(capability: Capability): void {
    if (!this.driver.capabilities.has(capability)) {
      throw new DriverError(this.driver.name, `this driver cannot ${capability} calls`, {
        code: 'ERR_NOT_SUPPORTED',
        status: 501,
      })
    }
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
