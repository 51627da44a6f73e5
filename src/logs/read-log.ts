import {closeSync, existsSync, openSync, readFileSync, readSync, statSync} from 'node:fs'

import type {ListenerRecord} from '../cli/event-line.js'
import {logDir, logFile, logFiles} from './log-file.js'

/** A line that is not JSON (cut off by a crash, edited by hand) is shown as it is, never a reason to stop. */
function parse(line: string): ListenerRecord {
  try {
    return JSON.parse(line) as ListenerRecord
  } catch {
    return {kind: 'unreadable', line}
  }
}

/** The last `count` records, oldest first, across the current and the rotated files. */
export function lastRecords(count: number, dir = logDir()): ListenerRecord[] {
  if (count <= 0) return []
  const lines: string[] = []
  for (const file of logFiles(dir)) {
    const fileLines = readFileSync(file, 'utf8').split('\n').filter(Boolean)
    lines.unshift(...fileLines.slice(-(count - lines.length)))
    if (lines.length >= count) break
  }

  return lines.slice(-count).map((line) => parse(line))
}

/**
 * Calls `onRecord` for every record appended from now on, until `signal` aborts; follows the file across
 * rotation (it shrinks) and across a listener that starts later (it appears).
 */
export async function followRecords(onRecord: (record: ListenerRecord) => void, signal: AbortSignal, dir = logDir(), intervalMs = 200): Promise<void> {
  const file = logFile(dir)
  let offset = existsSync(file) ? statSync(file).size : 0
  let rest = ''
  while (!signal.aborted) {
    const size = existsSync(file) ? statSync(file).size : 0
    if (size < offset) offset = 0
    if (size > offset) {
      const descriptor = openSync(file, 'r')
      const buffer = Buffer.alloc(size - offset)
      readSync(descriptor, buffer, 0, buffer.length, offset)
      closeSync(descriptor)
      offset = size
      const lines = (rest + buffer.toString('utf8')).split('\n')
      rest = lines.pop() ?? ''
      for (const line of lines) if (line) onRecord(parse(line))
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
