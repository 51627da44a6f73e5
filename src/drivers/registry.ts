import {s} from '../config/schema.js'
import {applescriptDriver} from './applescript.js'
import {baresipDriver} from './baresip/index.js'
import {commandDriver} from './command.js'
import type {SettingChecks, SettingsSlice} from '../config/settings.js'
import type {DriverModule} from './driver-module.js'
import type {Capability} from '../engine/driver.js'
import {simDriver} from './sim.js'
import {uriDriver} from './uri.js'

/** Every driver callctl has. Adding one is its own file and one entry here. */
export const DRIVERS = [simDriver, baresipDriver, commandDriver, uriDriver, applescriptDriver] as const

export const DRIVER_NAMES = DRIVERS.map((driver) => driver.name)

/** `driver`: which one runs (`name`), and each driver's own settings under its name. */
export function driverSettingsOf<const D extends DriverModule<string, object>>(drivers: readonly D[]) {
  return s.object({
    name: s.oneOf(
      drivers.map((driver) => driver.name),
      {default: 'sim', description: 'the phone backend'},
    ),
    ...(Object.fromEntries(drivers.map((driver) => [driver.name, driver.settings])) as {
      [M in D as M['name']]: M['settings']
    }),
  })
}

export const driverSettings = driverSettingsOf(DRIVERS)

/** Each driver's checks under `driver.<name>.<setting>`, for `config set` and `doctor`. */
export const driverChecks: SettingChecks = Object.fromEntries(
  DRIVERS.flatMap((driver: DriverModule<string, object>) =>
    Object.entries(driver.checks ?? {}).map(([key, check]) => [`driver.${driver.name}.${key}`, check]),
  ),
)

export const driverSlice: SettingsSlice = {properties: {driver: driverSettings}, checks: async () => driverChecks}

export function driverModule(name: string): DriverModule<string, object> | undefined {
  return DRIVERS.find((driver) => driver.name === name) as DriverModule<string, object> | undefined
}

/** The drivers that can do `capability`, each with what it needs for it: `command (driver.command.<action> set)`. */
export function driversThatCan(capability: Capability): string[] {
  return DRIVERS.filter((driver: DriverModule<string, object>) => driver.capabilities.includes(capability)).map(
    (driver: DriverModule<string, object>) =>
      driver.capabilitiesNote ? `${driver.name} (${driver.capabilitiesNote})` : driver.name,
  )
}
