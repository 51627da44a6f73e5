import type {ListenerSettings} from './settings.js'
import {RequestError} from '../errors.js'
import type {RequestStep} from './app.js'

/** The desk-phone URLs understood, for the README and for refusals. */
export const YEALINK_FORMS = [
  '/servlet?key=number=<N>',
  '/servlet?key=OK',
  '/servlet?key=ANSWER',
  '/servlet?key=CALLEND',
]
export const SNOM_FORMS = [
  '/command.htm?number=<N>',
  '/command.htm?key=OFFHOOK',
  '/command.htm?key=ONHOOK',
  '/command.htm?key=DISCONNECT',
]

type Action = {route: 'make'; number: string} | {route: 'answer' | 'end'}

function yealink(query: URLSearchParams): Action | undefined {
  const key = query.get('key') ?? ''
  if (key.startsWith('number=')) return {route: 'make', number: key.slice('number='.length)}
  if (key === 'OK' || key === 'ANSWER') return {route: 'answer'}
  if (key === 'CALLEND') return {route: 'end'}
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
    url.pathname = action.route === 'make' ? `/${segment}/${encodeURIComponent(action.number)}` : `/${segment}`
    for (const name of ['key', 'number']) url.searchParams.delete(name)
  }
}
