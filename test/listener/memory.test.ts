import {jest} from '@jest/globals'
import {getHeapStatistics} from 'node:v8'

import {keepMemoryLean} from '../../src/listener/memory.js'

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

describe('the listener gives memory back when quiet (src/listener/memory.ts, in process: real V8 collections)', () => {
  it('shrinks the heap a burst grew once a quiet period has passed', async () => {
    const keeper = keepMemoryLean({quietMs: 100, grownBytes: 4 * MB})
    try {
      // The first quiet period collects what was there before.
      await sleep(350)
      const before = heap()
      burst()
      const grown = heap()
      // Without this the test could not fail: the burst must have grown the heap.
      expect(grown - before).toBeGreaterThan(16 * MB)
      expect(await until(() => heap() < before + 8 * MB, 3000)).toBe(true)
    } finally {
      keeper.stop()
    }
  })

  it('never collects while requests keep coming, and does once they stop', async () => {
    const collect = jest.fn()
    const keeper = keepMemoryLean({quietMs: 50, grownBytes: 0, collect})
    const requests = setInterval(() => keeper.busy(), 10)
    try {
      await sleep(400)
      expect(collect).not.toHaveBeenCalled()
      clearInterval(requests)
      expect(await until(() => collect.mock.calls.length > 0, 1000)).toBe(true)
    } finally {
      clearInterval(requests)
      keeper.stop()
    }
  })

  it('does no work at idle once the heap is back: a collection only after it grew again', async () => {
    const collect = jest.fn()
    const keeper = keepMemoryLean({quietMs: 30, grownBytes: 64 * MB, collect})
    try {
      await sleep(300)
      // The first quiet period collects start-up's garbage; then nothing has grown by 64 MB, so nothing more.
      expect(collect.mock.calls.length).toBeLessThanOrEqual(1)
    } finally {
      keeper.stop()
    }
  })
})
