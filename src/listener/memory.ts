import {getHeapStatistics, setFlagsFromString} from 'node:v8'
import {runInNewContext} from 'node:vm'

/** How often the listener looks whether it has gone quiet. */
const PERIOD_MS = 1000
/**
 * A period in which the event loop was busy less than this share of the time is quiet: a CRM polling `/status` a
 * few times a second is; a burst of requests, or the outbox sending a backlog of webhooks, is not.
 */
const QUIET_UTILIZATION = 0.25
/**
 * Heap grown by more than this since the last collection is worth giving back: what a burst leaves (100–200 MB), not
 * what ordinary use does. A collection after start-up or after light use would gain 3 MB here and hold the listener
 * 30–100 ms, which requests right after a restart felt (the soak's `/status` p99).
 */
const GROWN_BYTES = 32 * 1024 * 1024
/**
 * The collection holds the listener 50–110 ms here, up to 200 ms on a loaded machine (two or three full
 * mark-compacts in a row, V8's least for this): not more often than this, whatever the bursts.
 */
const MIN_INTERVAL_MS = 5000

type Collect = () => void

export interface KeeperOptions {
  periodMs?: number
  grownBytes?: number
  minIntervalMs?: number
  collect?: Collect
}

/**
 * Gives memory back to the system once the listener has gone quiet after it grew. Under a burst (a CRM's bulk dial,
 * a load test) V8 grows its young generation up to 64 MB semi-spaces on Node 24 and keeps them, with the pages it
 * freed: measured here, a listener sat at 215–290 MB for good after a minute of load (still 112 MB 30 s after a
 * lighter one), though its live heap was 15 MB. V8's memory-reducing collection shrinks the heap and releases those
 * pages. It runs only after a quiet period (by the event loop's own utilisation, so requests, deliveries and driver
 * events all count), only when the heap has grown since the last one, and not more often than every 5 s: a burst
 * never waits for it, and an idle listener does no work. Returns the function that stops it.
 */
export function keepMemoryLean(options: KeeperOptions = {}): () => void {
  const {periodMs = PERIOD_MS, grownBytes = GROWN_BYTES, minIntervalMs = MIN_INTERVAL_MS} = options
  let collect = options.collect
  let heapAfterCollection = getHeapStatistics().total_heap_size
  let lastCollection = Number.NEGATIVE_INFINITY
  let before = performance.eventLoopUtilization()
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization()
    const {utilization} = performance.eventLoopUtilization(now, before)
    before = now
    if (utilization > QUIET_UTILIZATION || performance.now() - lastCollection < minIntervalMs) return
    if (getHeapStatistics().total_heap_size - heapAfterCollection < grownBytes) return
    collect ??= memoryReducingCollection()
    collect()
    lastCollection = performance.now()
    heapAfterCollection = getHeapStatistics().total_heap_size
    // The collection's own time is not the next period's work.
    before = performance.eventLoopUtilization()
  }, periodMs).unref()
  return () => clearInterval(timer)
}

/**
 * V8's "last resort" collection: the one that releases the pages the heap no longer needs. An ordinary one, major
 * or minor, shrinks a young generation grown by a burst once the listener is quiet, but keeps its pages for the next
 * burst (the RSS stayed as it was, measured). Node offers it only through `gc`, which `--expose-gc` puts in new
 * contexts.
 */
export function memoryReducingCollection(): Collect {
  let gc = (globalThis as {gc?: (options?: object) => void}).gc
  if (!gc) {
    setFlagsFromString('--expose-gc')
    gc = runInNewContext('gc') as (options?: object) => void
    setFlagsFromString('--no-expose-gc')
  }

  return () => gc({type: 'major', execution: 'sync', flavor: 'last-resort'})
}
