import {s} from '../config/schema.js'
import {applescriptDriver} from './applescript.js'
import {baresipDriver} from './baresip/index.js'
import {commandDriver} from './command.js'
import type {DriverModule} from './driver-module.js'
import {simDriver} from './sim.js'
import {uriDriver} from './uri.js'

/** Every driver callctl has. Adding one is its own file and one entry here. */
export const DRIVERS = [simDriver, baresipDriver, commandDriver, uriDriver, applescriptDriver] as const

type Drivers = (typeof DRIVERS)[number]
export type DriverName = Drivers['name']
export const DRIVER_NAMES = DRIVERS.map((driver) => driver.name)

/** `driver`: which one runs (`name`), and each driver's own settings under its name. */
export const driverSettings = s.object({
  name: s.oneOf(DRIVER_NAMES, {default: 'sim', description: 'the phone backend'}),
  ...(Object.fromEntries(DRIVERS.map((driver) => [driver.name, driver.settings])) as {[D in Drivers as D['name']]: D['settings']}),
})

export function driverModule(name: string): DriverModule<string, object> | undefined {
  return DRIVERS.find((driver) => driver.name === name) as DriverModule<string, object> | undefined
}
