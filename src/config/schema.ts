import {DRIVER_NAMES} from '../drivers/index.js'
import {BARESIP_DEFAULTS, type BaresipOptions, COMMAND_DEFAULTS, type CommandOptions} from '../drivers/options.js'
import {SIM_DEFAULTS} from '../drivers/sim.js'

/** A JSON schema node, as far as callctl's config uses it. */
export interface SchemaNode {
  type?: 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array'
  description?: string
  enum?: readonly string[]
  minimum?: number
  maximum?: number
  pattern?: string
  minLength?: number
  format?: string
  items?: SchemaNode
  properties?: Record<string, SchemaNode>
  additionalProperties?: boolean | SchemaNode
  required?: readonly string[]
  uniqueItems?: boolean
  minItems?: number
  exclusiveMinimum?: number
}

const segment: SchemaNode = {
  type: 'string',
  pattern: '^[A-Za-z0-9_~-]+$',
  description: 'one URL path segment: letters, digits, _ ~ -',
}

const urlTemplate: SchemaNode = {
  type: 'string',
  pattern: '^https?://',
  description: 'an http(s) URL template such as https://crm.example.com/incoming?callerid=$callerid',
}

const argvTemplate: SchemaNode = {
  type: 'array',
  minItems: 1,
  items: {type: 'string'},
  description: 'a JSON array: the program, then its arguments; {NUMBER} {NAME} {CALLID} are filled in',
}

const delay: SchemaNode = {type: 'integer', minimum: -1, description: 'milliseconds; 0 at once, -1 never'}

/** Wildix callback events, and the Enreach/callctl event names. */
export const CALLBACK_EVENTS = ['new', 'updated', 'ended', 'incoming', 'outgoing', 'active', 'end'] as const

export interface CallbackConfig {
  url: string
  events: Array<(typeof CALLBACK_EVENTS)[number]>
  direction?: 'incoming' | 'outgoing'
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  body?: string
  bodyType?: 'json' | 'form'
  secret?: string
  includeInternal?: boolean
}

export interface PopupConfig {
  on: 'ringing' | 'dialing' | 'answer' | 'click'
  direction?: 'incoming' | 'outgoing'
  url?: string
  app?: string
}

/**
 * The config file's schema. No `default` keywords here: conf would write them into the user's file; defaults live
 * in DEFAULTS and are merged on read, so that a changed default reaches users who never set the key.
 */
export const SCHEMA: Record<string, SchemaNode> = {
  port: {type: 'integer', minimum: 1, maximum: 65_535, description: 'TCP port of the listener'},
  host: {type: 'string', minLength: 1, description: 'address the listener binds to'},
  driver: {
    type: 'object',
    additionalProperties: false,
    properties: {
      name: {type: 'string', enum: DRIVER_NAMES, description: 'the phone backend'},
      baresip: {
        type: 'object',
        additionalProperties: false,
        properties: {
          host: {type: 'string', minLength: 1, description: "baresip's ctrl_tcp host"},
          port: {type: 'integer', minimum: 1, maximum: 65_535, description: "baresip's ctrl_tcp port"},
          dialUri: {type: 'string', pattern: '\\{NUMBER\\}', description: 'SIP URI template with {NUMBER} and {DOMAIN}'},
          account: {type: 'string', pattern: '^<sips?:', description: 'account line, e.g. <sip:alice@example.com>;regint=0'},
          spawn: {type: 'boolean', description: 'start baresip with a generated headless config'},
          binary: {type: 'string', minLength: 1, description: 'the baresip executable'},
          sipListen: {type: 'string', pattern: '^[^\\s]+:\\d+$', description: 'host:port for SIP when spawned'},
          rtpPorts: {type: 'string', pattern: '^\\d+-\\d+$', description: 'RTP port range when spawned, e.g. 10000-10099'},
          modulePath: {type: 'string', minLength: 1, description: "folder of baresip's modules"},
          commandTimeoutMs: {type: 'integer', minimum: 100, description: 'how long to wait for baresip to answer'},
        },
      },
      command: {
        type: 'object',
        additionalProperties: false,
        properties: {
          make: argvTemplate,
          answer: argvTemplate,
          end: argvTemplate,
          hooks: {type: 'boolean', description: 'the softphone reports answer/end through callctl notify'},
          timeoutMs: {type: 'integer', minimum: 100, description: 'time limit of one command'},
        },
      },
      uri: {
        type: 'object',
        additionalProperties: false,
        properties: {template: {type: 'string', pattern: '^[A-Za-z][A-Za-z0-9+.-]*:', description: 'e.g. tel:{NUMBER}'}},
      },
      applescript: {
        type: 'object',
        additionalProperties: false,
        properties: {
          make: {type: 'string', minLength: 1, description: 'AppleScript; {NUMBER} becomes a string literal'},
          answer: {type: 'string', minLength: 1},
          end: {type: 'string', minLength: 1},
        },
      },
    },
  },
  sim: {
    type: 'object',
    additionalProperties: false,
    properties: {answerAfterMs: delay, hangupAfterMs: delay},
  },
  commands: {
    type: 'object',
    additionalProperties: false,
    properties: {make: segment, answer: segment, end: segment},
  },
  notifications: {
    type: 'object',
    additionalProperties: false,
    properties: {incoming: urlTemplate, outgoing: urlTemplate, active: urlTemplate, end: urlTemplate},
  },

  // Notifications, callbacks and popups (README "Notifications, callbacks and popups").
  user: {
    type: 'object',
    additionalProperties: false,
    properties: {
      number: {type: 'string', description: 'your own number, {USERNUM}'},
      name: {type: 'string', description: 'your own name, {USERNAME}'},
    },
  },
  callbacks: {
    type: 'array',
    description: 'Wildix-style callback URLs: a JSON array of {url, events, ...}',
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['url', 'events'],
      properties: {
        url: urlTemplate,
        events: {type: 'array', minItems: 1, items: {type: 'string', enum: CALLBACK_EVENTS}},
        direction: {type: 'string', enum: ['incoming', 'outgoing']},
        method: {type: 'string', enum: ['GET', 'POST']},
        headers: {type: 'object', additionalProperties: {type: 'string'}},
        body: {type: 'string', description: 'a body template'},
        bodyType: {type: 'string', enum: ['json', 'form']},
        secret: {type: 'string', minLength: 16, description: 'signs each request (HMAC-SHA256)'},
        includeInternal: {type: 'boolean'},
      },
    },
  },
  popups: {
    type: 'array',
    description: 'Wildix-style popup URLs or apps: a JSON array of {on, url | app, direction}',
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['on'],
      properties: {
        on: {type: 'string', enum: ['ringing', 'dialing', 'answer', 'click']},
        direction: {type: 'string', enum: ['incoming', 'outgoing']},
        url: urlTemplate,
        app: {type: 'string', minLength: 1, description: 'an executable and its arguments, as in Wildix'},
      },
    },
  },
  internalNumbers: {type: 'string', minLength: 1, description: 'a regular expression for colleagues\' extensions, e.g. ^[0-9]{2,4}$'},
  delivery: {
    type: 'object',
    additionalProperties: false,
    properties: {
      maxAgeHours: {type: 'number', exclusiveMinimum: 0, description: 'hours a notification is retried before it is kept as failed'},
      timeoutMs: {type: 'integer', minimum: 100, description: 'time limit of one request'},
      concurrency: {type: 'integer', minimum: 1, maximum: 64, description: 'requests in flight per target'},
    },
  },

  // Desk-phone URLs (README "Clients written for desk phones").
  compat: {
    type: 'object',
    additionalProperties: false,
    properties: {
      yealink: {type: 'boolean', description: 'accept Yealink Action URIs (/servlet?key=...)'},
      snom: {type: 'boolean', description: 'accept Snom remote-control URLs (/command.htm?...)'},
    },
  },

  // Security (README "Security"): who may control the phone.
  security: {
    type: 'object',
    additionalProperties: false,
    properties: {
      token: {type: 'string', minLength: 16, pattern: '^[\\x21-\\x7E]+$', description: 'shared secret every request must carry (printable ASCII, no spaces); --generate makes one'},
      allowedOrigins: {
        type: 'array',
        items: {type: 'string', pattern: '^https?://[^/?#]+$', description: 'an origin such as https://crm.example.com'},
        description: 'web origins (https://crm.example.com) that may call the listener with CORS',
      },
      allowedHosts: {
        type: 'array',
        items: {type: 'string', pattern: '^[A-Za-z0-9.-]+$', description: 'a host name'},
        description: 'Host header names accepted besides localhost, 127.0.0.1 and [::1]',
      },
      checkHost: {type: 'boolean', description: 'refuse requests whose Host header is not a name of this listener'},
      confirmLinks: {type: 'boolean', description: 'links clicked on other sites get a confirmation page instead of a 403'},
      makeRateLimit: {type: 'integer', minimum: 0, description: 'most `make` requests a minute; 0 for no limit'},
    },
  },
  numbers: {
    type: 'object',
    additionalProperties: false,
    properties: {
      allow: {type: 'array', items: {type: 'string'}, description: 'prefixes or /patterns/; when set, only these may be dialled'},
      block: {type: 'array', items: {type: 'string'}, description: 'prefixes or /patterns/ that may never be dialled'},
    },
  },
}

export interface Config {
  port: number
  host: string
  driver: {name: string; baresip: BaresipOptions; command: CommandOptions} & Record<string, unknown>
  sim: {answerAfterMs: number; hangupAfterMs: number}
  commands: {make: string; answer: string; end: string}
  notifications: {incoming?: string; outgoing?: string; active?: string; end?: string}
  user: {number?: string; name?: string}
  callbacks: CallbackConfig[]
  popups: PopupConfig[]
  internalNumbers?: string
  delivery: {maxAgeHours: number; timeoutMs: number; concurrency: number}
  compat: {yealink: boolean; snom: boolean}
  security: {
    token?: string
    allowedOrigins: string[]
    allowedHosts: string[]
    checkHost: boolean
    confirmLinks: boolean
    makeRateLimit: number
  }
  numbers: {allow: string[]; block: string[]}
}

export const DEFAULTS: Config = {
  port: 5678,
  host: '127.0.0.1',
  driver: {name: 'sim', baresip: {...BARESIP_DEFAULTS}, command: {...COMMAND_DEFAULTS}},
  sim: {...SIM_DEFAULTS},
  commands: {make: 'make', answer: 'answer', end: 'end'},
  notifications: {},
  user: {},
  callbacks: [],
  popups: [],
  delivery: {maxAgeHours: 24, timeoutMs: 5000, concurrency: 4},
  compat: {yealink: false, snom: false},
  security: {allowedOrigins: [], allowedHosts: [], checkHost: true, confirmLinks: true, makeRateLimit: 20},
  numbers: {allow: [], block: []},
}

/** The whole file: unknown keys are refused, so that a typo is reported instead of silently ignored. */
export const CONFIG_ROOT: SchemaNode = {type: 'object', properties: SCHEMA, additionalProperties: false}

/** The schema node of a dotted key (`commands.make`), or undefined when the key is not a setting. */
export function schemaAt(key: string): SchemaNode | undefined {
  let node: SchemaNode | undefined = CONFIG_ROOT
  for (const part of key.split('.')) {
    if (node?.type !== 'object') return undefined
    const next: SchemaNode | boolean | undefined = node.properties?.[part] ?? node.additionalProperties
    node = typeof next === 'object' ? next : undefined
  }

  return node
}

/** Every settable leaf key, dotted, for error messages and `config list`. */
export function settingKeys(properties: Record<string, SchemaNode> = SCHEMA, prefix = ''): string[] {
  return Object.entries(properties).flatMap(([name, node]) =>
    node.type === 'object' && node.properties && node.additionalProperties === false
      ? settingKeys(node.properties, `${prefix}${name}.`)
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
