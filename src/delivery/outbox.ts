import path from 'node:path'

import {configDir, storeFile} from '../config/paths.js'
import {HIDDEN, hideUrlSecrets, isCredentialName} from '../config/schema.js'
import {CallctlError, ExitCode} from '../errors.js'
import {Store, type StoreSchema} from '../store/database.js'
import type {SignatureScheme} from './signature.js'
import type {OutgoingRequest} from './targets.js'

/** One notification on its way: stored before it is sent, removed after a 2xx. */
export interface Delivery {
  /** Unique and stable across retries and restarts: the receiver's idempotency key. */
  id: string
  /** The store's row number: creation order, which is the order of delivery per call and target. */
  seq: number
  target: string
  /** The target's identity (targets.ts targetIdOf); records of an older callctl have none. */
  targetId?: string
  callId: string
  event: string
  createdAt: string
  attempts: number
  nextAttemptAt: number
  lastError?: string
  request: OutgoingRequest
  secret?: string
  /** The call event's id: Standard Webhooks' `webhook-id`, the same for every retry (older records: `id`). */
  eventId?: string
  /** How it is signed; older records: callctl's scheme. */
  scheme?: SignatureScheme
}

/** A target switched off because its receiver answered 410 Gone, until `callctl outbox --enable` (README). */
export interface DisabledTarget {
  /** The target's place in the config when it answered: what `outbox` names it by. */
  target: string
  /**
   * Which target it is (its URL template's identity), what the row is keyed by: another target answering 410 at the
   * same place later is another row. Rows of an older callctl, keyed by place, have none until the listener starts
   * (identifyDisabled).
   */
  targetId?: string
  /** The URL that answered 410, secrets hidden. */
  url: string
  at: string
  reason: string
}

export type NewDelivery = Omit<Delivery, 'seq'>

/** What a switched-off target is stored (and held in memory) by: its identity, else its place (an older row). */
export function disabledKey({target, targetId}: Pick<DisabledTarget, 'target' | 'targetId'>): string {
  return targetId ?? `place:${target}`
}

/**
 * What `outbox --enable` takes for a switched-off target: its place, as `outbox` has always said, unless another
 * switched-off target had the same place (one URL, then another at callbacks[0]); then its identity.
 */
export function enableName(off: DisabledTarget, all: readonly DisabledTarget[]): string {
  const shared = all.filter((row) => row.target === off.target).length > 1
  return shared && off.targetId !== undefined ? off.targetId : off.target
}

/** Switched-off targets named for people: `callbacks[0] (https://crm.example/hook)`. */
export function describeOff(off: readonly DisabledTarget[]): string {
  return off.map((row) => `${row.target} (${row.url})`).join(', ')
}

export const OUTBOX_SCHEMA: StoreSchema = {
  name: 'outbox',
  migrations: [
    `CREATE TABLE deliveries (
       seq INTEGER PRIMARY KEY AUTOINCREMENT,
       state TEXT NOT NULL CHECK (state IN ('pending', 'failed')),
       data TEXT NOT NULL
     );
     CREATE INDEX deliveries_by_state ON deliveries (state, seq)`,
    `CREATE TABLE disabled_targets (
       target TEXT PRIMARY KEY,
       url TEXT NOT NULL,
       at TEXT NOT NULL,
       reason TEXT NOT NULL
     )`,
    'ALTER TABLE disabled_targets ADD COLUMN target_id TEXT',
    // Keyed by the target's identity, not its place: a 410 of another URL at callbacks[0] replaced the row of the
    // one switched off there before, which was then sent to again. A row without an identity keeps its place as key.
    `CREATE TABLE disabled_targets_by_id (
       key TEXT PRIMARY KEY,
       target TEXT NOT NULL,
       target_id TEXT,
       url TEXT NOT NULL,
       at TEXT NOT NULL,
       reason TEXT NOT NULL
     );
     INSERT OR REPLACE INTO disabled_targets_by_id (key, target, target_id, url, at, reason)
       SELECT coalesce(target_id, 'place:' || target), target, target_id, url, at, reason FROM disabled_targets;
     DROP TABLE disabled_targets;
     ALTER TABLE disabled_targets_by_id RENAME TO disabled_targets`,
  ],
}

/**
 * The durable outbox, a table of the store: a delivery is written before it is sent and removed after a 2xx, or
 * marked failed when it can never succeed or is too old to retry. Whatever is read back is checked first: a record
 * that is not a delivery goes to the store's quarantine, raw, and never reaches the sender.
 */
export class Outbox {
  constructor(readonly store: Store) {}

  add(delivery: NewDelivery): Delivery {
    const {seq: _ignored, ...data} = delivery as Delivery
    const row = this.store
      .statement("INSERT INTO deliveries (state, data) VALUES ('pending', ?) RETURNING seq")
      .get(JSON.stringify(data)) as {seq: number}
    return {...data, seq: Number(row.seq)}
  }

  /** Stores what changed after an attempt (attempts, next attempt, last error). */
  save(delivery: Delivery): void {
    const {seq, ...data} = delivery
    this.store.run('UPDATE deliveries SET data = ? WHERE seq = ?', [JSON.stringify(data), seq])
  }

  remove(delivery: Delivery): void {
    this.store.run('DELETE FROM deliveries WHERE seq = ?', [delivery.seq])
  }

  fail(delivery: Delivery): void {
    const {seq, ...data} = delivery
    this.store.run("UPDATE deliveries SET state = 'failed', data = ? WHERE seq = ?", [JSON.stringify(data), seq])
  }

  /** Pending deliveries in order, but those in `known` (already queued in memory), which are not read again. */
  pending(known?: ReadonlySet<number>): Delivery[] {
    return this.#read('pending', known)
  }

  failed(): Delivery[] {
    return this.#read('failed')
  }

  failedCount(): number {
    return Number(
      (this.store.statement("SELECT count(*) AS n FROM deliveries WHERE state = 'failed'").get() as {n: number}).n,
    )
  }

  /** Puts failed deliveries back with a fresh retry budget; a running listener picks them up. */
  retryFailed(): number {
    return this.store.transaction(() => {
      const failed = this.failed()
      for (const delivery of failed) {
        const {seq, ...data} = delivery
        const fresh = {...data, attempts: 0, nextAttemptAt: 0, createdAt: new Date().toISOString()}
        this.store.run("UPDATE deliveries SET state = 'pending', data = ? WHERE seq = ?", [JSON.stringify(fresh), seq])
      }

      return failed.length
    })
  }

  /** Switches a target off for good (a 410 Gone): its deliveries fail without a request until it is enabled. */
  disable(target: DisabledTarget): void {
    this.store.run(
      'INSERT OR REPLACE INTO disabled_targets (key, target, target_id, url, at, reason) VALUES (?, ?, ?, ?, ?, ?)',
      [disabledKey(target), target.target, target.targetId ?? null, target.url, target.at, target.reason],
    )
  }

  disabled(): DisabledTarget[] {
    return (
      this.store
        .statement('SELECT target, url, at, reason, target_id FROM disabled_targets ORDER BY target, at')
        .all() as Array<Record<string, unknown>>
    ).map((row) => ({
      target: String(row.target),
      ...(typeof row.target_id === 'string' && {targetId: row.target_id}),
      url: String(row.url),
      at: String(row.at),
      reason: String(row.reason),
    }))
  }

  /**
   * Switches targets on again: the one named by its identity, or by its place when no other switched-off target had
   * that place (all of them without a name); says which were off.
   */
  enable(name?: string): DisabledTarget[] {
    return this.store.transaction(() => {
      const all = this.disabled()
      const byId = all.filter((row) => row.targetId === name)
      const off = name === undefined ? all : byId.length > 0 ? byId : all.filter((row) => row.target === name)
      if (off.length > 1 && name !== undefined)
        throw new CallctlError(`${name} names ${off.length} switched-off targets: ${describeOff(off)}`, {
          code: 'ERR_AMBIGUOUS_TARGET',
          exit: ExitCode.usage,
          suggestions: [
            `Name one by its id: ${off.map((row) => `callctl outbox --enable ${enableName(row, all)}`).join(' or ')}`,
          ],
        })
      for (const row of off) this.store.run('DELETE FROM disabled_targets WHERE key = ?', [disabledKey(row)])
      return off
    })
  }

  /**
   * Gives the rows of an older callctl, keyed by their place in the config, the identity of the target there now
   * (`identify`), or drops them when that is another target (then it is sent to again, and a 410 switches it off
   * again, by its identity). Says which were given an identity and which were dropped.
   */
  identifyDisabled(identify: (row: DisabledTarget) => string | undefined): {
    identified: DisabledTarget[]
    dropped: DisabledTarget[]
  } {
    return this.store.transaction(() => {
      const identified: DisabledTarget[] = []
      const dropped: DisabledTarget[] = []
      for (const row of this.disabled()) {
        if (row.targetId !== undefined) continue
        this.store.run('DELETE FROM disabled_targets WHERE key = ?', [disabledKey(row)])
        const targetId = identify(row)
        if (targetId === undefined) {
          dropped.push(row)
          continue
        }

        // Kept if that identity is switched off already (a row of this callctl says more).
        this.store.run(
          'INSERT OR IGNORE INTO disabled_targets (key, target, target_id, url, at, reason) VALUES (?, ?, ?, ?, ?, ?)',
          [targetId, row.target, targetId, row.url, row.at, row.reason],
        )
        identified.push({...row, targetId})
      }

      return {identified, dropped}
    })
  }

  purgeFailed(): number {
    return Number(this.store.statement("DELETE FROM deliveries WHERE state = 'failed'").run().changes)
  }

  #read(state: 'pending' | 'failed', known?: ReadonlySet<number>): Delivery[] {
    const rows = this.store
      .statement('SELECT seq, data FROM deliveries WHERE state = ? ORDER BY seq')
      .all(state) as Array<{seq: number; data: string}>
    const deliveries: Delivery[] = []
    for (const {seq, data} of rows) {
      if (known?.has(Number(seq))) continue
      const checked = checkDelivery(data)
      if (typeof checked === 'string') {
        this.store.transaction(() => {
          this.store.quarantine('outbox', checked, data)
          this.store.run('DELETE FROM deliveries WHERE seq = ?', [seq])
        })
        continue
      }

      deliveries.push({...checked, seq: Number(seq)})
    }

    return deliveries
  }
}

/**
 * The outbox of the config folder's store (`callctl outbox`, `doctor`, the listener), with the files of an older
 * callctl taken over first; `note` hears what was taken over, or why it could not be (then it is tried again).
 */
export function openOutbox(store = new Store(storeFile(), [OUTBOX_SCHEMA]), note?: (message: string) => void): Outbox {
  try {
    const imported = importOutboxFiles(store)
    if (imported)
      note?.(`outbox: took over ${imported.count} deliveries from ${imported.from} (kept as ${imported.to})`)
  } catch (error) {
    note?.(
      `outbox: the old outbox folder could not be taken over (${(error as Error).message}); tried again at the next start`,
    )
  }

  return new Outbox(store)
}

/**
 * Takes over the outbox of callctl before the store (one JSON file per delivery in `<config>/outbox/pending` and
 * `failed`), once: the folder is renamed to `outbox.imported` afterwards, kept for the user to delete. Files that
 * are not deliveries go to the quarantine, raw.
 */
export function importOutboxFiles(
  store: Store,
  dir = path.join(configDir(), 'outbox'),
): {count: number; from: string; to: string} | undefined {
  const {existsSync, readdirSync, readFileSync, renameSync} = process.getBuiltinModule('node:fs')
  if (!existsSync(dir)) return undefined
  let count = 0
  const to = uniqueName(`${dir}.imported`)
  // The rename is the transaction's last step: if it fails, nothing was imported, so nothing is imported twice.
  store.transaction(() => {
    for (const state of ['pending', 'failed'] as const) {
      let names: string[] = []
      try {
        names = readdirSync(path.join(dir, state))
          .filter((name) => name.endsWith('.json'))
          .sort()
      } catch {
        // No such folder (or a file in its place): nothing to take over.
      }

      for (const name of names) {
        let raw: string
        try {
          raw = readFileSync(path.join(dir, state, name), 'utf8')
        } catch (error) {
          store.quarantine(`outbox file ${state}/${name}`, (error as Error).message, '')
          continue
        }

        const checked = checkDelivery(raw)
        if (typeof checked === 'string') {
          store.quarantine(`outbox file ${state}/${name}`, checked, raw)
          continue
        }

        const {seq: _old, ...data} = checked as Delivery
        store.run('INSERT INTO deliveries (state, data) VALUES (?, ?)', [state, JSON.stringify(data)])
        count++
      }
    }

    renameSync(dir, to)
  })
  return {count, from: dir, to}
}

function uniqueName(base: string): string {
  const {existsSync} = process.getBuiltinModule('node:fs')
  let name = base
  for (let n = 2; existsSync(name); n++) name = `${base}-${n}`
  return name
}

/** A delivery as `callctl outbox` shows it: no signing secret, credential header values hidden (like `config list`). */
export function shownDelivery({secret: _secret, ...delivery}: Delivery): Omit<Delivery, 'secret'> {
  const headers = Object.fromEntries(
    Object.entries(delivery.request.headers).map(([name, value]) => [name, isCredentialName(name) ? HIDDEN : value]),
  )
  return {...delivery, request: {...delivery.request, url: hideUrlSecrets(delivery.request.url), headers}}
}

/**
 * A damaged record's raw text as `callctl outbox` shows it: any JSON string under a credential-like key hidden. The
 * store keeps the raw text as it was.
 */
export function shownRaw(raw: string): string {
  return hideUrlSecrets(raw).replaceAll(/"([^"\\]*)"(\s*:\s*)"(?:[^"\\]|\\.)*"/g, (pair, key: string, colon: string) =>
    isCredentialName(key) ? `"${key}"${colon}"${HIDDEN}"` : pair,
  )
}

/** A stored delivery, checked field by field; a string says what is wrong with it. */
export function checkDelivery(raw: string): NewDelivery | string {
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    return 'not JSON (truncated or damaged)'
  }

  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a delivery record'
  const record = value as Record<string, unknown>
  for (const key of ['id', 'target', 'callId', 'event', 'createdAt'] as const) {
    if (typeof record[key] !== 'string' || record[key] === '') return `${key} is missing or not text`
  }

  const created = Date.parse(record.createdAt as string)
  if (Number.isNaN(created)) return 'createdAt is not a date'
  // Its age decides when retrying stops: a date far ahead would be retried for ever.
  if (created > Date.now() + 86_400_000) return 'createdAt is in the future'
  if (!Number.isSafeInteger(record.attempts) || (record.attempts as number) < 0) return 'attempts is not a count'
  if (typeof record.nextAttemptAt !== 'number' || !Number.isFinite(record.nextAttemptAt))
    return 'nextAttemptAt is not a time'
  for (const key of ['lastError', 'secret', 'eventId', 'targetId'] as const) {
    if (record[key] !== undefined && typeof record[key] !== 'string') return `${key} is not text`
  }

  const request = record.request as Record<string, unknown> | null | undefined
  if (record.scheme !== undefined && record.scheme !== 'standard' && record.scheme !== 'callctl')
    return 'scheme is not standard or callctl'
  if (typeof request !== 'object' || request === null) return 'request is missing'
  if (request.method !== 'GET' && request.method !== 'POST') return 'request.method is not GET or POST'
  if (typeof request.url !== 'string') return 'request.url is missing'
  if (request.body !== undefined && typeof request.body !== 'string') return 'request.body is not text'
  const headers = request.headers as Record<string, unknown> | null | undefined
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) return 'request.headers is missing'
  if (Object.values(headers).some((header) => typeof header !== 'string')) return 'a request header is not text'
  return {
    id: record.id as string,
    target: record.target as string,
    ...(record.targetId === undefined ? {} : {targetId: record.targetId as string}),
    callId: record.callId as string,
    event: record.event as string,
    createdAt: record.createdAt as string,
    attempts: record.attempts as number,
    nextAttemptAt: record.nextAttemptAt as number,
    ...(record.lastError === undefined ? {} : {lastError: record.lastError as string}),
    request: {
      url: request.url,
      method: request.method,
      headers: headers as Record<string, string>,
      ...(request.body === undefined ? {} : {body: request.body}),
    },
    ...(record.secret === undefined ? {} : {secret: record.secret as string}),
    ...(record.eventId === undefined ? {} : {eventId: record.eventId as string}),
    ...(record.scheme === undefined ? {} : {scheme: record.scheme as SignatureScheme}),
  }
}
