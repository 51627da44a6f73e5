import {reporterFor} from '../../src/engine/control.js'
import {CallEngine} from '../../src/engine/engine.js'
import type {CallEvent} from '../../src/engine/call.js'
import type {Driver, DriverFactory} from '../../src/drivers/types.js'

export interface ContractHarness {
  /** Builds the driver under test with the given options. */
  factory: DriverFactory
  options?: Record<string, unknown>
  /** Waits until the driver has reported the remote's answer of an outgoing call, where it can. */
  settle?: () => Promise<void>
}

/**
 * What every driver promises, run against each one (unstorage's testDriver()): it declares its capabilities, reports
 * the calls it makes through the engine, and closes idempotently.
 */
export function testDriverContract(name: string, harness: () => Promise<ContractHarness>) {
  describe(`driver contract: ${name}`, () => {
    let engine: CallEngine
    let driver: Driver
    let events: CallEvent[]
    let settle: () => Promise<void>

    beforeEach(async () => {
      const h = await harness()
      engine = new CallEngine()
      events = []
      engine.subscribe((event) => events.push(event))
      driver = h.factory({reporter: reporterFor(engine), options: h.options ?? {}, log: () => {}})
      settle = h.settle ?? (async () => {})
      await driver.init?.()
    })
    afterEach(async () => {
      await driver.close?.()
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
