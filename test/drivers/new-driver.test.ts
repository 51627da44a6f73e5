import {s} from '../../src/config/schema.js'
import {Settings} from '../../src/config/settings.js'
import {DRIVERS, driverSettingsOf} from '../../src/drivers/registry.js'
import {echoDriver} from '../fixtures/drivers/echo.js'
import {testDriverContract} from './contract.js'

// What adding a driver takes: one file (test/fixtures/drivers/echo.ts) and one entry in the registry's list.
testDriverContract('echo', async () => ({module: echoDriver}))

describe('a new driver, registered', () => {
  const settings = new Settings(s.object({driver: driverSettingsOf([...DRIVERS, echoDriver])}), [])

  test('its name becomes a choice of driver.name, and its settings live under driver.<name> with their defaults', () => {
    expect(settings.effective({driver: {name: 'echo', echo: {prefix: '9'}}})).toMatchObject({
      driver: {name: 'echo', echo: {prefix: '9'}},
    })
    expect(settings.defaults).toMatchObject({driver: {name: 'sim', echo: {prefix: ''}, sim: {answerAfterMs: 1000}}})
  })

  test('its settings are checked like every other', () => {
    expect(() => settings.effective({driver: {echo: {prefix: 1}}})).toThrow('driver.echo.prefix must be string')
    expect(() => settings.effective({driver: {name: 'nope'}})).toThrow(
      'driver.name must be one of sim, baresip, command, uri, applescript, echo',
    )
  })
})
