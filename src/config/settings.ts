import {ConfigError} from '../errors.js'
import {FileTooLarge, NotARegularFile, readRegularFile} from '../os/regular-file.js'
import {configFile} from './paths.js'
import {defaultsOf, type SchemaNode} from './schema.js'
import {schemaProblems} from './validate.js'

const {realpathSync, renameSync, rmSync, writeFileSync} = process.getBuiltinModule('node:fs')

/** A config of settings is a few kilobytes: anything far larger is not one (and is not read into memory). */
const MAX_CONFIG_BYTES = 1024 * 1024

/**
 * Checks a JSON schema cannot express (an unknown template variable, two commands on one URL segment), by dotted
 * key: return or throw the problem. `config` is the effective config with the new value not yet in it.
 */
export type SettingChecks = Record<string, (value: unknown, config: object) => string | undefined | void>

/**
 * A feature's part of the config: its top-level keys, the checks `config set` runs (loaded only then), and the keys
 * a running listener cannot take without a restart (every other change applies while it runs).
 */
export interface SettingsSlice {
  properties: Record<string, SchemaNode>
  checks?: () => Promise<SettingChecks>
  restart?: readonly string[]
}

/** Settings that moved: the old dotted prefix and the new one (`{sim: 'driver.sim'}`). */
export type MovedKeys = Record<string, string>

/** What the file holds now, after migrations, and what they did. */
export interface StoredConfig {
  stored: unknown
  migrated: string[]
}

type Plain = Record<string, unknown>

function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Stored values over defaults, object by object (arrays and scalars replace). */
export function mergeDefaults<T>(defaults: T, stored: unknown): T {
  if (!isPlain(defaults) || !isPlain(stored)) return (stored === undefined ? defaults : stored) as T
  const merged: Plain = {...defaults}
  for (const [key, value] of Object.entries(stored)) {
    // Defined, not assigned: a "__proto__" key from a file must never become the object's prototype.
    Object.defineProperty(merged, key, {
      value: mergeDefaults(Object.hasOwn(merged, key) ? merged[key] : undefined, value),
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }

  return merged as T
}

/**
 * The whole config, put together from the features' slices (src/settings.ts does that): load, migrate, validate,
 * merge over the defaults. It knows no feature: what a key means is the slice's business.
 */
export class Settings<Config> {
  readonly defaults: Config

  constructor(
    readonly root: SchemaNode,
    private readonly slices: SettingsSlice[],
    private readonly moved: MovedKeys = {},
  ) {
    this.defaults = defaultsOf(root) as Config
  }

  /**
   * The effective config, checked against the schema: what `callctl listen` and every forwarding command run with,
   * so that a bad value is reported as such rather than as a failure it causes (`"port": "abc"` is not "no
   * listener"). Checked by hand and without conf: a forwarding command's start-up time is its budget.
   */
  load(file = configFile()): Config {
    return this.effective(this.read(file).stored, file)
  }

  /** The file's JSON after migrations: `{}` when there is no file. */
  read(file = configFile()): StoredConfig {
    let text: string
    try {
      // Never waits on what is put in its place (a FIFO would hang every command), nor reads /dev/zero for ever.
      text = readRegularFile(file, MAX_CONFIG_BYTES)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {stored: {}, migrated: []}
      if (error instanceof NotARegularFile)
        throw new ConfigError(`The config file ${file} is not a regular file`, [
          `Replace it with a file: mv ${file} ${file}.old`,
        ])
      if (error instanceof FileTooLarge) {
        throw new ConfigError(
          `The config file ${file} is too large for a config (${error.size} bytes; at most ${MAX_CONFIG_BYTES})`,
          [`Move it away: mv ${file} ${file}.old`],
        )
      }

      throw new ConfigError(
        `Cannot read the config file ${file}: ${(error as Error).message}`,
        [`Check that it is a file you can read: ls -l ${file}`],
        error,
      )
    }

    let stored: unknown
    try {
      stored = JSON.parse(text)
    } catch (error) {
      throw new ConfigError(
        `The config file ${file} is not valid JSON: ${(error as Error).message}`,
        ['Fix the file by hand, or move it away to start from the defaults'],
        error,
      )
    }

    try {
      return this.migrate(stored)
    } catch (error) {
      throw tooDeep(error, file)
    }
  }

  /** An older shape of the file read as the current one: moved settings are moved (a value at the new place wins). */
  migrate(stored: unknown): StoredConfig {
    if (!isPlain(stored)) return {stored, migrated: []}
    const copy = structuredClone(stored)
    const migrated: string[] = []
    for (const [from, to] of Object.entries(this.moved)) {
      // Only where the new place can take it: a file whose `driver` is not an object stays as it is, and invalid.
      const parent = valueAt(copy, to.split('.').slice(0, -1).join('.'))
      if (valueAt(copy, from) === undefined || (parent !== undefined && !isPlain(parent))) continue
      const old = take(copy, from)
      put(copy, to, mergeDefaults(old, valueAt(copy, to)))
      migrated.push(`moved the settings under "${from}" to "${to}"`)
    }

    return {stored: copy, migrated}
  }

  /** The current name of a dotted key that may use an old one (`sim.answerAfterMs` → `driver.sim.answerAfterMs`). */
  currentKey(key: string): string {
    for (const [from, to] of Object.entries(this.moved)) {
      if (key === from || key.startsWith(`${from}.`)) return to + key.slice(from.length)
    }

    return key
  }

  /** Writes a migrated file back, so that the migration (and its log line) happens once. Atomic: no partial file. */
  persist(file: string, stored: unknown): void {
    // Through a symlink (a config kept with the user's dotfiles) to the file it points at, which stays a link.
    const target = realpathSync(file)
    const temporary = `${target}.${process.pid}.tmp`
    try {
      writeFileSync(temporary, `${JSON.stringify(stored, null, '\t')}\n`, {mode: 0o600, flush: true})
      renameSync(temporary, target)
    } catch (error) {
      rmSync(temporary, {force: true})
      throw error
    }
  }

  /** Stored values over the defaults; refuses a file that breaks the schema, naming every problem. */
  effective(stored: unknown, file = configFile()): Config {
    let problems: string[]
    try {
      problems = schemaProblems(this.root, stored, '')
    } catch (error) {
      throw tooDeep(error, file)
    }

    if (problems.length > 0) {
      throw new ConfigError(`The config file ${file} is invalid: ${problems.join('; ')}`, [
        'Fix it with `callctl config set` or `callctl config unset`, or edit the file by hand',
      ])
    }

    return mergeDefaults(this.defaults, stored)
  }

  /** Whether a running listener needs a restart to take this (dotted) key. */
  needsRestart(key: string): boolean {
    const top = this.currentKey(key).split('.')[0]
    return this.slices.some((slice) => slice.restart?.includes(top))
  }

  /** What the slices' checks find in a whole config (for `doctor`): each problem in words, none when it is fine. */
  async problems(config: Config): Promise<string[]> {
    const found: string[] = []
    for (const [key, check] of Object.entries(await this.checks())) {
      const value = valueAt(config, key)
      if (value === undefined) continue
      try {
        const problem = check(value, config as object)
        if (problem) found.push(problem)
      } catch (error) {
        if (error instanceof ConfigError) found.push(error.message)
      }
    }

    return found
  }

  /** Every slice's checks, keyed by dotted setting. */
  async checks(): Promise<SettingChecks> {
    const loaded = await Promise.all(this.slices.map(async (slice) => (await slice.checks?.()) ?? {}))
    return Object.assign({}, ...loaded) as SettingChecks
  }
}

/** JSON nested thousands of levels deep exhausts the stack of anything that walks it: a config error, not a crash. */
function tooDeep(error: unknown, file: string): unknown {
  return (error as Error)?.name === 'RangeError'
    ? new ConfigError(`The config file ${file} is invalid: nested too deeply`, ['Fix the file by hand'])
    : error
}

/** The value at a dotted key, or undefined. */
export function valueAt(stored: unknown, key: string): unknown {
  return key.split('.').reduce<unknown>((node, part) => (isPlain(node) ? node[part] : undefined), stored)
}

function take(stored: Plain, key: string): unknown {
  const parts = key.split('.')
  const last = parts.pop()!
  const parent = parts.length === 0 ? stored : valueAt(stored, parts.join('.'))
  if (!isPlain(parent) || !(last in parent)) return undefined
  const value = parent[last]
  delete parent[last]
  return value
}

function put(stored: Plain, key: string, value: unknown): void {
  const parts = key.split('.')
  let node = stored
  for (const part of parts.slice(0, -1)) {
    if (!isPlain(node[part])) node[part] = {}
    node = node[part] as Plain
  }

  node[parts.at(-1)!] = value
}
