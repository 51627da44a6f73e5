import type Conf from 'conf'
import {randomBytes} from 'node:crypto'

import {ConfigError} from '../errors.js'
import {configDir, configFile, PROJECT_NAME} from './paths.js'
import {type Config, DEFAULTS, describeNode, type SchemaNode, schemaAt, settingKeys} from './schema.js'
import {commandSegmentProblem} from '../listener/routes.js'
import {checkValue} from './checks.js'
import {assertValid, mergeDefaults} from './resolve.js'
import {schemaProblems} from './validate.js'

/** Keys whose value is a secret `config set --generate` can make. */
const GENERATED = new Set(['security.token'])

/**
 * The config file, read and written through conf: every write is validated against the schema first and written
 * atomically, so a refused value leaves the file as it was.
 */
export class ConfigStore {
  private constructor(private readonly conf: Conf<Record<string, unknown>>) {}

  static async open(): Promise<ConfigStore> {
    // conf pulls in ajv: loaded only by the commands that read or write the whole config.
    const {default: Conf} = await import('conf')
    try {
      const conf = new Conf<Record<string, unknown>>({
        projectName: PROJECT_NAME,
        projectSuffix: '',
        // One definition of the folder for conf and for the forwarding commands, which read the file without conf.
        cwd: configDir(),
        // No conf schema (ajv): src/config/validate.ts checks, here and in `callctl listen`, with the same rules.
        // The file may hold a token: readable by its owner only.
        configFileMode: 0o600,
      })
      const store = new ConfigStore(conf)
      store.stored() // conf reads lazily: surface a file that is not JSON here, not halfway through a command
      return store
    } catch (error) {
      throw translate(error, configFile())
    }
  }

  get path(): string {
    return this.conf.path
  }

  /** What the user set, without defaults. */
  stored(): Record<string, unknown> {
    try {
      return this.conf.store
    } catch (error) {
      throw translate(error, this.conf.path)
    }
  }

  /** What callctl runs with: the user's values over the defaults. Refuses a file that breaks the schema. */
  effective(): Config {
    const stored = this.stored()
    assertValid(stored, this.conf.path)
    return mergeDefaults(DEFAULTS, stored)
  }

  get(key: string): unknown {
    leafSchema(key)
    return key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], this.effective())
  }

  /** Sets a key from its text form (as typed on the command line), converted by what the key takes. */
  setText(key: string, text: string | undefined): unknown {
    if (text === undefined) throw new ConfigError(`No value given for ${key}`, [`callctl config set ${key} VALUE`])
    const value = parseValue(key, leafSchema(key), text)
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

  set(key: string, value: unknown): void {
    const node = leafSchema(key)
    // Only this key's problems: a file broken elsewhere must still be fixable with `config set`.
    const problems = schemaProblems(node, value, key)
    if (problems.length > 0) throw new ConfigError(`Invalid value for ${key}: ${problems.join('; ')}; ${key} takes ${describeNode(node)}`)
    checkValue(key, value)
    if (key.startsWith('commands.')) {
      // The stored segments over the defaults, unchecked: a file broken elsewhere must not block this check.
      const problem = commandSegmentProblem({...mergeDefaults(DEFAULTS, this.stored()).commands, [key.slice('commands.'.length)]: value})
      if (problem) throw new ConfigError(`Invalid value for ${key}: ${problem}`)
    }

    try {
      this.conf.set(key, value)
    } catch (error) {
      throw translate(error, this.conf.path)
    }
  }

  unset(key: string): void {
    // A key that is not a setting but is in the file (a typo made by hand) may always be removed.
    if (!schemaAt(key) && this.conf.has(key)) {
      this.conf.delete(key)
      return
    }

    leafSchema(key)
    try {
      this.conf.delete(key)
    } catch (error) {
      throw translate(error, this.conf.path)
    }
  }
}

function leafSchema(key: string): SchemaNode {
  const node = schemaAt(key)
  if (!node) {
    throw new ConfigError(`Unknown config key "${key}"`, [`Known keys: ${settingKeys().join(', ')}`])
  }

  return node
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
        return text.split(',').map((item) => item.trim()).filter(Boolean)
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
