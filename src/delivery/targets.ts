import type {CallbackConfig, DeliverySettings} from './settings.js'
import type {Call, CallEvent, CallEventType} from '../engine/call.js'
import {ConfigError} from '../errors.js'
import {type SignatureScheme, schemeOf, standardKey} from './signature.js'
import {standardBody} from './standard-events.js'
import {compileTemplate, type Template, type TemplateValues, type UserIdentity} from './template.js'

/**
 * Wildix callback events in callctl's terms: "new call", "call updated" (answered, changed, held, resumed,
 * transferred), "call ended" (however it ended). `end` is every end too, as it was before `missed` and `rejected`
 * existed: a receiver that asked for `end` still hears of every call that ends.
 */
const EVENT_GROUPS: Record<string, readonly CallEventType[]> = {
  new: ['incoming', 'outgoing'],
  updated: ['active', 'updated', 'held', 'resumed', 'transferred'],
  ended: ['end', 'missed', 'rejected'],
  end: ['end', 'missed', 'rejected'],
}

export interface OutgoingRequest {
  url: string
  method: 'GET' | 'POST'
  headers: Record<string, string>
  body?: string
}

/** One place notifications go: a callback, or an Enreach `notifications.<event>` URL (its short form). */
export interface Target {
  /** Its place in the config, for logs and `outbox --enable`: `callbacks[0]`, `notifications.incoming`. */
  key: string
  /**
   * What the target is: its URL template, hashed (see targetIdOf). A 410 switches this off, and what waits in the
   * outbox is kept while the config still has it, whatever its place in the list.
   */
  id: string
  secret?: string
  scheme: SignatureScheme
  matches(event: CallEvent, internal: boolean): boolean
  request(values: TemplateValues, event: CallEvent & {lookup?: object}, user?: UserIdentity): OutgoingRequest
}

/** Internal ("colleague") numbers, `internalNumbers`: skipped by popups, and by callbacks unless they opt in. */
export function compileInternalNumbers(pattern: string | undefined): (call: Call) => boolean {
  if (!pattern) return () => false
  let regex: RegExp
  try {
    regex = new RegExp(pattern)
  } catch (error) {
    throw new ConfigError(`Invalid internalNumbers pattern ${JSON.stringify(pattern)}: ${(error as Error).message}`)
  }

  return (call) => call.number !== '' && regex.test(call.number)
}

function compileCallback(callback: CallbackConfig, key: string, only?: readonly CallEventType[]): Target {
  const url = compileTemplate(callback.url, `${key}.url`)
  const body = callback.body === undefined ? undefined : compileTemplate(callback.body, `${key}.body`)
  const headers = Object.entries(callback.headers ?? {}).map(
    ([name, value]) => [name.toLowerCase(), compileTemplate(value, `${key}.headers.${name}`)] as [string, Template],
  )
  const types = new Set(only ?? callback.events.flatMap((name) => EVENT_GROUPS[name] ?? [name as CallEventType]))
  const scheme = schemeOf(callback)
  if (scheme === 'standard' && callback.secret !== undefined && !standardKey(callback.secret))
    throw new ConfigError(
      `${key}.secret is not a Standard Webhooks secret (whsec_ and 24 to 64 bytes in base64), which signature "standard" needs`,
      [
        `callctl callbacks secret ${key.replace(/^callbacks\[(\d+)\]$/, '$1')} makes one`,
        'or set "signature": "callctl"',
      ],
    )
  // Standard Webhooks without a body template: a POST of the spec's JSON envelope.
  const envelope = scheme === 'standard' && !body
  const method = callback.method ?? (body || envelope ? 'POST' : 'GET')
  const bodyType = callback.bodyType ?? 'json'
  return {
    key,
    id: targetIdOf(callback.url, key.startsWith('notifications.') ? 'notification' : 'callback'),
    secret: callback.secret,
    scheme,
    matches: (event, internal) =>
      types.has(event.type) &&
      (callback.direction === undefined || callback.direction === event.call.direction) &&
      (!internal || callback.includeInternal === true),
    request(values, event, user) {
      const rendered: OutgoingRequest = {url: url.render(values, 'url'), method, headers: {}}
      for (const [name, template] of headers) rendered.headers[name] = headerValue(template.render(values, 'text'))
      if (envelope && method === 'POST') {
        rendered.body = standardBody(event, user)
        rendered.headers['content-type'] ??= 'application/json'
      } else if (body) {
        rendered.body = body.render(values, bodyType)
        rendered.headers['content-type'] ??=
          bodyType === 'json' ? 'application/json' : 'application/x-www-form-urlencoded'
      }

      return rendered
    },
  }
}

/**
 * A target's identity: its kind and its URL template, so that a callback edited to another URL, or a new one put where
 * a removed one was, is a new target, and one moved in the list is the same. The kind keeps a callback apart from a
 * `notifications.<event>` URL that is the same address (removing the callback must give up its deliveries). Hashed:
 * it is stored, logged and shown in `/status`, and a template may carry credentials.
 */
export function targetIdOf(urlTemplate: string, kind: 'callback' | 'notification'): string {
  const {createHash} = process.getBuiltinModule('node:crypto')
  return createHash('sha256').update(`${kind} ${urlTemplate}`).digest('hex').slice(0, 16)
}

/**
 * The identity of the target at `key` in the config now (`callbacks[0]`, `notifications.end`), if it sends to the
 * server of `url`: what a switched-off target of an older callctl, which knew only its place, is taken to be.
 */
export function identityAt(
  config: Pick<DeliverySettings, 'notifications' | 'callbacks'>,
  key: string,
  url: string,
): string | undefined {
  const index = /^callbacks\[(\d+)\]$/.exec(key)?.[1]
  const notification = /^notifications\.(\w+)$/.exec(key)?.[1]
  const template: unknown =
    index === undefined
      ? notification === undefined
        ? undefined
        : (config.notifications as Record<string, unknown>)[notification]
      : config.callbacks[Number(index)]?.url
  if (typeof template !== 'string' || originOf(template) !== originOf(url)) return undefined
  return targetIdOf(template, index === undefined ? 'notification' : 'callback')
}

/** The server a URL (or a URL template) goes to; the text itself when it is no URL. */
export function originOf(url: string): string {
  try {
    return new URL(url).origin
  } catch {
    return url
  }
}

/** The identities of every notification URL and callback in the config, without compiling a template. */
export function configuredTargetIds(config: Pick<DeliverySettings, 'notifications' | 'callbacks'>): Set<string> {
  const {includeInternal: _setting, ...urls} = config.notifications
  return new Set([
    ...Object.values(urls)
      .filter((url): url is string => typeof url === 'string')
      .map((url) => targetIdOf(url, 'notification')),
    ...config.callbacks.map((callback) => targetIdOf(callback.url, 'callback')),
  ])
}

/** Every target of the config, checked once: an unknown variable in any template fails here, naming it. */
export function compileTargets(config: Pick<DeliverySettings, 'notifications' | 'callbacks'>): Target[] {
  const {includeInternal, ...urls} = config.notifications
  // Enreach's notification URLs are unsigned GETs as Enreach sends them: callctl's scheme, never the envelope.
  const short = Object.entries(urls)
    .filter((entry): entry is [CallEventType, string] => typeof entry[1] === 'string')
    .map(([event, url]) => {
      // Enreach has `end` for every end; the optional `missed` URL takes the missed calls from it.
      const types: CallEventType[] =
        event === 'end' ? ['end', 'rejected', ...(config.notifications.missed ? [] : ['missed' as const])] : [event]
      return compileCallback(
        {url, events: [event], signature: 'callctl', includeInternal: includeInternal === true},
        `notifications.${event}`,
        types,
      )
    })
  return [...short, ...config.callbacks.map((callback, index) => compileCallback(callback, `callbacks[${index}]`))]
}

/**
 * A templated header value as it may go on the wire: a caller's name is anything (`Zoë`, `山田`, a newline), and a
 * header carries only visible ASCII. Control characters (CR and LF among them) are dropped, so no header can be
 * added or split; other characters outside ASCII are percent-encoded as UTF-8 (`Zo%C3%AB`), the form RFC 8187 uses.
 */
export function headerValue(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is removed
  const plain = text.replaceAll(/[\u0000-\u0008\u000A-\u001F\u007F]/g, '')
  return plain.replaceAll(/[^\t\u0020-\u007E]+/gu, (run) => encodeURIComponent(run.toWellFormed()))
}
