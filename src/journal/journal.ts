import type {Call, CallResult} from '../engine/call.js'
import {FINAL_EVENT_TYPES} from '../engine/call.js'
import type {CallEngine} from '../engine/engine.js'
import type {Store, StoreSchema} from '../store/database.js'

/**
 * The journal's table. `seq` orders rows as written; a call id is not unique (a phone reporting through `notify`
 * may reuse one), so it is indexed, not a key. `delivered` is a JSON list of `"<event> <target>"`.
 */
export const JOURNAL_SCHEMA: StoreSchema = {
  name: 'journal',
  migrations: [
    `CREATE TABLE journal (
       seq INTEGER PRIMARY KEY AUTOINCREMENT,
       id TEXT NOT NULL,
       direction TEXT NOT NULL,
       number TEXT NOT NULL,
       name TEXT NOT NULL,
       tags TEXT NOT NULL,
       channel TEXT NOT NULL,
       started TEXT NOT NULL,
       answered TEXT,
       ended TEXT NOT NULL,
       duration INTEGER NOT NULL,
       result TEXT NOT NULL,
       reason TEXT NOT NULL,
       transferred_to TEXT,
       delivered TEXT NOT NULL DEFAULT '[]'
     );
     CREATE INDEX journal_ended ON journal (ended);
     CREATE INDEX journal_id ON journal (id)`,
  ],
}

/** One finished call as the journal keeps it and `history` shows it. */
export interface JournalEntry {
  id: string
  direction: Call['direction']
  number: string
  name: string
  tags: string[]
  channel: string
  started: string
  answered: string | null
  ended: string
  /** Seconds talking: from answer to end. */
  duration: number
  result: CallResult
  reason: string
  transferredTo: string | null
  /** The notifications delivered for the call: `"<event> <target>"`, e.g. `"end notifications.end"`. */
  delivered: string[]
}

const DAY_MS = 24 * 60 * 60 * 1000
/** How often a long-running listener drops what is past the retention. */
const PRUNE_EVERY_MS = 60 * 60 * 1000

export interface Journal {
  /** A notification was delivered: noted on its call's entry (now, or when the call ends). */
  delivered(callId: string, event: string, target: string): void
  /** Takes a changed retention at once. */
  setRetentionDays(days: number): void
  /** Drops entries older than the retention; returns how many. */
  prune(): number
  close(): void
}

/**
 * Writes every call that ends into the store, in the transaction of its final event (`end`, `missed`, `rejected`):
 * the entry, the live-call row's removal and the end notifications land together, so a kill -9 at any moment
 * leaves the call either live (ended at the next start, and journaled then) or journaled, never lost or twice.
 */
export function startJournal(
  engine: CallEngine,
  store: Store,
  {retentionDays, nameOf = (call) => call.name}: {retentionDays: number; nameOf?: (call: Call) => string},
): Journal {
  let retention = retentionDays
  /** Deliveries of calls still live: written with the entry when the call ends. */
  const pending = new Map<string, string[]>()
  const insert = store.db.prepare(
    `INSERT INTO journal (id, direction, number, name, tags, channel, started, answered, ended, duration, result,
       reason, transferred_to, delivered) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  const unsubscribe = engine.subscribe((event) => {
    if (!FINAL_EVENT_TYPES.includes(event.type)) return
    const {call} = event
    const delivered = pending.get(call.id) ?? []
    pending.delete(call.id)
    insert.run(
      call.id,
      call.direction,
      call.number,
      // The looked-up name where the caller-name lookup found one (the engine keeps the phone's).
      nameOf(call),
      JSON.stringify(call.tags),
      call.channel,
      call.createdAt,
      call.answeredAt ?? null,
      call.endedAt ?? event.at,
      durationOf(call),
      call.result ?? 'failed',
      call.endReason ?? '',
      call.transferredTo ?? null,
      JSON.stringify(delivered),
    )
  })

  const prune = () =>
    Number(
      store
        .statement('DELETE FROM journal WHERE ended < ?')
        .run(new Date(Date.now() - retention * DAY_MS).toISOString()).changes,
    )
  const timer = setInterval(() => {
    try {
      prune()
    } catch {
      // The store is busy or closing: the next round tries again.
    }
  }, PRUNE_EVERY_MS)
  timer.unref()

  return {
    delivered(callId, event, target) {
      const note = `${event} ${target}`
      if (engine.live().some((call) => call.id === callId)) {
        pending.set(callId, [...(pending.get(callId) ?? []), note])
        return
      }

      // Ended: its newest entry (an id may recur).
      store
        .statement(
          `UPDATE journal SET delivered = json_insert(delivered, '$[#]', ?)
           WHERE seq = (SELECT max(seq) FROM journal WHERE id = ?)`,
        )
        .run(note, callId)
    },
    setRetentionDays(days) {
      retention = days
    },
    prune,
    close() {
      clearInterval(timer)
      unsubscribe()
    },
  }
}

function durationOf(call: Call): number {
  if (!call.answeredAt || !call.endedAt) return 0
  return Math.max(0, Math.round((Date.parse(call.endedAt) - Date.parse(call.answeredAt)) / 1000))
}
