import {simDriver} from '../../src/drivers/sim.js'
import {reporterFor} from '../../src/engine/control.js'
import {CallEngine} from '../../src/engine/engine.js'
import {settingsOf, testDriverContract} from './contract.js'

testDriverContract('sim', async () => ({module: simDriver, settings: {answerAfterMs: 0}}))

describe('sim driver', () => {
  test('an incoming call answered through the driver becomes active; a remote hangup follows hangupAfterMs', async () => {
    const engine = new CallEngine()
    const types: string[] = []
    engine.subscribe((event) => types.push(`${event.type}:${event.call.endReason ?? ''}`))
    const driver = await simDriver.create({
      reporter: reporterFor(engine),
      settings: settingsOf(simDriver, {hangupAfterMs: 10}),
      log: () => {},
    })
    const call = engine.incoming({number: '1'})
    await driver.answer(call)
    await new Promise((resolve) => setTimeout(resolve, 60))
    expect(types).toEqual(['incoming:', 'active:', 'end:remote hangup'])
    await driver.close?.()
  })

  test('a call ended elsewhere before the simulated answer does not crash the timer', async () => {
    const engine = new CallEngine()
    const driver = await simDriver.create({
      reporter: reporterFor(engine),
      settings: settingsOf(simDriver, {answerAfterMs: 10}),
      log: () => {},
    })
    const call = await driver.make('1')
    engine.finish(call.id, 'reported')
    await new Promise((resolve) => setTimeout(resolve, 40))
    expect(engine.get(call.id)?.state).toBe('ended')
    await driver.close?.()
  })
})
