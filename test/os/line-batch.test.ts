import {setTimeout as sleep} from 'node:timers/promises'

import {LineBatch} from '../../src/os/line-batch.js'

describe('LineBatch: the lines of a burst are written together', () => {
  test('a burst of lines is one write, each line ending in a line break, in order', async () => {
    const writes: string[] = []
    const batch = new LineBatch((text) => writes.push(text))
    for (let i = 0; i < 1000; i++) batch.push(`line ${i}`)
    expect(writes).toEqual([])
    await sleep(5)
    expect(writes).toHaveLength(1)
    expect(writes[0].split('\n')).toEqual([...Array.from({length: 1000}, (_, i) => `line ${i}`), ''])
  })

  test('a lone line is written at the next turn; lines right after it wait out the spacing, then go together', async () => {
    const writes: Array<{text: string; at: number}> = []
    const batch = new LineBatch((text) => writes.push({text, at: performance.now()}), 200)
    const started = performance.now()
    batch.push('first')
    await sleep(20)
    expect(writes.map((write) => write.text)).toEqual(['first\n'])
    expect(writes[0].at - started).toBeLessThan(20)

    batch.push('second')
    batch.push('third')
    await sleep(20)
    // Still within 200 ms of the first write: waiting.
    expect(writes).toHaveLength(1)
    await sleep(250)
    expect(writes.map((write) => write.text)).toEqual(['first\n', 'second\nthird\n'])
    expect(writes[1].at - writes[0].at).toBeGreaterThanOrEqual(195)
  })

  test('flush writes what waits at once (at exit) and nothing more later; with nothing waiting it writes nothing', async () => {
    const writes: string[] = []
    const batch = new LineBatch((text) => writes.push(text), 200)
    batch.flush()
    expect(writes).toEqual([])
    batch.push('a')
    batch.flush()
    batch.push('b')
    batch.flush()
    expect(writes).toEqual(['a\n', 'b\n'])
    await sleep(250)
    expect(writes).toEqual(['a\n', 'b\n'])
  })
})
