import chalk from 'chalk'

import type {CallEvent} from '../engine/call.js'
import type {RequestRecord} from '../listener/app.js'
import type {DeliveryRecord} from '../notify/delivery.js'
import type {PopupRecord} from '../notify/notifications.js'

const colour: Record<CallEvent['type'], (text: string) => string> = {
  incoming: chalk.yellow,
  outgoing: chalk.cyan,
  active: chalk.green,
  updated: chalk.blue,
  end: chalk.gray,
}

function clock(iso: string): string {
  return iso.slice(11, 19)
}

/** `12:00:01 incoming  020123456 "Alice"  sim-…` */
export function formatEvent(event: CallEvent): string {
  const {call} = event
  const who = [call.number || '(unknown number)', call.name && JSON.stringify(call.name)].filter(Boolean).join(' ')
  const reason = event.type === 'end' && call.endReason ? chalk.dim(` (${call.endReason})`) : ''
  return `${chalk.dim(clock(event.at))} ${colour[event.type](event.type.padEnd(8))} ${who}${reason} ${chalk.dim(call.id)}`
}

export function formatRequest(record: RequestRecord): string {
  const status = record.status >= 400 ? chalk.red(String(record.status)) : chalk.dim(String(record.status))
  const error = record.error ? ` ${chalk.red(record.error)}` : ''
  return `${chalk.dim(clock(new Date().toISOString()))} ${status} ${record.method} ${record.path}${error}`
}

export function formatDelivery(record: DeliveryRecord): string {
  const outcome =
    record.outcome === 'delivered'
      ? chalk.dim(`HTTP ${record.status} in ${record.ms} ms`)
      : chalk.red(`${record.outcome === 'failed' ? 'gave up' : `attempt ${record.attempt} failed, will retry`}: ${record.error}`)
  return `${chalk.dim(clock(new Date().toISOString()))} ${chalk.magenta('notify')}   ${record.event} → ${record.url} ${outcome}`
}

export function formatPopup(record: PopupRecord): string {
  const outcome = record.error ? chalk.red(` failed: ${record.error}`) : ''
  return `${chalk.dim(clock(new Date().toISOString()))} ${chalk.magenta('popup')}    ${record.argv[0]} ${record.argv[1].map((arg) => JSON.stringify(arg)).join(' ')}${outcome}`
}

/** A terminal hyperlink (OSC 8): clickable in most terminals, plain text elsewhere. */
export function terminalLink(url: string, text = url): string {
  return `\u001B]8;;${url}\u0007${text}\u001B]8;;\u0007`
}

export interface ListenerConsole {
  onEvent(event: CallEvent): void
  onRequest(record: RequestRecord): void
  onDelivery(record: DeliveryRecord): void
  onDriverLog(message: string): void
  onPopup(record: PopupRecord): void
  onPopupLink(callId: string, url: string): void
  onWarning(message: string): void
  ready(url: string, driver: string): void
  stopped(): void
}

/** What `callctl listen` prints: coloured lines for people, or one JSON object per line with `--json`. */
export function listenerConsole(json: boolean, print: (line: string) => void): ListenerConsole {
  if (json) {
    const emit = (kind: string, record: object) => print(JSON.stringify({kind, ...record}))
    return {
      onEvent: (event) => emit('event', event),
      onRequest: (record) => emit('request', record),
      onDelivery: (record) => emit('delivery', record),
      onPopup: (record) => emit('popup', record),
      onPopupLink: (callId, url) => emit('popup-link', {callId, url}),
      onDriverLog: (message) => emit('driver', {message}),
      onWarning: (message) => emit('warning', {message}),
      ready: (url, driver) => emit('ready', {url, driver, pid: process.pid}),
      stopped: () => emit('stopped', {}),
    }
  }

  return {
    onEvent: (event) => print(formatEvent(event)),
    onRequest: (record) => print(formatRequest(record)),
    onDelivery: (record) => print(formatDelivery(record)),
    onPopup: (record) => print(formatPopup(record)),
    onPopupLink: (_callId, url) => print(`${chalk.dim(clock(new Date().toISOString()))} ${chalk.magenta('popup')}    ${terminalLink(url)} (or: callctl popup)`),
    onDriverLog: (message) => print(`${chalk.dim(clock(new Date().toISOString()))} ${chalk.dim(message)}`),
    onWarning: (message) => print(chalk.yellow(`Warning: ${message}`)),
    ready: (url, driver) => print(`callctl listening on ${chalk.bold(url)} (driver: ${driver}) — try ${url}/status`),
    stopped: () => print('callctl listener stopped'),
  }
}
