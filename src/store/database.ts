import path from 'node:path'
import type {DatabaseSync, SQLInputValue, StatementSync} from 'node:sqlite'

import {CallctlError, ExitCode} from '../errors.js'
import {NotARegularFile, refuseIfNotRegular} from '../os/regular-file.js'

/** A feature's tables: its name, and its migrations in order (each runs once, in a transaction). */
export interface StoreSchema {
  name: string
  migrations: string[]
}

/** A stored record that failed its check on the way back in: kept, raw, for the user to look at. */
export interface QuarantinedRecord {
  id: number
  /** Where it was found: `outbox`, `live-calls`, `outbox file <name>`. */
  source: string
  reason: string
  raw: string
  at: string
}

/** Who holds a store: the listener that claimed it, for the error a second one gets. */
export interface StoreHolder {
  pid: number
  port: number
  since: string
}

const BASE: StoreSchema = {
  name: 'store',
  migrations: [
    `CREATE TABLE quarantine (
       id INTEGER PRIMARY KEY AUTOINCREMENT,
       source TEXT NOT NULL,
       reason TEXT NOT NULL,
       raw TEXT NOT NULL,
       at TEXT NOT NULL
     );
     CREATE TABLE holder (only INTEGER PRIMARY KEY CHECK (only = 1), pid INTEGER, port INTEGER, since TEXT)`,
  ],
}

export interface StoreOptions {
  /**
   * The listener's: a file that is not a sound database (damaged, or something else) is checked at open, moved aside
   * (never deleted) and a new one started, because the listener must come up. Other commands only report it: the
   * running listener may still have the file open.
   */
  repair?: boolean
}

/**
 * callctl's durable state in one SQLite file (`node:sqlite`): the outbox, the live calls, the quarantine. WAL lets
 * `callctl outbox` read and change it while a listener writes. Each feature brings its own tables as a
 * `StoreSchema`; the versions applied are kept per feature, so a feature can add a migration without touching the
 * others.
 */
export class Store {
  readonly db: DatabaseSync
  /** Set when the file could not be opened and was moved aside: the path it was moved to. */
  readonly movedAside?: string
  #lock?: DatabaseSync
  readonly #statements = new Map<string, StatementSync>()
  /** The group commit open for this turn of the event loop (see atomically). */
  #group?: {onError: (error: Error) => void; committed: Promise<void>; done: () => void}

  constructor(
    readonly file: string,
    schemas: StoreSchema[],
    {repair = false}: StoreOptions = {},
  ) {
    const {DatabaseSync: Database} = process.getBuiltinModule('node:sqlite')
    const {mkdirSync, renameSync} = process.getBuiltinModule('node:fs')
    const open = () => {
      mkdirSync(path.dirname(file), {recursive: true, mode: 0o700})
      refuseNonRegularStore(file)
      ownerOnly(file)
      const db = new Database(file)
      try {
        // Another process (the CLI, a second listener) may hold the write lock for a moment.
        db.exec('PRAGMA busy_timeout = 5000')
        db.exec('PRAGMA journal_mode = WAL')
        // WAL with NORMAL survives a crashed process (what "never lose an event" is about); FULL would add an
        // fsync per notification, only for power loss.
        db.exec('PRAGMA synchronous = NORMAL')
        // A damaged page deep in the file fails only the query that reaches it: found here, not mid-delivery.
        const [check] = db.prepare('PRAGMA quick_check(1)').all() as Array<{quick_check: string}>
        if (check?.quick_check !== 'ok')
          throw Object.assign(new Error(`database disk image is malformed (${check?.quick_check})`), {errcode: 11})

        migrate(db, [BASE, ...schemas])
        return db
      } catch (error) {
        db.close()
        throw error
      }
    }

    try {
      this.db = open()
    } catch (error) {
      if (!repair || !isDamaged(error)) throw storeError(file, error)
      this.movedAside = `${file}.damaged-${new Date().toISOString().replaceAll(':', '-')}`
      renameSync(file, this.movedAside)
      for (const suffix of ['-wal', '-shm']) {
        try {
          renameSync(`${file}${suffix}`, `${this.movedAside}${suffix}`)
        } catch {
          // Not there: nothing to keep.
        }
      }

      this.db = open()
    }
  }

  /**
   * Runs `work` in one transaction: all of it lands, or none. Inside another (a group commit included) it is a
   * savepoint of that one, so a failing `work` takes back only its own writes.
   */
  transaction<T>(work: () => T): T {
    const nested = this.db.isTransaction
    this.db.exec(nested ? 'SAVEPOINT nested' : 'BEGIN IMMEDIATE')
    try {
      const result = work()
      this.db.exec(nested ? 'RELEASE nested' : 'COMMIT')
      return result
    } catch (error) {
      this.db.exec(nested ? 'ROLLBACK TO nested; RELEASE nested' : 'ROLLBACK')
      throw error
    }
  }

  /**
   * Runs `work` (which must not throw) in a transaction when one can be had, else without: work that also does
   * things outside the store (a call event reaching the console and `/events`) must happen even when the store
   * fails. `onError` hears why the store part could not be made atomic or kept.
   *
   * Group commit: the transaction stays open for everything that arrives in the same turn of the event loop and
   * commits once, right after it (a commit is a write to the WAL: one per call event cost most of a `/make`, see
   * `npm run bench`). Whoever promises that it is stored (an HTTP 200, a webhook) waits for `committed()` first.
   */
  atomically(work: () => void, onError: (error: Error) => void): void {
    if (this.db.isOpen && this.db.isTransaction) return work()
    try {
      this.db.exec('BEGIN IMMEDIATE')
    } catch (error) {
      onError(error as Error)
      return work()
    }

    const {promise, resolve} = Promise.withResolvers<void>()
    this.#group = {onError, committed: promise, done: resolve}
    setImmediate(() => this.#commitGroup())
    work()
  }

  /** Settles once what `atomically` wrote so far is committed (or failed to be); undefined when nothing waits. */
  committed(): Promise<void> | undefined {
    return this.#group?.committed
  }

  #commitGroup(): void {
    const group = this.#group
    if (!group) return
    this.#group = undefined
    try {
      this.db.exec('COMMIT')
    } catch (error) {
      group.onError(error as Error)
      try {
        this.db.exec('ROLLBACK')
      } catch {
        // Nothing left to roll back.
      }
    }

    group.done()
  }

  quarantine(source: string, reason: string, raw: string): void {
    this.run('INSERT INTO quarantine (source, reason, raw, at) VALUES (?, ?, ?, ?)', [
      source,
      reason,
      raw,
      new Date().toISOString(),
    ])
  }

  quarantined(): QuarantinedRecord[] {
    return this.statement('SELECT id, source, reason, raw, at FROM quarantine ORDER BY id').all() as never
  }

  quarantineCount(): number {
    return Number((this.statement('SELECT count(*) AS n FROM quarantine').get() as {n: number}).n)
  }

  purgeQuarantine(): number {
    return Number(this.statement('DELETE FROM quarantine').run().changes)
  }

  /** A prepared statement, made once: the outbox runs the same few per notification. */
  statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql)
    if (!statement) {
      statement = this.db.prepare(sql)
      this.#statements.set(sql, statement)
    }

    return statement
  }

  run(sql: string, values: SQLInputValue[] = []): void {
    this.statement(sql).run(...values)
  }

  /**
   * Makes this process the store's one listener while it runs, so that two listeners sharing a config folder never
   * send one delivery twice or end each other's calls. The claim is an exclusive lock on `<store>.lock`, which the
   * OS releases when the process ends however it ends (kill -9 included): a stale claim cannot block a restart.
   * Returns the holder when another process has it.
   */
  claim(port: number): StoreHolder | undefined {
    const {DatabaseSync: Database} = process.getBuiltinModule('node:sqlite')
    try {
      refuseIfNotRegular(`${this.file}.lock`)
    } catch (error) {
      throw storeError(`${this.file}.lock`, error)
    }

    ownerOnly(`${this.file}.lock`)
    const lock = new Database(`${this.file}.lock`)
    try {
      lock.exec('PRAGMA busy_timeout = 0')
      lock.exec('BEGIN EXCLUSIVE')
    } catch (error) {
      lock.close()
      if (!/locked|busy/i.test((error as Error).message)) throw storeError(`${this.file}.lock`, error)
      // The holder writes its row right after it takes the lock: a listener starting at the same instant waits
      // for it a moment, so that the error can name it.
      const sleeper = new Int32Array(new SharedArrayBuffer(4))
      for (let tries = 0; ; tries++) {
        const holder = this.db.prepare('SELECT pid, port, since FROM holder WHERE only = 1').get() as
          StoreHolder | undefined
        if (holder || tries === 20) return holder ?? {pid: 0, port: 0, since: ''}
        Atomics.wait(sleeper, 0, 0, 50)
      }
    }

    this.#lock = lock
    this.run('INSERT OR REPLACE INTO holder (only, pid, port, since) VALUES (1, ?, ?, ?)', [
      process.pid,
      port,
      new Date().toISOString(),
    ])
    return undefined
  }

  /** Records the port once the listener has it (port 0 asks the OS for one). */
  setHolderPort(port: number): void {
    if (this.#lock) this.run('UPDATE holder SET port = ? WHERE only = 1 AND pid = ?', [port, process.pid])
  }

  close(): void {
    if (this.db.isOpen) this.#commitGroup()
    if (this.#lock?.isOpen) {
      this.run('DELETE FROM holder WHERE only = 1 AND pid = ?', [process.pid])
      this.#lock.close()
    }

    this.#statements.clear()
    if (this.db.isOpen) this.db.close()
  }
}

/**
 * The listener that holds the store at `file`, as it recorded itself when it took the store: read only, so asking
 * never creates or changes a store. Undefined when there is no store or no holder row (none ever ran, or it stopped).
 * A row a killed listener left stays: callers check the pid against the listener that answers.
 */
export function readHolder(file: string): StoreHolder | undefined {
  const {DatabaseSync: Database} = process.getBuiltinModule('node:sqlite')
  let db: DatabaseSync | undefined
  try {
    refuseNonRegularStore(file)
    db = new Database(file, {readOnly: true})
    db.exec('PRAGMA busy_timeout = 200')
    return db.prepare('SELECT pid, port, since FROM holder WHERE only = 1').get() as StoreHolder | undefined
  } catch {
    return undefined
  } finally {
    db?.close()
  }
}

function migrate(db: DatabaseSync, schemas: StoreSchema[]): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_versions (name TEXT PRIMARY KEY, version INTEGER NOT NULL)')
  for (const {name, migrations} of schemas) {
    const row = db.prepare('SELECT version FROM schema_versions WHERE name = ?').get(name) as
      {version: number} | undefined
    const applied = row?.version ?? 0
    if (applied > migrations.length)
      throw new Error(
        `The store's ${name} tables are at version ${applied}, newer than this callctl knows (${migrations.length}): update callctl`,
      )
    for (let version = applied + 1; version <= migrations.length; version++) {
      db.exec('BEGIN IMMEDIATE')
      try {
        db.exec(migrations[version - 1])
        db.prepare('INSERT OR REPLACE INTO schema_versions (name, version) VALUES (?, ?)').run(name, version)
        db.exec('COMMIT')
      } catch (error) {
        db.exec('ROLLBACK')
        throw error
      }
    }
  }
}

function storeError(file: string, error: unknown): CallctlError {
  if (error instanceof CallctlError) return error
  const damaged = isDamaged(error)
  return new CallctlError(
    `Cannot open callctl's store ${file}: ${(error as Error).message}${damaged ? ' (the file is damaged)' : ''}`,
    {
      code: 'ERR_STORE',
      exit: ExitCode.cannotListen,
      suggestions: [
        damaged
          ? 'callctl listen moves a damaged store aside (kept for you) and starts a new one'
          : storeSuggestion(error, 'readable and writable'),
      ],
      cause: error,
    },
  )
}

/** SQLite's own open would wait for ever on a FIFO put in place of the store or of its -wal or -shm file. */
export function refuseNonRegularStore(file: string): void {
  for (const suffix of ['', '-wal', '-shm']) refuseIfNotRegular(`${file}${suffix}`)
}

/** What to do about a store that cannot be opened: move away what is not a file, else check the folder's access. */
export function storeSuggestion(error: unknown, access: 'readable' | 'readable and writable'): string {
  return error instanceof NotARegularFile
    ? `Move it away (mv ${error.file} ${error.file}.old): callctl listen starts a new store`
    : `Check that the config folder and callctl.db are ${access} by you (callctl config path shows the folder)`
}

function isDamaged(error: unknown): boolean {
  const {errcode, message} = error as {errcode?: number; message?: string}
  // SQLITE_CORRUPT (11) and SQLITE_NOTADB (26), with their extended codes.
  return errcode !== undefined ? [11, 26].includes(errcode & 0xff) : /not a database|malformed/i.test(message ?? '')
}

/**
 * The store holds call journals and notification bodies: readable by its owner only, as config.json is. SQLite
 * creates a file with the umask's mode (often 0644) and gives its -wal and -shm files the mode of the database, so
 * the file is made (empty: a new database to SQLite) or narrowed to 0600 before SQLite opens it.
 */
function ownerOnly(file: string): void {
  const {chmodSync, closeSync, openSync} = process.getBuiltinModule('node:fs')
  try {
    closeSync(openSync(file, 'a', 0o600))
    if (process.platform !== 'win32') chmodSync(file, 0o600)
  } catch {
    // Not ours to change (another user's file, a read-only folder): opening it says what is wrong.
  }
}
