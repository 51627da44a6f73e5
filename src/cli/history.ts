import {once} from 'node:events'

import {storeFile} from '../config/paths.js'
import type {JournalEntry} from '../journal/journal.js'
import {eachHistoryEntry, type HistoryQuery, readHistory} from '../journal/history.js'
import type {Forwarded} from './forwarding.js'
import {printable} from './printable.js'

/** `callctl history`: the journal of this config folder's store, read directly (the listener need not run). */
export async function showHistory(query: HistoryQuery): Promise<Forwarded<{calls: JournalEntry[]}>> {
  const calls = await readHistory(storeFile(), query)
  return {data: {calls}, lines: calls.length === 0 ? [noCalls(query)] : calls.map(historyLine)}
}

function noCalls(query: HistoryQuery): string {
  const filtered = query.since !== undefined || query.number !== undefined || query.result !== undefined
  return filtered ? 'No call in the journal matched these filters' : 'No calls in the journal'
}

/**
 * `callctl history` printed as it is read, in chunks: as text lines, CSV, or the `--json` document byte for byte as
 * formatJson would print it, without holding the listing (100,000 entries took 585 MB when held).
 */
export async function printHistory(query: HistoryQuery, format: 'text' | 'json' | 'csv'): Promise<void> {
  let buffered = ''
  const flush = async () => {
    const chunk = buffered
    buffered = ''
    // A pipe takes what it is given at once and queues it in memory: wait until it has drained.
    if (!process.stdout.write(chunk)) await once(process.stdout, 'drain')
  }

  const out = (text: string) => {
    buffered += text
  }

  let count = 0
  if (format === 'json') out('{\n  "ok": true,\n  "calls": [')
  if (format === 'csv') out(`${CSV_COLUMNS.join(',')}\r\n`)
  await eachHistoryEntry(storeFile(), query, async (entry) => {
    if (format === 'json')
      out(`${count === 0 ? '\n' : ',\n'}${JSON.stringify(entry, null, 2).replaceAll(/^/gm, '    ')}`)
    else if (format === 'csv') out(`${csvLine(entry)}\r\n`)
    else out(`${historyLine(entry)}\n`)
    count++
    if (buffered.length >= 65_536) await flush()
  })
  if (format === 'json') out(count === 0 ? ']\n}\n' : '\n  ]\n}\n')
  if (format === 'text' && count === 0) out(`${noCalls(query)}\n`)
  await flush()
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
function csvLine(entry: JournalEntry): string {
  const cell = (value: unknown, column: string) => {
    let text = Array.isArray(value) ? value.join(';') : value === null ? '' : String(value)
    // A dialable number such as +31201234567 is data, not a formula.
    const plainNumber = (column === 'number' || column === 'transferredTo') && /^\+?[\d*#]+$/.test(text)
    if (!plainNumber && /^[=+\-@\t\r]/.test(text)) text = `'${text}`
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
  }

  return CSV_COLUMNS.map((column) => cell(entry[column], column)).join(',')
}
