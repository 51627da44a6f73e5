import {defaultsOf} from '../../src/config/schema.js'
import {schemaProblems} from '../../src/config/validate.js'
import type {DriverModule} from '../../src/drivers/driver-module.js'
import {reporterFor} from '../../src/engine/control.js'
import type {Driver, DriverContext} from '../../src/engine/driver.js'
import {CallEngine} from '../../src/engine/engine.js'
import type {CallEvent} from '../../src/engine/call.js'

export interface ContractHarness<S extends object> {
  module: DriverModule<string, S>
  /** Builds the driver under test (default: the module's own `create`), e.g. with what cannot run here recorded. */
  factory?: (context: DriverContext<S>) => Driver | Promise<Driver>
  /** Over the module's defaults, as the config would give them. */
  settings?: Partial<S>
  /** Waits until the driver has reported the remote's answer of an outgoing call, where it can. */
  settle?: () => Promise<void>
}

/** A driver's settings as the listener hands them over: the given ones over the module's defaults. */
export function settingsOf<S extends object>(module: DriverModule<string, S>, settings: Partial<S> = {}): S {
  return {...(defaultsOf(module.settings) as S), ...settings}
}

/**
 * What every driver promises, run against each one (unstorage's testDriver()): it declares its capabilities, reports
 * the calls it makes through the engine, and closes idempotently.
 */
export function testDriverContract<S extends object>(name: string, harness: () => Promise<ContractHarness<S>>) {
  describe(`driver contract: ${name}`, () => {
    let engine: CallEngine
    let module: DriverModule<string, S>
    let driver: Driver
    let events: CallEvent[]
    let settle: () => Promise<void>

    beforeEach(async () => {
      const h = await harness()
      engine = new CallEngine()
      events = []
      engine.subscribe((event) => events.push(event))
      module = h.module
      driver = await (h.factory ?? h.module.create)({
        reporter: reporterFor(engine),
        settings: settingsOf(h.module, h.settings),
        log: () => {},
      })
      settle = h.settle ?? (async () => {})
      await driver.init?.()
    })
    afterEach(async () => {
      await driver.close?.()
    })

    test('is one module: its name, settings whose defaults pass its own schema, and a driver of that name', () => {
      expect(module.name).toBe(name)
      expect(module.settings.type).toBe('object')
      expect(schemaProblems(module.settings, defaultsOf(module.settings), `driver.${name}`)).toEqual([])
      expect(driver.name).toBe(name)
    })

    test('has its name and declares capabilities', () => {
      expect(driver.name).toBe(name)
      for (const capability of driver.capabilities) expect(['make', 'answer', 'end']).toContain(capability)
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

    test('close can be called twice', async () => {
      await driver.close?.()
      await driver.close?.()
    })
  })
}
