let madeAt = Number.NaN
let made = ''

/**
 * The time as ISO text, made once per millisecond: what happens in one (a call's events, a burst's records) shares
 * it. `new Date().toISOString()` is near a microsecond here, and a call cycle asked for it a dozen times.
 */
export function isoNow(): string {
  const now = Date.now()
  if (now !== madeAt) {
    madeAt = now
    made = new Date(now).toISOString()
  }

  return made
}
