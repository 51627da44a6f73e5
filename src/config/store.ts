import type Conf from 'conf'

import {ConfigError} from '../errors.js'
import {configDir, configFile, PROJECT_NAME} from './paths.js'
import {describeNode, redactSecrets, type SchemaNode, schemaAt, settingKeys} from './schema.js'
import {mergeDefaults, type SettingChecks, type Settings, valueAt} from './settings.js'
import {schemaProblems} from './validate.js'

const {randomBytes} = process.getBuiltinModule('node:crypto')
const {closeSync, mkdirSync, openSync, rmSync, statSync} = process.getBuiltinModule('node:fs')

/** How long a change waits for another one to finish, and when a lock file is taken for left by a killed process. */
const LOCK_WAIT_MS = 5000
const STALE_LOCK_MS = 10_000

/** Keys whose value is a secret `config set --generate` can make. */
const GENERATED = new Set(['security.token'])

/**
 * The config file, read and written through conf: every write is validated against the schema first and written
 * atomically, so a refused value leaves the file as it was.
 */
export class ConfigStore<Config = unknown> {
  private constructor(
    private readonly conf: Conf<Record<string, unknown>>,
    private readonly settings: Settings<Config>,
    private readonly checks: SettingChecks,
  ) {}

  static async open<Config>(settings: Settings<Config>): Promise<ConfigStore<Config>> {
    // conf pulls in ajv: loaded only by the commands that read or write the whole config.
    const {default: Conf} = await import('conf')
    const checks = await settings.checks()
    // conf would take a file holding `[]` or `null` as empty: it is as broken for config list as for listen.
    const {stored} = settings.read(configFile())
    if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) settings.effective(stored, configFile())
    try {
      // conf would create the folder readable by everyone (0755). An existing folder keeps its mode: it is the
      // user's, and `callctl doctor` warns when others can read it.
      mkdirSync(configDir(), {recursive: true, mode: 0o700})
      const conf = new Conf<Record<string, unknown>>({
        projectName: PROJECT_NAME,
        projectSuffix: '',
        // One definition of the folder for conf and for the forwarding commands, which read the file without conf.
        cwd: configDir(),
        // No conf schema (ajv): src/config/validate.ts checks, here and in `callctl listen`, with the same rules.
        // The file may hold a token: readable by its owner only.
        configFileMode: 0o600,
      })
      const store = new ConfigStore(conf, settings, checks)
      store.stored() // conf reads lazily: surface a file that is not JSON here, not halfway through a command
      return store
    } catch (error) {
      throw translate(error, configFile())
    }
  }

  get path(): string {
    return this.conf.path
  }

  /** What the user set, without defaults (an older shape of the file read as the current one). */
  stored(): Record<string, unknown> {
    try {
      return this.settings.migrate(this.conf.store).stored as Record<string, unknown>
    } catch (error) {
      throw translate(error, this.conf.path)
    }
  }

  /** What callctl runs with: the user's values over the defaults. Refuses a file that breaks the schema. */
  effective(): Config {
    return this.settings.effective(this.stored(), this.conf.path)
  }

  /** Whether a running listener takes a change of this key only when it restarts (else it applies it at once). */
  needsRestart(key: string): boolean {
    return this.settings.needsRestart(key)
  }

  /** Every setting with its effective value, and whether the file sets it (`config list`); secrets hidden unless `reveal`. */
  list({reveal = false} = {}): Array<{key: string; value: unknown; set: boolean}> {
    const stored = this.stored()
    const effective = this.effective()
    return this.keys().map((key) => ({
      key,
      value: this.shown(key, valueAt(effective, key), reveal),
      set: valueAt(stored, key) !== undefined,
    }))
  }

  /** The effective config as `config list --json` shows it: secrets hidden unless `reveal`. */
  view({reveal = false} = {}): Config {
    const effective = this.effective()
    return reveal ? effective : (redactSecrets(this.settings.root, effective) as Config)
  }

  /** Every settable key, dotted. */
  keys(): string[] {
    return settingKeys(this.settings.root)
  }

  /** One setting's effective value; secrets hidden unless `reveal`. */
  get(key: string, {reveal = false} = {}): unknown {
    key = this.settings.currentKey(key)
    this.leafSchema(key)
    return this.shown(key, valueAt(this.effective(), key), reveal)
  }

  /**
   * After a `set`: the value as `config set` prints it (secrets hidden), and what else in the file is wrong, if
   * anything. The value was written either way: the file is fixed one key at a time.
   */
  afterSet(key: string, value: unknown): {shown: unknown; otherProblems?: ConfigError} {
    const shown = this.shown(this.settings.currentKey(key), value, false)
    try {
      this.effective()
      return {shown}
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      return {shown, otherProblems: error}
    }
  }

  private shown(key: string, value: unknown, reveal: boolean): unknown {
    return reveal ? value : redactSecrets(schemaAt(this.settings.root, key), value)
  }

  /** Sets a key from its text form (as typed on the command line), converted by what the key takes. */
  setText(key: string, text: string | undefined): unknown {
    if (text === undefined) throw new ConfigError(`No value given for ${key}`, [`callctl config set ${key} VALUE`])
    const value = parseValue(key, this.leafSchema(this.settings.currentKey(key)), text)
    this.set(key, value)
    return value
  }

  /** `--generate`: a new random secret, for the keys that hold one. */
  setGenerated(key: string, text: string | undefined): string {
    if (!GENERATED.has(key)) {
      throw new ConfigError(`--generate works for ${[...GENERATED].join(', ')}, not for ${key}`)
    }

    if (text !== undefined) throw new ConfigError(`Give either a value or --generate for ${key}, not both`)
    const value = randomBytes(32).toString('base64url')
    this.set(key, value)
    return value
  }

  /** `key` as the user wrote it (maybe an older name, which is still understood) is what messages name. */
  set(key: string, value: unknown): void {
    const current = this.settings.currentKey(key)
    const node = this.leafSchema(current)
    // Only this key's problems: a file broken elsewhere must still be fixable with `config set`.
    const problems = schemaProblems(node, value, key)
    if (problems.length > 0)
      throw new ConfigError(`Invalid value for ${key}: ${problems.join('; ')}; ${key} takes ${describeNode(node)}`)
    const check = this.checks[current]
    try {
      // The stored values over the defaults, unchecked: a file broken elsewhere must not block this check.
      const problem = check?.(value, mergeDefaults(this.settings.defaults, this.stored()) as object)
      if (problem) throw new ConfigError(`Invalid value for ${key}: ${problem}`)
    } catch (error) {
      // A value of the wrong shape is the schema's to report (above), with the key and what it takes.
      if (error instanceof ConfigError) throw error
    }

    this.locked(() => {
      this.migrateFile()
      this.conf.set(current, value)
    })
  }

  unset(key: string): void {
    // A key that is not a setting but is in the file (a typo made by hand) may always be removed.
    if (!schemaAt(this.settings.root, key) && this.conf.has(key)) {
      this.locked(() => this.conf.delete(key))
      return
    }

    const current = this.settings.currentKey(key)
    this.leafSchema(current)
    this.locked(() => {
      this.migrateFile()
      this.conf.delete(current)
    })
  }

  /**
   * A change reads the whole file and writes it back: two `config set` at once (a setup script's `&`) each wrote the
   * file as they had read it, and one change was lost while both said it was made. One at a time, by a lock file next
   * to the config; one left by a killed process is taken over after a while.
   */
  private locked(change: () => void): void {
    const lock = `${this.conf.path}.lock`
    const sleeper = new Int32Array(new SharedArrayBuffer(4))
    for (const deadline = Date.now() + LOCK_WAIT_MS; ;) {
      try {
        closeSync(openSync(lock, 'wx', 0o600))
        break
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw translate(error, lock)
        const age = Date.now() - (statSync(lock, {throwIfNoEntry: false})?.mtimeMs ?? Date.now())
        if (age > STALE_LOCK_MS) rmSync(lock, {force: true})
        else if (Date.now() > deadline)
          throw new ConfigError(`The config file is being changed by another callctl (${lock} is held)`, [
            'Try again in a moment; if no other callctl runs, delete that lock file',
          ])
        else Atomics.wait(sleeper, 0, 0, 20)
      }
    }

    try {
      change()
    } catch (error) {
      throw translate(error, this.conf.path)
    } finally {
      rmSync(lock, {force: true})
    }
  }

  /** A file of an older shape is written in the current one before a change, so the change lands where it is read. */
  private migrateFile(): void {
    if (this.settings.migrate(this.conf.store).migrated.length > 0) this.conf.store = this.stored()
  }

  private leafSchema(key: string): SchemaNode {
    const node = schemaAt(this.settings.root, key)
    if (!node) throw new ConfigError(`Unknown config key "${key}"`, [`Known keys: ${this.keys().join(', ')}`])
    return node
  }
}

function parseValue(key: string, node: SchemaNode, text: string): unknown {
  const refuse = (): never => {
    throw new ConfigError(`Invalid value for ${key}: ${JSON.stringify(text)}; ${key} takes ${describeNode(node)}`)
  }

  switch (node.type) {
    case 'integer':
    case 'number': {
      const value = Number(text)
      if (text.trim() === '' || !Number.isFinite(value)) refuse()
      return value
    }

    case 'boolean': {
      if (text !== 'true' && text !== 'false') refuse()
      return text === 'true'
    }

    case 'array': {
      // Lists of strings may be typed plainly: `a, b` (a JSON array works too).
      if (node.items?.type === 'string' && !text.trim().startsWith('[')) {
        return text
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean)
      }

      try {
        return JSON.parse(text)
      } catch {
        return refuse()
      }
    }

    case 'object': {
      try {
        return JSON.parse(text)
      } catch {
        return refuse()
      }
    }

    default: {
      return text
    }
  }
}

/** conf's own failures (a file that is not JSON, one that cannot be written) in our terms. */
function translate(error: unknown, file?: string): Error {
  if (error instanceof ConfigError) return error
  const message = (error as Error).message ?? String(error)
  if ((error as Error).name === 'SyntaxError') {
    return new ConfigError(`The config file ${file ?? ''} is not valid JSON: ${message}`, [
      'Fix the file by hand, or move it away to start from the defaults',
    ])
  }

  return new ConfigError(`Cannot use the config file ${file ?? ''}: ${message}`, [], error)
}
