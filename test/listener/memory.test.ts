import {jest} from '@jest/globals'
import {getHeapStatistics} from 'node:v8'

import {keepMemoryLean, memoryReducingCollection} from '../../src/listener/memory.js'

const MB = 1024 * 1024
const heap = () => getHeapStatistics().total_heap_size
const sleep = async (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function until(done: () => boolean, timeoutMs: number): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(25)) if (done()) return true
  return done()
}

/** What a burst of requests does to V8: many short-lived objects, some surviving a while. */
function burst(): void {
  let kept: object[] = []
  for (let i = 0; i < 3_000_000; i++) {
    const record = {id: i, number: `0201234${i}`, parts: [i]}
    if (i % 100 === 0) kept.push(record)
    if (kept.length > 5000) kept = []
  }
}

/** Keeps the event loop busy `share` of the time, as a burst of requests or a backlog of webhooks does, until stopped. */
function loadEventLoop(share: number): () => void {
  const timer = setInterval(() => {
    for (const until = performance.now() + 10 * share; performance.now() < until;);
  }, 10)
  return () => clearInterval(timer)
}

/** A client polling now and then: a moment of work every 250 ms. */
function pollNowAndThen(): () => void {
  const timer = setInterval(() => JSON.stringify({calls: Array.from({length: 20}, (_, i) => ({id: i}))}), 250)
  return () => clearInterval(timer)
}

describe('the listener gives memory back when quiet (src/listener/memory.ts, in process: real V8 collections)', () => {
  it('shrinks the heap a burst grew once a quiet period has passed', async () => {
    // A jest worker's heap may have grown in earlier suites: start from a small one, as a listener does.
    memoryReducingCollection()()
    const stopKeeping = keepMemoryLean({periodMs: 100, grownBytes: 4 * MB, minIntervalMs: 0})
    try {
      // Quiet, and nothing grown yet: nothing to give back.
      await sleep(350)
      const before = heap()
      burst()
      const grown = heap()
      // Without this the test could not fail: the burst must have grown the heap.
      expect(grown - before).toBeGreaterThan(16 * MB)
      expect(await until(() => heap() < before + 8 * MB, 3000)).toBe(true)
    } finally {
      stopKeeping()
    }
  })

  it('never collects while the event loop is busy, and does once it is quiet', async () => {
    const collect = jest.fn()
    const stopKeeping = keepMemoryLean({periodMs: 100, grownBytes: 0, minIntervalMs: 0, collect})
    const stopLoad = loadEventLoop(0.5)
    try {
      await sleep(600)
      expect(collect).not.toHaveBeenCalled()
      stopLoad()
      expect(await until(() => collect.mock.calls.length > 0, 1000)).toBe(true)
    } finally {
      stopLoad()
      stopKeeping()
    }
  })

  it('a client polling a few times a second does not keep the memory from coming back', async () => {
    const collect = jest.fn()
    const stopPolling = pollNowAndThen()
    const stopKeeping = keepMemoryLean({periodMs: 500, grownBytes: 0, minIntervalMs: 0, collect})
    try {
      expect(await until(() => collect.mock.calls.length > 0, 2000)).toBe(true)
    } finally {
      stopPolling()
      stopKeeping()
    }
  })

  it('collects at most once in its minimum interval, and not at idle unless the heap grew again', async () => {
    const collect = jest.fn()
    const stopSpaced = keepMemoryLean({periodMs: 30, grownBytes: 0, minIntervalMs: 60_000, collect})
    try {
      await sleep(300)
      // Quiet the whole time and always "grown": still only the first one.
      expect(collect).toHaveBeenCalledTimes(1)
    } finally {
      stopSpaced()
    }

    const idle = jest.fn()
    const stopGrownOnly = keepMemoryLean({periodMs: 30, grownBytes: 64 * MB, minIntervalMs: 0, collect: idle})
    try {
      await sleep(300)
      // Nothing has grown by 64 MB since it started (start-up's own garbage is not worth a pause): nothing at all.
      expect(idle).not.toHaveBeenCalled()
    } finally {
      stopGrownOnly()
    }
  })
})
