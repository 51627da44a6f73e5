import {CREDENTIAL_NAMES, type Infer, s} from '../config/schema.js'
import type {SettingsSlice} from '../config/settings.js'

const urlTemplate = s.string({
  pattern: '^https?://',
  description: 'an http(s) URL template such as https://crm.example.com/incoming?callerid=$callerid',
})

/** Wildix callback events, and the Enreach/callctl event names. */
export const CALLBACK_EVENTS = [
  'new',
  'updated',
  'ended',
  'incoming',
  'outgoing',
  'active',
  'end',
  'held',
  'resumed',
  'transferred',
  'missed',
  'rejected',
] as const

const callback = s.object(
  {
    url: urlTemplate,
    events: s.array(s.oneOf(CALLBACK_EVENTS), {minItems: 1}),
    direction: s.oneOf(['incoming', 'outgoing']),
    method: s.oneOf(['GET', 'POST']),
    // Values of credential headers (Authorization, X-Api-Key, ...) are secrets like `secret`.
    headers: s.record(s.string(), {secretKeys: CREDENTIAL_NAMES}),
    body: s.string({description: 'a body template'}),
    bodyType: s.oneOf(['json', 'form']),
    secret: s.string({
      minLength: 16,
      description: 'signs each request (HMAC-SHA256); `callctl callbacks secret N` makes a whsec_ one',
      secret: true,
    }),
    signature: s.oneOf(['standard', 'callctl'], {
      description: "Standard Webhooks (default with a whsec_ secret) or callctl's older X-Callctl-Signature",
    }),
    includeInternal: s.boolean(),
  },
  {required: ['url', 'events']},
)

const popup = s.object(
  {
    on: s.oneOf(['ringing', 'dialing', 'answer', 'click']),
    direction: s.oneOf(['incoming', 'outgoing']),
    url: urlTemplate,
    app: s.string({minLength: 1, description: 'an executable and its arguments, as in Wildix'}),
  },
  {required: ['on']},
)

/** Outbound: Enreach notification URLs, Wildix callbacks and popups, and how they are delivered. */
export const deliverySettings = {
  notifications: s.object({
    incoming: urlTemplate,
    outgoing: urlTemplate,
    active: urlTemplate,
    end: urlTemplate,
    /** Optional: missed calls go here instead of to `end`. */
    missed: urlTemplate,
    includeInternal: s.boolean({
      default: false,
      description: 'also notify about calls with internalNumbers (colleagues); off: they are not notified',
    }),
  }),
  user: s.object({
    number: s.string({description: 'your own number, {USERNUM}'}),
    name: s.string({description: 'your own name, {USERNAME}'}),
  }),
  callbacks: s.array(callback, {
    default: [],
    description: 'Wildix-style callback URLs: a JSON array of {url, events, ...}',
  }),
  popups: s.array(popup, {
    default: [],
    description: 'Wildix-style popup URLs or apps: a JSON array of {on, url | app, direction}',
  }),
  internalNumbers: s.string({
    minLength: 1,
    description: "a regular expression for colleagues' extensions, e.g. ^[0-9]{2,4}$",
  }),
  delivery: s.object({
    maxAgeHours: s.number({
      exclusiveMinimum: 0,
      default: 24,
      description: 'hours a notification is retried before it is kept as failed',
    }),
    timeoutMs: s.integer({minimum: 100, default: 5000, description: 'time limit of one request'}),
    concurrency: s.integer({minimum: 1, maximum: 64, default: 4, description: 'requests in flight per target'}),
  }),
}

export type DeliverySettings = Infer<ReturnType<typeof s.object<typeof deliverySettings>>>
export type CallbackConfig = Infer<typeof callback>
export type PopupConfig = Infer<typeof popup>

export const deliverySlice: SettingsSlice = {
  properties: deliverySettings,
  // Loaded by `config set` only: compiling templates is the listener's job at start-up anyway.
  checks: async () => (await import('./settings-checks.js')).deliveryChecks,
}
