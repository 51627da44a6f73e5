import chalk from 'chalk'

import type {CallEvent} from '../engine/call.js'
import type {RequestRecord} from '../listener/app.js'
import type {DeliveryRecord} from '../delivery/delivery.js'
import type {PopupRecord} from '../delivery/notifications.js'
import type {ListenerReport} from '../listener/report.js'
import type {ListenerRecord} from '../logs/log-file.js'
import {printable} from './printable.js'

const colour: Record<CallEvent['type'], (text: string) => string> = {
  incoming: chalk.yellow,
  outgoing: chalk.cyan,
  active: chalk.green,
  updated: chalk.blue,
  held: chalk.blue,
  resumed: chalk.green,
  transferred: chalk.blue,
  end: chalk.gray,
  missed: chalk.red,
  rejected: chalk.gray,
}

function clock(iso: string): string {
  return iso.slice(11, 19)
}

/** `12:00:01 incoming  020123456 "Alice"  sim-…` */
export function formatEvent(event: CallEvent): string {
  const {call} = event
  const who = [call.number || '(unknown number)', call.name && JSON.stringify(call.name)].filter(Boolean).join(' ')
  const reason = call.state === 'ended' && call.endReason ? chalk.dim(` (${call.endReason})`) : ''
  // An event type from a log file of another version is shown plain rather than failing.
  const paint = Object.hasOwn(colour, event.type) ? colour[event.type] : (text: string) => text
  return `${chalk.dim(clock(event.at))} ${paint(event.type.padEnd(8))} ${who}${reason} ${chalk.dim(call.id)}`
}

export function formatRequest(record: RequestRecord, at = new Date().toISOString()): string {
  const status = record.status >= 400 ? chalk.red(String(record.status)) : chalk.dim(String(record.status))
  const error = record.error ? ` ${chalk.red(record.error)}` : ''
  return `${chalk.dim(clock(at))} ${status} ${record.method} ${record.path}${error}`
}

export function formatDelivery(record: DeliveryRecord, at = new Date().toISOString()): string {
  const outcome =
    record.outcome === 'delivered'
      ? chalk.dim(`HTTP ${record.status} in ${record.ms} ms`)
      : chalk.red(
          `${record.outcome === 'failed' ? 'gave up' : `attempt ${record.attempt} failed, will retry`}: ${record.error}`,
        )
  return `${chalk.dim(clock(at))} ${chalk.magenta('notify')}   ${record.event} → ${record.url} ${outcome}`
}

export function formatPopup(record: PopupRecord, at = new Date().toISOString()): string {
  const outcome = record.error ? chalk.red(` failed: ${record.error}`) : ''
  return `${chalk.dim(clock(at))} ${chalk.magenta('popup')}    ${record.argv[0]} ${record.argv[1].map((arg) => JSON.stringify(arg)).join(' ')}${outcome}`
}

/** A terminal hyperlink (OSC 8): clickable in most terminals, plain text elsewhere. */
export function terminalLink(url: string, text = url): string {
  return `\u001B]8;;${url}\u0007${text}\u001B]8;;\u0007`
}

/** One record as a coloured line for people: the listener's console, `callctl logs` and `callctl events`. */
export function formatRecord(untrusted: ListenerRecord): string {
  const record = printable(untrusted)
  try {
    return formatKnown(record)
  } catch {
    // A record of a known kind without its fields (a damaged log line): shown as it is.
    return asIs(record)
  }
}

/** A record callctl has no line for: its time, its kind and its JSON. */
function asIs(record: ListenerRecord): string {
  return `${chalk.dim(clock(typeof record.time === 'string' ? record.time : new Date().toISOString()))} ${record.kind} ${JSON.stringify(record)}`
}

function formatKnown(record: ListenerRecord): string {
  const at = record.time ?? new Date().toISOString()
  const {kind} = record
  const text = (key: string) => String(record[key] ?? '')
  switch (kind) {
    case 'event': {
      return formatEvent(record as unknown as CallEvent)
    }

    case 'request': {
      return formatRequest(record as unknown as RequestRecord, at)
    }

    case 'delivery': {
      return formatDelivery(record as unknown as DeliveryRecord, at)
    }

    case 'popup': {
      return formatPopup(record as unknown as PopupRecord, at)
    }

    case 'lookup': {
      const found = record.outcome === 'found' ? `${text('name')} from ${text('source')}` : text('outcome')
      return `${chalk.dim(clock(at))} ${chalk.magenta('lookup')}   ${found} (${String(record.ms)} ms${record.cached ? ', cached' : ''})`
    }

    case 'popup-link': {
      return `${chalk.dim(clock(at))} ${chalk.magenta('popup')}    ${terminalLink(text('url'))} (or: callctl popup)`
    }

    case 'driver':
    case 'config': {
      return `${chalk.dim(clock(at))} ${chalk.dim(text('message'))}`
    }

    case 'warning': {
      return chalk.yellow(`Warning: ${text('message')}`)
    }

    case 'ready': {
      return `callctl listening on ${chalk.bold(text('url'))} (driver: ${text('driver')}) — try ${text('url')}/status`
    }

    case 'stopped': {
      return 'callctl listener stopped'
    }

    default: {
      return asIs(record)
    }
  }
}

/** What `callctl listen` prints of each report for people: a coloured line (`--json` prints the records as they are). */
export function consoleSink(print: (line: string) => void): (report: ListenerReport) => void {
  return (report) => print(formatRecord(report as ListenerRecord))
}
