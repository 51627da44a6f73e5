import type {ListenerSettings} from './settings.js'
import {RequestError} from '../errors.js'
import type {RequestStep} from './app.js'

/** The desk-phone URLs understood, for the README and for refusals. */
export const YEALINK_FORMS = [
  '/servlet?key=number=<N>',
  '/servlet?key=OK',
  '/servlet?key=ANSWER',
  '/servlet?key=CALLEND',
  '/servlet?key=HOLD',
  '/servlet?key=F_HOLD',
  '/servlet?key=HOLD:<call>',
  '/servlet?key=UNHOLD',
  '/servlet?key=UNHOLD:<call>',
  '/servlet?key=MUTE',
  '/servlet?key=<keypad key>',
]
export const SNOM_FORMS = [
  '/command.htm?number=<N>',
  '/command.htm?key=OFFHOOK',
  '/command.htm?key=ONHOOK',
  '/command.htm?key=DISCONNECT',
]

type Action =
  | {route: 'make'; number: string}
  | {route: 'dtmf'; digits: string}
  | {route: 'answer' | 'end' | 'hold' | 'resume' | 'mute'; call?: string}

/** Yealink's keypad keys; pressed during a call they send DTMF. */
const YEALINK_DIGITS: Record<string, string> = {STAR: '*', POUND: '#'}

function yealink(query: URLSearchParams): Action | undefined {
  const key = query.get('key') ?? ''
  if (key.startsWith('number=')) return {route: 'make', number: key.slice('number='.length)}
  if (key === 'OK' || key === 'ANSWER') return {route: 'answer'}
  if (key === 'CALLEND') return {route: 'end'}
  // HOLD:<id> / UNHOLD:<id> name the call (the phone's call id, which is callctl's here).
  const [name, call] = key.split(/:(.*)/s, 2)
  if (name === 'HOLD' || name === 'F_HOLD') return {route: 'hold', call: call || undefined}
  if (name === 'UNHOLD') return {route: 'resume', call: call || undefined}
  // Yealink's MUTE toggles; callctl's mutes (unmute is /unmute).
  if (key === 'MUTE') return {route: 'mute'}
  if (/^\d$/.test(key) || Object.hasOwn(YEALINK_DIGITS, key)) return {route: 'dtmf', digits: YEALINK_DIGITS[key] ?? key}
  return undefined
}

function snom(query: URLSearchParams): Action | undefined {
  const number = query.get('number')
  if (number !== null) return {route: 'make', number}
  const key = query.get('key')
  if (key === 'OFFHOOK') return {route: 'answer'}
  if (key === 'ONHOOK' || key === 'DISCONNECT') return {route: 'end'}
  return undefined
}

/**
 * CRMs written for desk phones speak the Yealink Action URI or the Snom remote control. With `compat.yealink` /
 * `compat.snom` on, those URLs are rewritten to the canonical routes before routing, so every policy (security,
 * number lists, rate limit) applies to them unchanged.
 */
export function compatStep(config: Pick<ListenerSettings, 'compat' | 'commands'>): RequestStep {
  const dialects: Array<[string, (query: URLSearchParams) => Action | undefined, string[]]> = []
  if (config.compat.yealink) dialects.push(['/servlet', yealink, YEALINK_FORMS])
  if (config.compat.snom) dialects.push(['/command.htm', snom, SNOM_FORMS])
  return ({url}) => {
    const dialect = dialects.find(([path]) => url.pathname === path)
    if (!dialect) return
    const [, parse, forms] = dialect
    const action = parse(url.searchParams)
    if (!action)
      throw new RequestError(
        `Unsupported ${url.pathname} request: understood are ${forms.join(', ')}`,
        'ERR_COMPAT',
        400,
      )
    const segment = config.commands[action.route]
    const argument = action.route === 'make' ? action.number : action.route === 'dtmf' ? action.digits : undefined
    url.pathname = argument === undefined ? `/${segment}` : `/${segment}/${encodeURIComponent(argument)}`
    for (const name of ['key', 'number']) url.searchParams.delete(name)
    if ('call' in action && action.call !== undefined) url.searchParams.set('call', action.call)
  }
}
