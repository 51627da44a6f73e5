import {ConfigError} from '../errors.js'
import {configFile} from './paths.js'
import {type Config, CONFIG_ROOT, DEFAULTS} from './schema.js'
import {schemaProblems} from './validate.js'

// Not `import … from 'node:fs'`: building the ES module namespace of node:fs reads every export, which loads its
// streams and promises (about 10 ms, most of a forwarding command's own time: see bench/).
const {readFileSync} = process.getBuiltinModule('node:fs')

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
 * The effective config, checked against the schema: what `callctl listen` and every forwarding command run with, so
 * that a bad value is reported as such rather than as a failure it causes (`"port": "abc"` is not "no listener").
 * Checked by hand and without conf: a forwarding command's start-up time is its budget.
 */
export function loadConfig(file = configFile()): Config {
  const stored = readStored(file)
  assertValid(stored, file)
  return mergeDefaults(DEFAULTS, stored)
}

/** Refuses a config file that breaks the schema, naming every problem. */
export function assertValid(stored: unknown, file: string): void {
  const problems = schemaProblems(CONFIG_ROOT, stored, '')
  if (problems.length > 0) {
    throw new ConfigError(`The config file ${file} is invalid: ${problems.join('; ')}`, [
      'Fix it with `callctl config set` or `callctl config unset`, or edit the file by hand',
    ])
  }
}

function readStored(file: string): unknown {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new ConfigError(`Cannot read the config file ${file}: ${(error as Error).message}`, [], error)
  }

  try {
    return JSON.parse(text)
  } catch (error) {
    throw new ConfigError(
      `The config file ${file} is not valid JSON: ${(error as Error).message}`,
      [`Fix the file by hand, or move it away to start from the defaults`],
      error,
    )
  }
}
