/**
 * The config's schema language: JSON-schema nodes, as far as callctl uses them, written with builders that also carry
 * the static type of the value. A feature writes its settings once (`s.object({port: s.integer({default: 5678})})`)
 * and gets from that one source the check (src/config/validate.ts), the defaults (`defaultsOf`) and the type
 * (`Infer<typeof node>`). Nothing here knows any feature: the features hand their slices to src/settings.ts.
 */

/** A JSON schema node, as far as callctl's config uses it. */
export interface SchemaNode {
  type?: 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array'
  description?: string
  enum?: readonly string[]
  minimum?: number
  maximum?: number
  pattern?: string
  minLength?: number
  items?: SchemaNode
  properties?: Record<string, SchemaNode>
  additionalProperties?: boolean | SchemaNode
  required?: readonly string[]
  minItems?: number
  exclusiveMinimum?: number
  /** Applied on read, never written into the user's file: a changed default reaches users who never set the key. */
  default?: unknown
  /** The value is a secret: `config list` and `config get` show it only when asked to (`--reveal`). */
  secret?: boolean
  /** For free-form keys (a record): the keys, a case-insensitive regular expression, whose values are secrets. */
  secretKeys?: string
}

/**
 * A node that carries the type `T` of its value. `Given` is true when the effective config always has the key: it
 * has a default, or it is an object (which exists, with its own defaults, even when the file does not mention it).
 */
export type Node<T, Given extends boolean = boolean> = SchemaNode & {readonly __value?: T; readonly __given?: Given}

export type Infer<N> = N extends Node<infer T> ? T : never

type Shape = Record<string, Node<unknown>>
type GivenKeys<P extends Shape, R extends string> = {
  [K in keyof P]: P[K] extends Node<unknown, true> ? K : K extends R ? K : never
}[keyof P]
type Expand<T> = {[K in keyof T]: T[K]}
type ObjectOf<P extends Shape, R extends string = never> = Expand<
  {[K in GivenKeys<P, R>]: Infer<P[K]>} & {[K in Exclude<keyof P, GivenKeys<P, R>>]?: Infer<P[K]>}
>

type Options = Omit<SchemaNode, 'type' | 'default' | 'items' | 'properties' | 'enum' | 'required'>
type Leaf<T> = {<D extends T>(options: Options & {default: D}): Node<T, true>; (options?: Options): Node<T, false>}

const leaf =
  <T>(type: SchemaNode['type']): Leaf<T> =>
  (options: Options & {default?: unknown} = {}) =>
    ({type, ...options}) as never

export const s = {
  string: leaf<string>('string'),
  integer: leaf<number>('integer'),
  number: leaf<number>('number'),
  boolean: leaf<boolean>('boolean'),

  /** One of a fixed list of strings. */
  oneOf: ((values: readonly string[], options: Options & {default?: string} = {}) => ({
    type: 'string',
    enum: values,
    ...options,
  })) as {
    <const E extends readonly string[]>(values: E, options: Options & {default: E[number]}): Node<E[number], true>
    <const E extends readonly string[]>(values: E, options?: Options): Node<E[number], false>
  },

  array: ((items: SchemaNode, options: Options & {default?: unknown[]} = {}) => ({
    type: 'array',
    items,
    ...options,
  })) as {
    <I extends Node<unknown>>(items: I, options: Options & {default: Array<Infer<I>>}): Node<Array<Infer<I>>, true>
    <I extends Node<unknown>>(items: I, options?: Options): Node<Array<Infer<I>>, false>
  },

  /** A settings group: unknown keys are refused, so that a typo is reported instead of ignored. */
  object<P extends Shape, const R extends string = never>(
    properties: P,
    options: Options & {required?: readonly R[]} = {},
  ): Node<ObjectOf<P, R>, true> {
    return {type: 'object', additionalProperties: false, properties, ...options} as never
  },

  /** Free-form keys, each value of one kind (e.g. HTTP headers). */
  record<V extends Node<unknown>>(values: V, options: Options = {}): Node<Record<string, Infer<V>>, false> {
    return {type: 'object', additionalProperties: values, ...options} as never
  },
}

/** What a secret shows as, unless revealed. */
export const HIDDEN = '<hidden>'

/** Names of headers, JSON keys and URL query parameters whose values are credentials. */
export const CREDENTIAL_NAMES = 'authorization|token|secret|key|cookie|password|passwd|auth|session|signature|sig'
const CREDENTIAL = new RegExp(CREDENTIAL_NAMES, 'i')

export function isCredentialName(name: string): boolean {
  return CREDENTIAL.test(name)
}

/**
 * A URL (or text holding URLs) as callctl shows it: the password of `user:password@` and query parameters named like
 * credentials (`api_key=…`, `token=…`) hidden. What is stored and sent is unchanged.
 */
export function hideUrlSecrets(text: string): string {
  if (!text.includes('://')) return text
  return text
    .replaceAll(/(\b[a-z][\w+.-]*:\/\/[^/\s:@?#]*:)[^@/\s?#]*@/gi, `$1${HIDDEN}@`)
    .replaceAll(/([?&])([^=&#\s]+)=([^&#\s"]*)/g, (pair, separator: string, name: string) =>
      isCredentialName(name) ? `${separator}${name}=${HIDDEN}` : pair,
    )
}

/**
 * `value` with every secret in it (nodes marked `secret`, record keys matching `secretKeys`, credentials in URLs)
 * replaced by HIDDEN.
 */
export function redactSecrets(node: SchemaNode | undefined, value: unknown): unknown {
  if (typeof value === 'string' && !node?.secret) return hideUrlSecrets(value)
  if (value === undefined || node === undefined) return value
  if (node.secret) return HIDDEN
  if (Array.isArray(value)) return node.items ? value.map((item) => redactSecrets(node.items, item)) : value
  if (node.type !== 'object' || typeof value !== 'object' || value === null) return value
  const secretKey = node.secretKeys === undefined ? undefined : new RegExp(node.secretKeys, 'i')
  return Object.fromEntries(
    Object.entries(value).map(([name, child]) => {
      if (secretKey?.test(name)) return [name, HIDDEN]
      const childNode =
        node.properties && Object.hasOwn(node.properties, name)
          ? node.properties[name]
          : typeof node.additionalProperties === 'object'
            ? node.additionalProperties
            : undefined
      return [name, redactSecrets(childNode, child)]
    }),
  )
}

/** The node's defaults: what the effective config holds for keys the file does not mention. */
export function defaultsOf(node: SchemaNode): unknown {
  if (node.type !== 'object' || !node.properties) {
    // A copy, so that no config shares (and mutates) the schema's arrays and objects; most defaults are plain values.
    return typeof node.default === 'object' && node.default !== null ? structuredClone(node.default) : node.default
  }

  const defaults: Record<string, unknown> = {}
  for (const [name, child] of Object.entries(node.properties)) {
    const value = defaultsOf(child)
    if (value !== undefined) defaults[name] = value
  }

  return defaults
}

/** The schema node of a dotted key (`commands.make`), or undefined when the key is not a setting. */
export function schemaAt(root: SchemaNode, key: string): SchemaNode | undefined {
  let node: SchemaNode | undefined = root
  for (const part of key.split('.')) {
    if (node?.type !== 'object') return undefined
    if (part === '__proto__') return undefined
    const next: SchemaNode | boolean | undefined =
      node.properties && Object.hasOwn(node.properties, part) ? node.properties[part] : node.additionalProperties
    node = typeof next === 'object' ? next : undefined
  }

  return node
}

/** Every settable leaf key, dotted, for error messages and `config list`. */
export function settingKeys(node: SchemaNode, prefix = ''): string[] {
  return Object.entries(node.properties ?? {}).flatMap(([name, child]) =>
    child.type === 'object' && child.properties && child.additionalProperties === false
      ? settingKeys(child, `${prefix}${name}.`)
      : [`${prefix}${name}`],
  )
}

/** What a key takes, in words: "an integer from 1 to 65535". */
export function describeNode(node: SchemaNode): string {
  if (node.enum) return `one of ${node.enum.join(', ')}`
  const range =
    node.minimum !== undefined && node.maximum !== undefined
      ? ` from ${node.minimum} to ${node.maximum}`
      : node.minimum === undefined
        ? ''
        : ` of at least ${node.minimum}`
  const kind = {
    string: 'a string',
    integer: 'an integer',
    number: 'a number',
    boolean: 'true or false',
    object: 'a JSON object',
    array: node.items?.type === 'string' ? 'a list, comma-separated or a JSON array' : 'a JSON array',
  }[node.type ?? 'string']
  return `${kind}${range}${node.description ? ` (${node.description})` : ''}`
}
