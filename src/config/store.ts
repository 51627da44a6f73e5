import type Conf from 'conf'

import {ConfigError} from '../errors.js'
import {configDir, configFile, PROJECT_NAME} from './paths.js'
import {describeNode, redactSecrets, type SchemaNode, schemaAt, settingKeys} from './schema.js'
import {mergeDefaults, type SettingChecks, type Settings, valueAt} from './settings.js'
import {schemaProblems} from './validate.js'

const {randomBytes} = process.getBuiltinModule('node:crypto')
const {closeSync, mkdirSync, openSync, rmSync, statSync} = process.getBuiltinModule('node:fs')
const {dirname} = process.getBuiltinModule('node:path')

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
    this.update(key, () => value)
  }

  /**
   * Sets a key to what `next` makes of the file as it is now (what the user set, without defaults), read, checked and
   * written under the lock: a change to part of a value (one callback's secret) made from a copy read before the lock
   * would write back the list as it was then, losing what another change wrote meanwhile. Returns the value written.
   */
  update(key: string, next: (stored: Record<string, unknown>) => unknown): unknown {
    const current = this.settings.currentKey(key)
    const node = this.leafSchema(current)
    let value: unknown
    this.locked(() => {
      this.migrateFile()
      const stored = this.stored()
      value = next(stored)
      this.check(key, current, node, value, stored)
      this.conf.set(current, value)
    })
    return value
  }

  private check(key: string, current: string, node: SchemaNode, value: unknown, stored: object): void {
    // Only this key's problems: a file broken elsewhere must still be fixable with `config set`.
    const problems = schemaProblems(node, value, key)
    if (problems.length > 0)
      throw new ConfigError(`Invalid value for ${key}: ${problems.join('; ')}; ${key} takes ${describeNode(node)}`)
    const check = this.checks[current]
    try {
      // The stored values over the defaults, unchecked: a file broken elsewhere must not block this check.
      const problem = check?.(value, mergeDefaults(this.settings.defaults, stored) as object)
      if (problem) throw new ConfigError(`Invalid value for ${key}: ${problem}`)
    } catch (error) {
      // A value of the wrong shape is the schema's to report (above), with the key and what it takes.
      if (error instanceof ConfigError) throw error
    }
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
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
          throw new ConfigError(
            `Cannot change the config file: its lock file ${lock} cannot be created (${(error as Error).message})`,
            accessHints(error, lock),
            error,
          )
        const found = statSync(lock, {throwIfNoEntry: false})
        const age = Date.now() - (found?.mtimeMs ?? Date.now())
        if (age > STALE_LOCK_MS) takeOver(lock, found?.isDirectory() === true)
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

/**
 * Removes a lock file left by a killed process. One that cannot be removed (a directory in its place, a file the
 * user may not delete) is named with what to do: it would block every change.
 */
function takeOver(lock: string, isDirectory: boolean): void {
  const what = isDirectory ? 'a directory, not a lock file callctl made' : 'a lock file left by a callctl that stopped'
  if (!isDirectory)
    try {
      rmSync(lock, {force: true})
      return
    } catch (error) {
      throw new ConfigError(
        `The config file is locked by ${lock}, ${what}, which cannot be removed: ${(error as Error).message}`,
        [`If no other callctl runs, delete ${lock} (check who owns it: ls -l ${lock})`],
        error,
      )
    }
  throw new ConfigError(`The config file is locked by ${lock}, ${what}, so no change can be made`, [
    `If no other callctl runs, delete that directory (rmdir ${lock}) and try again`,
  ])
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

  return new ConfigError(`Cannot use the config file ${file ?? ''}: ${message}`, accessHints(error, file), error)
}

/** What to check when the config folder or file may not be written (a folder of another user, read-only, full). */
function accessHints(error: unknown, file: string | undefined): string[] {
  const code = (error as NodeJS.ErrnoException).code
  const folder = file === undefined ? configDir() : dirname(file)
  if (code === 'EACCES' || code === 'EPERM')
    return [
      `Check that you may create and change files in ${folder}: its owner and mode (ls -ld ${folder}), and on Linux whether it is immutable (lsattr -d ${folder})`,
      'Or point CALLCTL_CONFIG_DIR at a folder of yours',
    ]
  if (code === 'EROFS')
    return [`${folder} is on a read-only file system: point CALLCTL_CONFIG_DIR at a folder you can write`]
  if (code === 'ENOSPC' || code === 'EDQUOT') return [`The disk holding ${folder} is full: free some space`]
  return []
}
