import path from 'node:path'

import {osFolders} from '../config/paths.js'
import {LineBatch} from '../os/line-batch.js'
import {appendRegularFile} from '../os/regular-file.js'

const {existsSync, mkdirSync, renameSync, rmSync, statSync} = process.getBuiltinModule('node:fs')

/** What the listener reports, as records: `listen --json` prints them, the log file keeps them with their time. */
export type ListenerRecord = {kind: string; time?: string} & Record<string, unknown>

/** Past this size the file is rotated: listener.jsonl → listener.1.jsonl → … → listener.<KEPT>.jsonl, then gone. */
export const MAX_LOG_BYTES = 5 * 1024 * 1024
export const KEPT_LOG_FILES = 3

/**
 * The log folder: `CALLCTL_LOG_DIR`, else `logs/` in a config folder moved with `CALLCTL_CONFIG_DIR` (portable
 * setups and tests keep everything together), else the OS's per-user log folder.
 */
export function logDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CALLCTL_LOG_DIR) return env.CALLCTL_LOG_DIR
  if (env.CALLCTL_CONFIG_DIR) return path.join(env.CALLCTL_CONFIG_DIR, 'logs')
  return osFolders().log
}

export function logFile(dir = logDir()): string {
  return path.join(dir, 'listener.jsonl')
}

/** The current file first, then the rotated ones, newest to oldest: what `callctl logs` reads. */
export function logFiles(dir = logDir()): string[] {
  return [
    logFile(dir),
    ...Array.from({length: KEPT_LOG_FILES}, (_, index) => path.join(dir, `listener.${index + 1}.jsonl`)),
  ].filter((file) => existsSync(file))
}

/**
 * The listener's JSON-lines log, written in batches (see LineBatch: not per request) and rotated by size, so it
 * never grows without bound. A log that cannot be written is reported once and then left alone: the listener's work
 * matters more than its log.
 */
export class LogFile {
  readonly file: string
  readonly #batch = new LineBatch((text) => this.#write(text))
  #size: number
  #broken = false

  constructor(
    readonly dir = logDir(),
    readonly maxBytes = MAX_LOG_BYTES,
    private readonly onProblem: (message: string) => void = () => {},
  ) {
    this.file = logFile(dir)
    try {
      mkdirSync(dir, {recursive: true, mode: 0o700})
      this.#size = existsSync(this.file) ? statSync(this.file).size : 0
    } catch (error) {
      this.#size = 0
      this.#fail(error)
    }
  }

  append(record: object): void {
    this.appendLine(JSON.stringify(record))
  }

  /** A record its caller has serialized already: one JSON object, without a line break. */
  appendLine(json: string): void {
    if (!this.#broken) this.#batch.push(json)
  }

  flush(): void {
    this.#batch.flush()
  }

  #write(text: string): void {
    if (this.#broken) return
    const bytes = Buffer.byteLength(text)
    try {
      if (this.#size > 0 && this.#size + bytes > this.maxBytes) this.#rotate()
      // Never waits on a FIFO put in the log's place: that stopped the listener answering.
      appendRegularFile(this.file, text)
      this.#size += bytes
    } catch (error) {
      this.#fail(error)
    }
  }

  #rotate(): void {
    rmSync(path.join(this.dir, `listener.${KEPT_LOG_FILES}.jsonl`), {force: true})
    for (let index = KEPT_LOG_FILES - 1; index >= 1; index--) {
      const from = path.join(this.dir, `listener.${index}.jsonl`)
      if (existsSync(from)) renameSync(from, path.join(this.dir, `listener.${index + 1}.jsonl`))
    }

    renameSync(this.file, path.join(this.dir, 'listener.1.jsonl'))
    this.#size = 0
  }

  #fail(error: unknown): void {
    this.#broken = true
    this.onProblem(`cannot write the log in ${this.dir} (${(error as Error).message}); going on without it`)
  }
}
