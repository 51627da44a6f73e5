import {storeFile} from '../config/paths.js'
import type {JournalEntry} from '../journal/journal.js'
import {type HistoryQuery, readHistory} from '../journal/history.js'
import type {Forwarded} from './forwarding.js'
import {printable} from './printable.js'

/** `callctl history`: the journal of this config folder's store, read directly (the listener need not run). */
export function showHistory(query: HistoryQuery): Forwarded<{calls: JournalEntry[]}> {
  const calls = readHistory(storeFile(), query)
  return {data: {calls}, lines: calls.length === 0 ? ['No calls in the journal'] : calls.map(historyLine)}
}

/** `2026-12-03 10:00:01Z  incoming  missed     0612345678 "Alice"  0:00  caller gave up` */
function historyLine(entry: JournalEntry): string {
  const shown = printable(entry)
  const who = [shown.number || 'unknown number', shown.name && JSON.stringify(shown.name)].filter(Boolean).join(' ')
  const minutes = Math.floor(entry.duration / 60)
  const seconds = String(entry.duration % 60).padStart(2, '0')
  const transfer = shown.transferredTo ? ` → ${shown.transferredTo}` : ''
  return `${shown.started.slice(0, 19).replace('T', ' ')}Z  ${shown.direction.padEnd(8)}  ${shown.result.padEnd(9)}  ${who}  ${minutes}:${seconds}${transfer}${shown.reason ? `  ${shown.reason}` : ''}`
}

const CSV_COLUMNS = [
  'id',
  'direction',
  'number',
  'name',
  'tags',
  'channel',
  'started',
  'answered',
  'ended',
  'duration',
  'result',
  'reason',
  'transferredTo',
  'delivered',
] as const

/** RFC 4180 CSV; a cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) is prefixed with `'`. */
export function historyCsv(calls: JournalEntry[]): string {
  const cell = (value: unknown, column: string) => {
    let text = Array.isArray(value) ? value.join(';') : value === null ? '' : String(value)
    // A dialable number such as +31201234567 is data, not a formula.
    const plainNumber = (column === 'number' || column === 'transferredTo') && /^\+?[\d*#]+$/.test(text)
    if (!plainNumber && /^[=+\-@\t\r]/.test(text)) text = `'${text}`
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
  }

  const lines = calls.map((entry) => CSV_COLUMNS.map((column) => cell(entry[column], column)).join(','))
  return `${[CSV_COLUMNS.join(','), ...lines].join('\r\n')}\r\n`
}
