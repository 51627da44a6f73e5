import path from 'node:path'

import {configDir} from '../config/paths.js'
import type {OutgoingRequest} from './targets.js'

const {mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync} = process.getBuiltinModule('node:fs')

/** One notification on its way: written before it is sent, removed after a 2xx. */
export interface Delivery {
  /** Unique and stable across retries and restarts: the receiver's idempotency key. */
  id: string
  /** File name stem; sorts in creation order, which is the order of delivery per call and target. */
  seq: string
  target: string
  callId: string
  event: string
  createdAt: string
  attempts: number
  nextAttemptAt: number
  lastError?: string
  request: OutgoingRequest
  secret?: string
}

export function outboxDir(): string {
  return path.join(configDir(), 'outbox')
}

/**
 * The durable outbox: one JSON file per delivery in `<config>/outbox/pending`, moved to `failed` when it is too
 * old to retry. Files are written whole and renamed into place, so a crash never leaves half a delivery.
 */
export class Outbox {
  readonly pendingDir: string
  readonly failedDir: string
  #counter = 0

  constructor(readonly dir = outboxDir()) {
    this.pendingDir = path.join(dir, 'pending')
    this.failedDir = path.join(dir, 'failed')
  }

  ensure(): void {
    mkdirSync(this.pendingDir, {recursive: true, mode: 0o700})
    mkdirSync(this.failedDir, {recursive: true, mode: 0o700})
  }

  nextSeq(): string {
    this.#counter = (this.#counter + 1) % 1_000_000
    return `${String(Date.now()).padStart(14, '0')}-${String(process.pid).padStart(7, '0')}-${String(this.#counter).padStart(6, '0')}`
  }

  save(delivery: Delivery): void {
    const file = path.join(this.pendingDir, `${delivery.seq}.json`)
    const temporary = `${file}.tmp`
    const write = () => {
      // The file may carry a callback secret: readable by its owner only, like the config.
      writeFileSync(temporary, JSON.stringify(delivery), {mode: 0o600})
      renameSync(temporary, file)
    }

    try {
      write()
    } catch (error) {
      // The folder was removed under a running listener (by hand, or a cleaner of temp folders): make it again.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      this.ensure()
      write()
    }
  }

  remove(delivery: Delivery): void {
    rmSync(path.join(this.pendingDir, `${delivery.seq}.json`), {force: true})
  }

  fail(delivery: Delivery): void {
    this.save(delivery)
    renameSync(path.join(this.pendingDir, `${delivery.seq}.json`), path.join(this.failedDir, `${delivery.seq}.json`))
  }

  pending(): Delivery[] {
    return read(this.pendingDir)
  }

  failedCount(): number {
    try {
      return readdirSync(this.failedDir).filter((name) => name.endsWith('.json')).length
    } catch {
      return 0
    }
  }

  failed(): Delivery[] {
    return read(this.failedDir)
  }

  /** Moves failed deliveries back to pending with a fresh retry budget; a running listener picks them up. */
  retryFailed(): number {
    const failed = this.failed()
    for (const delivery of failed) {
      this.save({...delivery, attempts: 0, nextAttemptAt: 0, createdAt: new Date().toISOString()})
      rmSync(path.join(this.failedDir, `${delivery.seq}.json`), {force: true})
    }

    return failed.length
  }

  purgeFailed(): number {
    const failed = this.failed()
    for (const delivery of failed) rmSync(path.join(this.failedDir, `${delivery.seq}.json`), {force: true})
    return failed.length
  }
}

function read(dir: string): Delivery[] {
  let names: string[]
  try {
    names = readdirSync(dir)
      .filter((name) => name.endsWith('.json'))
      .sort()
  } catch {
    return []
  }

  const deliveries: Delivery[] = []
  for (const name of names) {
    try {
      deliveries.push(JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as Delivery)
    } catch {
      // Deleted meanwhile by the listener (delivered) or by `outbox --purge`.
    }
  }

  return deliveries
}
