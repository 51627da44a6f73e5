import type {Call} from '../engine/call.js'
import type {CallEngine} from '../engine/engine.js'
import type {Store, StoreSchema} from '../store/database.js'

export const LIVE_CALLS_SCHEMA: StoreSchema = {
  name: 'live-calls',
  migrations: ['CREATE TABLE live_calls (id TEXT PRIMARY KEY, data TEXT NOT NULL)'],
}

/** The `{REASON}` of the calls a listener ends at start because it died while they were live. */
export const RESTART_REASON = 'listener restarted'
/** The `{REASON}` of the calls still live when the listener is stopped (Ctrl-C, SIGTERM, `service stop`). */
export const STOP_REASON = 'listener stopped'

/**
 * Keeps the engine's live calls in the store. A listener that died (kill -9, a crash, power) left its live calls
 * there: `endLeftoverCalls` ends them at the next start, so every CRM that heard `incoming` also hears `end`, once.
 */
export function recordLiveCalls(engine: CallEngine, store: Store): () => void {
  const upsert = store.db.prepare('INSERT OR REPLACE INTO live_calls (id, data) VALUES (?, ?)')
  const remove = store.db.prepare('DELETE FROM live_calls WHERE id = ?')
  return engine.subscribe((event) => {
    if (event.call.state === 'ended') remove.run(event.call.id)
    else upsert.run(event.call.id, JSON.stringify(event.call))
  })
}

/**
 * Ends the calls a previous listener left live, each with `RESTART_REASON`: its end notifications are stored and
 * the call's row removed in one transaction, so a second crash right now neither loses nor repeats them. A row that
 * is not a call goes to the quarantine.
 */
export function endLeftoverCalls(engine: CallEngine, store: Store): Call[] {
  const rows = store.statement('SELECT id, data FROM live_calls').all() as Array<{id: string; data: string}>
  const ended: Call[] = []
  for (const {id, data} of rows) {
    const checked = checkCall(data)
    // A row under another call's id (hand-edited, or two rows of one call) would be ended at every start.
    const call = typeof checked === 'string' || checked.id === id ? checked : 'the row is filed under another id'
    store.transaction(() => {
      store.run('DELETE FROM live_calls WHERE id = ?', [id])
      if (typeof call === 'string') {
        store.quarantine('live-calls', call, data)
        return
      }

      engine.restore(call)
      ended.push(engine.finish(call.id, RESTART_REASON))
    })
  }

  return ended
}

function checkCall(raw: string): Call | string {
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    return 'not JSON (truncated or damaged)'
  }

  const call = value as Partial<Call> | null
  if (typeof call !== 'object' || call === null) return 'not a call record'
  if (typeof call.id !== 'string' || call.id === '') return 'id is missing'
  if (call.direction !== 'incoming' && call.direction !== 'outgoing') return 'direction is not incoming or outgoing'
  if (!['ringing', 'dialing', 'active', 'held'].includes(call.state as string)) return 'state is not live'
  for (const key of ['number', 'name', 'createdAt', 'channel'] as const) {
    if (typeof call[key] !== 'string') return `${key} is not text`
  }

  if (Number.isNaN(Date.parse(call.createdAt as string))) return 'createdAt is not a date'

  if (!Array.isArray(call.tags) || call.tags.some((tag) => typeof tag !== 'string')) return 'tags is not a list'
  if (call.answeredAt !== undefined && typeof call.answeredAt !== 'string') return 'answeredAt is not text'
  return call as Call
}
