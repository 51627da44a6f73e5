/**
 * How long lines wait to be written with the ones after them, at most. A lone line is written at the next turn of
 * the event loop; under load, a write per turn still cost a syscall every request or two (the console and the log
 * file were a tenth of a `/status` in the profile of `npm run bench`), so the next write waits out this spacing.
 */
export const BATCH_SPACING_MS = 10

/**
 * Lines written together: a burst of requests costs one write per sink every BATCH_SPACING_MS, not one per request.
 * `write` gets the lines joined, each ending in a line break.
 */
export class LineBatch {
  #pending: string[] = []
  #immediate?: NodeJS.Immediate
  #timer?: NodeJS.Timeout
  #lastWrite = Number.NEGATIVE_INFINITY

  constructor(
    private readonly write: (text: string) => void,
    private readonly spacingMs = BATCH_SPACING_MS,
  ) {}

  push(line: string): void {
    this.#pending.push(line)
    if (this.#immediate || this.#timer) return
    const wait = this.#lastWrite + this.spacingMs - performance.now()
    if (wait > 0) this.#timer = setTimeout(() => this.flush(), wait)
    else this.#immediate = setImmediate(() => this.flush())
  }

  /** Writes what waits now (at exit, or before a file is rotated). */
  flush(): void {
    clearImmediate(this.#immediate)
    clearTimeout(this.#timer)
    this.#immediate = undefined
    this.#timer = undefined
    if (this.#pending.length === 0) return
    const text = `${this.#pending.join('\n')}\n`
    this.#pending = []
    this.#lastWrite = performance.now()
    this.write(text)
  }
}
