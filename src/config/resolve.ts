import {readFileSync} from 'node:fs'

import {ConfigError} from '../errors.js'
import {configFile} from './paths.js'
import {type Config, DEFAULTS} from './schema.js'

type Plain = Record<string, unknown>

function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Stored values over defaults, object by object (arrays and scalars replace). */
export function mergeDefaults<T>(defaults: T, stored: unknown): T {
  if (!isPlain(defaults) || !isPlain(stored)) return (stored === undefined ? defaults : stored) as T
  const merged: Plain = {...defaults}
  for (const [key, value] of Object.entries(stored)) merged[key] = mergeDefaults(merged[key], value)
  return merged as T
}

/**
 * The effective config, read without conf and its validator: the forwarding commands only need the port and the
 * token, and start-up time is their budget. `callctl listen` validates the whole file through the store.
 */
export function readConfig(file = configFile()): Config {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return mergeDefaults(DEFAULTS, {})
    throw new ConfigError(`Cannot read the config file ${file}: ${(error as Error).message}`, [], error)
  }

  try {
    return mergeDefaults(DEFAULTS, JSON.parse(text))
  } catch (error) {
    throw new ConfigError(
      `The config file ${file} is not valid JSON: ${(error as Error).message}`,
      [`Fix the file by hand, or move it away to start from the defaults`],
      error,
    )
  }
}
