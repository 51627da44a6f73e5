import path from 'node:path'

import {CallctlError} from '../errors.js'
import {NotARegularFile, openRegularFile, readRegularFile} from '../os/regular-file.js'
import {KEPT_LOG_FILES, type ListenerRecord, logDir, logFile, logFiles} from './log-file.js'

const {closeSync, constants, existsSync, readSync, statSync} = process.getBuiltinModule('node:fs')

/** What `logs` and `doctor` say of a log they cannot read: which file, why, and what to do. */
function logError(file: string, error: unknown): CallctlError {
  return new CallctlError(`Cannot read the log ${file}: ${(error as Error).message}`, {
    code: 'ERR_LOG',
    suggestions: [
      error instanceof NotARegularFile
        ? `Move it away (mv ${file} ${file}.old): the listener starts a new log`
        : `Check that it is a file you can read: ls -l ${file}`,
    ],
    cause: error,
  })
}

function readLog(file: string): string {
  try {
    return readRegularFile(file)
  } catch (error) {
    throw logError(file, error)
  }
}

function readFrom(file: string, offset: number, end = statSync(file).size): string {
  if (end <= offset) return ''
  let descriptor: number
  try {
    descriptor = openRegularFile(file, constants.O_RDONLY)
  } catch (error) {
    throw logError(file, error)
  }

  try {
    const buffer = Buffer.alloc(end - offset)
    readSync(descriptor, buffer, 0, buffer.length, offset)
    return buffer.toString('utf8')
  } finally {
    closeSync(descriptor)
  }
}

/** A line that is not JSON (cut off by a crash, edited by hand) is shown as it is, never a reason to stop. */
function parse(line: string): ListenerRecord {
  try {
    const record = JSON.parse(line) as ListenerRecord | null
    if (typeof record === 'object' && record !== null && !Array.isArray(record) && typeof record.kind === 'string')
      return record
  } catch {}

  return {kind: 'unreadable', line}
}

/** The last `count` records, oldest first, across the current and the rotated files. */
export function lastRecords(count: number, dir = logDir()): ListenerRecord[] {
  if (count <= 0) return []
  const lines: string[] = []
  for (const file of logFiles(dir)) {
    const fileLines = readLog(file).split('\n').filter(Boolean)
    lines.unshift(...fileLines.slice(-(count - lines.length)))
    if (lines.length >= count) break
  }

  return lines.slice(-count).map((line) => parse(line))
}

/**
 * Calls `onRecord` for every record appended from now on, until `signal` aborts; follows the file across
 * rotations (the file it was reading is found again among the rotated ones, by inode, and finished first) and
 * across a listener that starts later (the file appears).
 */
export async function followRecords(
  onRecord: (record: ListenerRecord) => void,
  signal: AbortSignal,
  dir = logDir(),
  intervalMs = 200,
): Promise<void> {
  const file = logFile(dir)
  const statOf = (name: string) => (existsSync(name) ? statSync(name) : undefined)
  let reading = statOf(file)
  let offset = reading?.size ?? 0
  let rest = ''
  const emit = (text: string) => {
    const lines = (rest + text).split('\n')
    rest = lines.pop() ?? ''
    for (const line of lines) if (line) onRecord(parse(line))
  }

  while (!signal.aborted) {
    const current = statOf(file)
    if (reading && current && (current.ino !== reading.ino || current.size < offset)) {
      // Rotated since the last look: finish the old file, then any rotated after it, oldest first.
      const rotated = Array.from({length: KEPT_LOG_FILES}, (_, index) => path.join(dir, `listener.${index + 1}.jsonl`))
      const index = rotated.findIndex((name) => statOf(name)?.ino === reading!.ino)
      if (index !== -1) {
        emit(readFrom(rotated[index], offset))
        for (let newer = index - 1; newer >= 0; newer--) emit(readFrom(rotated[newer], 0))
      }

      rest = ''
      offset = 0
    }

    reading = current
    if (current && current.size > offset) {
      emit(readFrom(file, offset, current.size))
      offset = current.size
    }

    await new Promise((resolve) => {
      const timer = setTimeout(done, intervalMs)
      signal.addEventListener('abort', done, {once: true})
      function done() {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        resolve(undefined)
      }
    })
  }
}
