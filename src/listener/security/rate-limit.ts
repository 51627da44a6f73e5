/** At most `limit` events in any window of `windowMs`; a limit of 0 means no limit. */
export class RateLimit {
  readonly #times: number[] = []

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  take(now = Date.now()): boolean {
    if (this.limit === 0) return true
    while (this.#times.length > 0 && this.#times[0] <= now - this.windowMs) this.#times.shift()
    if (this.#times.length >= this.limit) return false
    this.#times.push(now)
    return true
  }

  /** Gives back the newest use: for a request that was refused before it could dial anything. */
  giveBack(): void {
    this.#times.pop()
  }

  retryAfterSeconds(now = Date.now()): number {
    return this.#times.length === 0 ? 0 : Math.max(1, Math.ceil((this.#times[0] + this.windowMs - now) / 1000))
  }
}
