import {defaultsOf} from '../../src/config/schema.js'
import {schemaProblems} from '../../src/config/validate.js'
import type {DriverModule} from '../../src/drivers/driver-module.js'
import {reporterFor} from '../../src/engine/control.js'
import {CAPABILITIES, type Driver, type DriverContext} from '../../src/engine/driver.js'
import {CallEngine} from '../../src/engine/engine.js'
import type {CallEvent} from '../../src/engine/call.js'
import {sleep, until} from '../helpers/wait.js'

export interface ContractHarness<S extends object> {
  module: DriverModule<string, S>
  /** Builds the driver under test (default: the module's own `create`), e.g. with what cannot run here recorded. */
  factory?: (context: DriverContext<S>) => Driver | Promise<Driver>
  /** Over the module's defaults, as the config would give them. */
  settings?: Partial<S>
  /** Waits until the driver has reported the remote's answer of an outgoing call, where it can. */
  settle?: (engine: CallEngine) => Promise<void>
  /** Makes the driver's backend fail, for the failure cases declared in the suite's options. */
  faults?: {
    /** The backend disappears (killed, port closed) while a call is up. */
    gone?: () => Promise<void>
    /** The backend stops answering but keeps its connection (hung). */
    stall?: () => Promise<void>
    /** The backend sends bytes that are not its protocol. */
    garbage?: () => Promise<void>
  }
  /** How long the driver's own timers may still run after a command failed (its dial timeout): the test waits them out. */
  quietMs?: number
  /** Stops what the harness started (servers, processes). */
  close?: () => Promise<void>
}

export interface ContractOptions {
  /** The suite's title when one driver runs against several backends (`baresip, real`). */
  label?: string
  /** Failure cases this driver's harness can cause (see ContractHarness.faults). */
  faults?: Array<'gone' | 'stall' | 'garbage'>
  /** False when the harness's other party cannot take a transfer (a callee that does not answer a REFER). */
  transfers?: boolean
}

/** A driver's settings as the listener hands them over: the given ones over the module's defaults. */
export function settingsOf<S extends object>(module: DriverModule<string, S>, settings: Partial<S> = {}): S {
  return {...(defaultsOf(module.settings) as S), ...settings}
}

/**
 * What every driver promises, run against each one (unstorage's testDriver()): it declares its capabilities, reports
 * the calls it makes through the engine, keeps overlapping commands apart, and closes idempotently. A driver with a
 * backend that can fail also shows that a failure is an error for the one command, never a crash or a hang: a
 * promise left to reject unobserved fails the test (jest reports it against the test that was running).
 */
export function testDriverContract<S extends object>(
  name: string,
  harness: () => Promise<ContractHarness<S>>,
  options: ContractOptions = {},
) {
  const faults = new Set(options.faults)
  describe(`driver contract: ${options.label ?? name}`, () => {
    let h: ContractHarness<S>
    let engine: CallEngine
    let module: DriverModule<string, S>
    let driver: Driver
    let events: CallEvent[]
    let settle: () => Promise<void>

    beforeEach(async () => {
      h = await harness()
      engine = new CallEngine()
      events = []
      engine.subscribe((event) => events.push(event))
      module = h.module
      driver = await (h.factory ?? h.module.create)({
        reporter: reporterFor(engine),
        settings: settingsOf(h.module, h.settings),
        log: () => {},
      })
      settle = async () => h.settle?.(engine)
      await driver.init?.()
    })
    afterEach(async () => {
      await driver?.close?.()
      await h?.close?.()
    })

    test('is one module: its name, settings whose defaults pass its own schema, and a driver of that name', () => {
      expect(module.name).toBe(name)
      expect(module.settings.type).toBe('object')
      expect(schemaProblems(module.settings, defaultsOf(module.settings), `driver.${name}`)).toEqual([])
      expect(driver.name).toBe(name)
    })

    test('has its name and declares capabilities', () => {
      expect(driver.name).toBe(name)
      for (const capability of driver.capabilities) expect([...CAPABILITIES, 'sip']).toContain(capability)
      // The module's declaration (for the README and 501 answers) covers what the running driver offers.
      for (const capability of driver.capabilities) expect(h.module.capabilities).toContain(capability)
      // A declared action has its method.
      for (const action of ['reject', 'hold', 'resume', 'transfer', 'dtmf', 'mute'] as const) {
        if (driver.capabilities.has(action)) expect(typeof driver[action]).toBe('function')
      }

      // Dialling a SIP address: its method exactly when declared (the engine calls it only then).
      expect(typeof driver.dialSip).toBe(driver.capabilities.has('sip') ? 'function' : 'undefined')
    })

    test('hold then resume of an answered call report held, resumed', async () => {
      if (!driver.capabilities.has('make') || !driver.capabilities.has('hold')) return
      const made = await driver.make('020123456')
      await settle()
      const call = engine.get(made.id)!
      if (call.state !== 'active') return
      await driver.hold!(call)
      await until(() => engine.get(call.id)?.state === 'held')
      await driver.resume!(engine.get(call.id)!)
      await until(() => engine.get(call.id)?.state === 'active')
      expect(events.map((event) => event.type)).toEqual(expect.arrayContaining(['held', 'resumed']))
    })

    test('transfer of an answered call reports transferred, then the call ends', async () => {
      if (!driver.capabilities.has('make') || !driver.capabilities.has('transfer') || options.transfers === false)
        return
      const made = await driver.make('020123456')
      await settle()
      const call = engine.get(made.id)!
      if (call.state !== 'active') return
      await driver.transfer!(call, '0201111111')
      await until(() => engine.get(call.id)?.state === 'ended')
      expect(events.find((event) => event.type === 'transferred')?.call.transferredTo).toBe('0201111111')
    })

    test('make reports an outgoing call with the number', async () => {
      if (!driver.capabilities.has('make')) return
      const call = await driver.make('020123456')
      expect(call).toMatchObject({direction: 'outgoing', number: '020123456'})
      expect(events[0]).toMatchObject({type: 'outgoing', call: {id: call.id}})
      await settle()
    })

    test('end of a made call reports end', async () => {
      if (!driver.capabilities.has('make') || !driver.capabilities.has('end')) return
      const call = await driver.make('020123456')
      await settle()
      await driver.end(engine.get(call.id)!)
      expect(events.at(-1)).toMatchObject({type: 'end', call: {id: call.id, state: 'ended'}})
    })

    test('overlapping makes each resolve with their own call, reported once each', async () => {
      if (!driver.capabilities.has('make')) return
      const numbers = ['0201111111', '0202222222', '0203333333', '0204444444']
      const calls = await Promise.all(numbers.map(async (number) => driver.make(number)))
      expect(calls.map((call) => call.number)).toEqual(numbers)
      expect(new Set(calls.map((call) => call.id)).size).toBe(numbers.length)
      expect(events.filter((event) => event.type === 'outgoing').map((event) => event.call.id)).toEqual(
        expect.arrayContaining(calls.map((call) => call.id)),
      )
      expect(events.filter((event) => event.type === 'outgoing')).toHaveLength(numbers.length)
    })

    if (faults.has('gone')) {
      test('backend gone mid-call: end and make answer 503 at once, the driver reports itself not connected', async () => {
        const call = await driver.make('020123456')
        await settle()
        await h.faults!.gone!()
        await until(() => driver.reachability?.().state !== 'connected')
        const started = Date.now()
        await expect(driver.end(engine.get(call.id) ?? call)).rejects.toMatchObject({status: 503})
        await expect(driver.make('020123457')).rejects.toMatchObject({status: 503})
        expect(Date.now() - started).toBeLessThan(1000)
        expect(driver.reachability?.()).toMatchObject({state: expect.stringMatching(/^(down|connecting)$/)})
        // Any timer the failed commands left behind would reject now, unobserved.
        await sleep(h.quietMs ?? 0)
      })
    }

    if (faults.has('stall')) {
      test('a backend that stops answering: make fails with 503 after the command timeout, nothing rejects later', async () => {
        await h.faults!.stall!()
        await expect(driver.make('020123456')).rejects.toMatchObject({status: 503})
        expect(driver.reachability?.().state).not.toBe('connected')
        await sleep(h.quietMs ?? 0)
      })
    }

    if (faults.has('garbage')) {
      test('garbage from the backend mid-call: the connection is dropped and made again, then commands work', async () => {
        const call = await driver.make('020123456')
        await settle()
        await h.faults!.garbage!()
        await until(() => driver.reachability?.().state !== 'connected')
        await until(() => driver.reachability?.().state === 'connected')
        const next = await driver.make('020123457')
        expect(next.id).not.toBe(call.id)
        await sleep(h.quietMs ?? 0)
      })
    }

    test('close can be called twice', async () => {
      await driver.close?.()
      await driver.close?.()
    })
  })
}

/** A driver that connects in the background (baresip): its `init` resolves once it is connected, for the contract. */
export function initWhenConnected<D extends Driver>(driver: D): D {
  const init = driver.init?.bind(driver)
  driver.init = async () => {
    await init?.()
    await until(() => driver.reachability?.().state === 'connected')
  }

  return driver
}
