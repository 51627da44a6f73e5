import type {CallEvent} from '../engine/call.js'
import {cleanText} from '../engine/caller-id.js'
import type {LookupSettings} from './settings.js'
import {compileSources, type Source} from './sources.js'

/** What a lookup did for a call, carried in its events (`lookup` of the event, the webhook body, the log). */
export interface LookupReport {
  outcome: 'found' | 'not found' | 'timeout'
  /** The source that knew the name. */
  source?: string
  name?: string
  /** How long the call's events waited for it. */
  ms: number
  /** Answered from the cache of an earlier lookup. */
  cached?: boolean
}

export interface LookupOptions {
  settings: LookupSettings['lookup']
  userAgent: string
  /** A source failed (a missing file, an HTTP error): logged, never fatal; the next source is asked. */
  onFailure?: (message: string) => void
  /** Each call's lookup, once. */
  onLookup?: (callId: string, report: LookupReport) => void
}

/** How long an HTTP lookup may run on after the budget: its late answer is cached for the next call from that number. */
const LATE_ANSWER_MS = 5000
/** Calls whose lookup is remembered for their later events; a call that never ends is forgotten after this many. */
const CALLS_KEPT = 1000
/** How long a failed HTTP lookup (an error, a timeout, an answer that is not a name) stands before asking again. */
const FAILURE_SECONDS = 30

export interface CallerLookup {
  /**
   * The event with the caller's name filled in from the sources, within the budget, and `lookup` saying how;
   * undefined when there is nothing to look up (no sources, or the phone named the caller and it wins).
   */
  enrich(event: CallEvent): Promise<CallEvent & {lookup?: LookupReport}> | undefined
  /** Looks one number up (for tests and `callctl doctor`-style checks): the name, its source, the time taken. */
  resolve(number: string): Promise<LookupReport>
}

/**
 * Caller-name lookup: ordered sources (CSV, vCard, HTTP), a strict time budget, and a cache for HTTP answers. A
 * popup or notification never waits longer than `timeoutMs`; what does not answer in time leaves the name as the
 * phone gave it.
 */
export function createLookup(options: LookupOptions): CallerLookup {
  const {settings, userAgent, onFailure, onLookup} = options
  const sources: Source[] = compileSources(settings.sources)
  const cache = new Map<string, {name?: string; source?: string; expires: number}>()
  const inFlight = new Map<string, Promise<{name?: string; source?: string}>>()
  const calls = new Map<string, Promise<LookupReport>>()

  function remember(key: string, entry: {name?: string; source?: string; expires: number}): void {
    cache.set(key, entry)
    if (cache.size > 10_000) cache.delete(cache.keys().next().value!)
  }

  /** Every source in order, without a budget: the first name wins. HTTP answers (names and misses) are cached. */
  async function search(number: string): Promise<{name?: string; source?: string}> {
    for (const source of sources) {
      // The number as the URL gets it: two numbers that look alike once stripped (`0..`, `0.`) are two questions.
      const key = `${source.cacheKey}|${number}`
      const hit = source.remote ? cache.get(key) : undefined
      if (hit && hit.expires > Date.now()) {
        if (hit.name) return {name: hit.name, source: hit.source}
        continue
      }

      let name: string | undefined
      try {
        name = await source.find(number, {
          lastDigits: settings.lastDigits,
          signal: AbortSignal.timeout(Math.max(LATE_ANSWER_MS, settings.timeoutMs)),
          userAgent,
        })
      } catch (error) {
        onFailure?.(`lookup: ${source.label} failed: ${(error as Error).message.replaceAll(/\s+/g, ' ')}`)
        // A CRM in trouble is not asked again at every call: its failure stands for a short while.
        if (source.remote && settings.cacheSeconds > 0)
          remember(key, {expires: Date.now() + Math.min(settings.cacheSeconds, FAILURE_SECONDS) * 1000})
        continue
      }

      // A name from a file or a CRM is text from outside: cleaned like a name from the phone.
      const clean = name === undefined ? '' : cleanText(name)
      if (source.remote && settings.cacheSeconds > 0) {
        remember(key, {
          name: clean || undefined,
          source: source.label,
          expires: Date.now() + settings.cacheSeconds * 1000,
        })
      }

      if (clean) return {name: clean, source: source.label}
    }

    return {}
  }

  async function resolve(number: string): Promise<LookupReport> {
    const started = performance.now()
    const ms = () => Math.round(performance.now() - started)
    const key = number
    const cachedBefore = sources.some(
      (source) => source.remote && (cache.get(`${source.cacheKey}|${key}`)?.expires ?? 0) > Date.now(),
    )
    // One search per number at a time: two calls from one number share it.
    let running = inFlight.get(key)
    if (!running) {
      running = search(number).finally(() => inFlight.delete(key))
      inFlight.set(key, running)
    }

    let timer: NodeJS.Timeout | undefined
    const budget = new Promise<undefined>((done) => {
      timer = setTimeout(() => done(undefined), settings.timeoutMs)
      timer.unref()
    })
    const found = await Promise.race([running, budget])
    clearTimeout(timer)
    if (found === undefined) return {outcome: 'timeout', ms: ms()}
    if (!found.name) return {outcome: 'not found', ms: ms(), ...(cachedBefore && {cached: true})}
    return {outcome: 'found', name: found.name, source: found.source, ms: ms(), ...(cachedBefore && {cached: true})}
  }

  return {
    resolve,
    enrich(event) {
      const {call} = event
      if (sources.length === 0) return undefined
      let report = calls.get(call.id)
      if (!report) {
        // Looked up once per call, at its first event: the phone's own name wins unless configured otherwise.
        // A withheld number (`anonymous`) has nothing to look up.
        if (!/\d/.test(call.number) || (call.name !== '' && !settings.overridePhoneName)) return undefined
        report = resolve(call.number).then((result) => {
          onLookup?.(call.id, result)
          return result
        })
        calls.set(call.id, report)
        if (calls.size > CALLS_KEPT) calls.delete(calls.keys().next().value!)
      }

      if (event.type === 'end') calls.delete(call.id)
      return report.then((result) => ({
        ...event,
        // A name the phone gives later (an `updated` event) wins as the first one would have.
        call: result.name && (call.name === '' || settings.overridePhoneName) ? {...call, name: result.name} : call,
        lookup: result,
      }))
    },
  }
}
