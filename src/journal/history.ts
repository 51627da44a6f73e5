import type {DatabaseSync} from 'node:sqlite'

import {CALL_RESULTS, type CallResult} from '../engine/call.js'
import {isSipAddress, MAX_SIP_ADDRESS_LENGTH, SPACE_OR_CONTROL} from '../engine/sip-address.js'
import {CallctlError, ExitCode} from '../errors.js'
import type {JournalEntry} from './journal.js'
import {refuseNonRegularStore, storeSuggestion} from '../store/database.js'

/** What `callctl history` and `GET /history` may ask for. Raw text, as flags and query fields come. */
export interface HistoryQuery {
  since?: string
  number?: string
  result?: string
  limit?: string
}

/** A checked query: what goes into the SQL. */
interface Filters {
  since?: string
  number?: string
  /** `number` is a SIP address. */
  address?: boolean
  result?: CallResult
  limit: number
}

export const DEFAULT_LIMIT = 50
/** `callctl history` streams what it reads, so it may list the whole journal. */
export const MAX_LIMIT = 100_000
/** `GET /history` builds its answer in the listener, which serves calls meanwhile: one page at most this long. */
export const HTTP_MAX_LIMIT = 1000
const UNITS_MS: Record<string, number> = {m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000}

/** The oldest age `--since` takes: a hundred years covers any journal. */
const MAX_AGE_MS = 36_500 * UNITS_MS.d

/** An ISO date (and time) that exists: `2026-02-30` is refused, where Date.parse would give 2 March. */
function realDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(
    text,
  )
  if (!match) return false
  const [year, month, day, hour = 0, minute = 0, second = 0] = match.slice(1).map((part) => Number(part ?? 0))
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate()
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth &&
    hour < 24 &&
    minute < 60 &&
    second < 60 &&
    !Number.isNaN(Date.parse(text))
  )
}

function invalid(message: string, hint: string): CallctlError {
  return new CallctlError(message, {code: 'ERR_INVALID_FILTER', status: 400, exit: ExitCode.usage, suggestions: [hint]})
}

/** Checks a query; a bad value is one clear error naming it and what it takes. */
export function checkQuery(query: HistoryQuery, now = Date.now(), maxLimit = MAX_LIMIT): Filters {
  const filters: Filters = {limit: DEFAULT_LIMIT}
  if (query.since !== undefined) {
    const text = query.since.trim()
    const relative = /^(\d{1,7})([mhdw])$/.exec(text)
    const ageMs = relative ? Number(relative[1]) * UNITS_MS[relative[2]] : 0
    const at = relative
      ? ageMs <= MAX_AGE_MS
        ? now - ageMs
        : Number.NaN
      : realDate(text)
        ? Date.parse(text)
        : Number.NaN
    if (Number.isNaN(at))
      throw invalid(
        `Invalid since ${JSON.stringify(text.slice(0, 40))}: give an age such as 30m, 12h, 1d, 2w, or a date such as 2026-12-01 (a real date; ages up to 100 years)`,
        'Example: callctl history --since 1d',
      )
    filters.since = new Date(at).toISOString()
  }

  if (query.number !== undefined && isSipAddress(query.number)) {
    // A SIP address, or the start of one (`sip:bob`): found in calls to and from it, whatever its case.
    const address = query.number.trim()
    if (address.length > MAX_SIP_ADDRESS_LENGTH || SPACE_OR_CONTROL.test(address))
      throw invalid(
        `Invalid address ${JSON.stringify(address.slice(0, 40))}: give a SIP address or its start, without spaces or control characters, at most ${MAX_SIP_ADDRESS_LENGTH} characters`,
        'Example: --number sip:alice@pbx.example.com',
      )
    filters.number = address
    filters.address = true
  } else if (query.number !== undefined) {
    // As numbers are kept: without the spaces, dashes, dots and brackets people write them with.
    const number = query.number.replaceAll(/[\s().-]/g, '').slice(0, 128)
    if (number === '')
      throw invalid('Empty number: give the number (or part of it) to look for', 'Example: --number 0612345678')
    // Digits, as numbers are kept (a lone + would match every call, a letter none).
    if (!/^\+?[\d*#]+$/.test(number))
      throw invalid(
        `Invalid number ${JSON.stringify(query.number.slice(0, 40))}: give digits (a leading +, * and # allowed) of the number or part of it`,
        'Example: --number 0612345678',
      )
    filters.number = number
  }

  if (query.result !== undefined) {
    if (!(CALL_RESULTS as readonly string[]).includes(query.result))
      throw invalid(
        `Invalid result ${JSON.stringify(query.result.slice(0, 40))}: use one of ${CALL_RESULTS.join(', ')}`,
        'Example: callctl history --result missed',
      )
    filters.result = query.result as CallResult
  }

  if (query.limit !== undefined) {
    const limit = Number(query.limit)
    if (!/^\d+$/.test(query.limit) || limit < 1 || limit > maxLimit)
      throw invalid(
        `Invalid limit ${JSON.stringify(query.limit.slice(0, 40))}: use a whole number from 1 to ${maxLimit}`,
        'Example: --limit 20',
      )
    filters.limit = limit
  }

  return filters
}

interface Row {
  id: string
  direction: string
  number: string
  name: string
  tags: string
  channel: string
  started: string
  answered: string | null
  ended: string
  duration: number
  result: string
  reason: string
  transferred_to: string | null
  delivered: string
}

/** The journal's newest entries first, filtered, at most `maxLimit`. A database without a journal yet has none. */
export function queryJournal(db: DatabaseSync, query: HistoryQuery, maxLimit = MAX_LIMIT): JournalEntry[] {
  return [...journalEntries(db, checkQuery(query, Date.now(), maxLimit))]
}

/** The entries one by one, as SQLite steps through them: a long listing is never held whole. */
function* journalEntries(db: DatabaseSync, filters: Filters): Generator<JournalEntry> {
  const where: string[] = []
  const values: Array<string | number> = []
  if (filters.since) {
    where.push('ended >= ?')
    values.push(filters.since)
  }

  if (filters.address) {
    // A caller's address is kept as the caller wrote it (`sip:bob@PBX.example.com`): found whatever its case.
    where.push('instr(lower(number), ?) > 0')
    values.push(filters.number!.toLowerCase())
  } else if (filters.number?.startsWith('+')) {
    // A leading + is the international prefix: numbers that begin with it, however written (+31…, 0031…).
    where.push('(instr(number, ?) = 1 OR instr(number, ?) = 1)')
    values.push(filters.number, `00${filters.number.slice(1)}`)
  } else if (filters.number) {
    // Part of a number finds it: the last digits, or any digits within.
    where.push('instr(number, ?) > 0')
    values.push(filters.number)
  }

  if (filters.result) {
    where.push('result = ?')
    values.push(filters.result)
  }

  let rows: Iterator<unknown>
  try {
    rows = db
      .prepare(
        `SELECT * FROM journal ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ended DESC, seq DESC LIMIT ?`,
      )
      .iterate(...values, filters.limit)
  } catch (error) {
    if (/no such table/.test((error as Error).message)) return
    throw error
  }

  for (let next = rows.next(); !next.done; next = rows.next()) yield entryOf(next.value as Row)
}

/** A row as an entry; what does not parse (a hand-edited file) is shown empty rather than failing the listing. */
function entryOf(row: Row): JournalEntry {
  return {
    id: String(row.id),
    direction: row.direction === 'outgoing' ? 'outgoing' : 'incoming',
    number: String(row.number),
    name: String(row.name),
    tags: stringList(row.tags),
    channel: String(row.channel),
    started: String(row.started),
    answered: row.answered === null ? null : String(row.answered),
    ended: String(row.ended),
    duration: Number(row.duration) || 0,
    result: (CALL_RESULTS as readonly string[]).includes(row.result) ? (row.result as CallResult) : 'failed',
    reason: String(row.reason),
    transferredTo: row.transferred_to === null ? null : String(row.transferred_to),
    delivered: stringList(row.delivered),
  }
}

function stringList(raw: string): string[] {
  try {
    const value = JSON.parse(raw) as unknown
    return Array.isArray(value) ? value.map(String) : []
  } catch {
    return []
  }
}

/**
 * The journal of the store file, read without the listener (which may be down) and without the store's open-time
 * checks and migrations: `history` is on the start-up budget. A missing file is an empty journal. Each entry goes to
 * `visit` as it is read, so that 100,000 of them are printed without being held.
 */
export async function eachHistoryEntry(
  file: string,
  query: HistoryQuery,
  visit: (entry: JournalEntry) => void | Promise<void>,
): Promise<void> {
  const filters = checkQuery(query)
  const {existsSync} = process.getBuiltinModule('node:fs')
  if (!existsSync(file)) return
  const {DatabaseSync: Database} = process.getBuiltinModule('node:sqlite')
  let db: DatabaseSync
  try {
    refuseNonRegularStore(file)
    db = new Database(file, {readOnly: true})
  } catch (error) {
    // Exit 6, as every command that cannot open the store (outbox, listen) says it.
    throw new CallctlError(`Cannot read callctl's store ${file}: ${(error as Error).message}`, {
      code: 'ERR_STORE',
      exit: ExitCode.cannotListen,
      cause: error,
      suggestions: [storeSuggestion(error, 'readable')],
    })
  }

  try {
    db.exec('PRAGMA busy_timeout = 2000')
    for (const entry of journalEntries(db, filters)) await visit(entry)
  } catch (error) {
    if (error instanceof CallctlError) throw error
    throw new CallctlError(`Cannot read the call journal in ${file}: ${(error as Error).message}`, {
      code: 'ERR_STORE',
      cause: error,
      suggestions: ['If the file is damaged, `callctl listen` moves it aside and starts a new one'],
    })
  } finally {
    db.close()
  }
}

/** The whole listing at once (for oclif's own `--json` on a terminal). */
export async function readHistory(file: string, query: HistoryQuery): Promise<JournalEntry[]> {
  const entries: JournalEntry[] = []
  await eachHistoryEntry(file, query, (entry) => {
    entries.push(entry)
  })
  return entries
}
