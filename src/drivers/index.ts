import {RequestError} from '../errors.js'
import type {DriverFactory} from './types.js'

/** Loaded on demand, so that a driver's dependencies cost nothing to users of another driver. */
const drivers: Record<string, () => Promise<DriverFactory>> = {
  sim: async () => (await import('./sim.js')).createSimDriver,
}

export const DRIVER_NAMES = Object.keys(drivers)

export async function loadDriver(name: string): Promise<DriverFactory> {
  const load = drivers[name]
  if (!load) {
    throw new RequestError(`Unknown driver "${name}"; available: ${DRIVER_NAMES.join(', ')}`, 'ERR_UNKNOWN_DRIVER')
  }

  return load()
}
