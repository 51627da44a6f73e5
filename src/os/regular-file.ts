/**
 * Files callctl reads and writes by name (config.json, the log, the store) opened so that nothing put in their place
 * can hang it: opening a FIFO waits for a peer for ever (the listener stopped answering, and ignored SIGTERM, with a
 * FIFO where its config or log file was), and a device never ends. O_NONBLOCK makes the open return at once, and
 * what it opened is then looked at: anything but a regular file is refused.
 */

const {closeSync, constants, fstatSync, openSync, readFileSync, statSync, writeFileSync} =
  process.getBuiltinModule('node:fs')

/** Windows has no FIFOs in the file system, and no O_NONBLOCK. */
const NONBLOCK = constants.O_NONBLOCK ?? 0

/** What is at a path that should be a regular file; `ENOTREG` is the code these functions throw with. */
export class NotARegularFile extends Error {
  readonly code = 'ENOTREG'
  constructor(readonly file: string) {
    super(`${file} is not a regular file`)
  }
}

/** Opens a regular file without waiting; throws NotARegularFile for a FIFO, socket, device or folder. */
export function openRegularFile(file: string, flags: number, mode?: number): number {
  const descriptor = openSync(file, flags | NONBLOCK, mode)
  try {
    if (!fstatSync(descriptor).isFile()) throw new NotARegularFile(file)
    return descriptor
  } catch (error) {
    closeSync(descriptor)
    throw error
  }
}

/** A file over the size its reader takes. */
export class FileTooLarge extends RangeError {
  constructor(
    readonly file: string,
    readonly size: number,
    readonly maxBytes: number,
  ) {
    super(`${file} holds ${size} bytes; at most ${maxBytes}`)
  }
}

/** The text of a regular file, at most `maxBytes` of it (a larger one throws FileTooLarge), read without waiting. */
export function readRegularFile(file: string, maxBytes = Number.POSITIVE_INFINITY): string {
  const descriptor = openRegularFile(file, constants.O_RDONLY)
  try {
    const {size} = fstatSync(descriptor)
    if (size > maxBytes) throw new FileTooLarge(file, size, maxBytes)
    return readFileSync(descriptor, 'utf8')
  } finally {
    closeSync(descriptor)
  }
}

/** Appends to a regular file, creating it with `mode`; never waits on what is not one. */
export function appendRegularFile(file: string, text: string, mode = 0o600): void {
  const descriptor = openRegularFile(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, mode)
  try {
    writeFileSync(descriptor, text)
  } finally {
    closeSync(descriptor)
  }
}

/**
 * Throws NotARegularFile when something other than a regular file is at `file`; nothing there is fine. For files a
 * library opens itself (SQLite): looked at first, since its open would wait on a FIFO.
 */
export function refuseIfNotRegular(file: string): void {
  let isFile: boolean
  try {
    isFile = statSync(file).isFile()
  } catch {
    return
  }

  if (!isFile) throw new NotARegularFile(file)
}
