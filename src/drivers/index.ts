import {RequestError} from '../errors.js'
import type {DriverFactory} from './types.js'

/** Loaded on demand, so that a driver's dependencies cost nothing to users of another driver. */
const drivers: Record<string, () => Promise<DriverFactory>> = {
  sim: async () => (await import('./sim.js')).createSimDriver,
  baresip: async () => (await import('./baresip/index.js')).createBaresipDriver,
  command: async () => (await import('./command.js')).createCommandDriver,
  uri: async () => (await import('./uri.js')).createUriDriver,
  applescript: async () => (await import('./applescript.js')).createAppleScriptDriver,
}

export const DRIVER_NAMES = Object.keys(drivers)

export async function loadDriver(name: string): Promise<DriverFactory> {
  const load = drivers[name]
  if (!load) {
    throw new RequestError(`Unknown driver "${name}"; available: ${DRIVER_NAMES.join(', ')}`, 'ERR_UNKNOWN_DRIVER')
  }

  return load()
}
