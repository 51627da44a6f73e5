import {spawn} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {compileSources} from '../../src/lookup/sources.js'
import {until} from '../helpers/wait.js'

const options = {signal: new AbortController().signal, userAgent: 'test'}

/**
 * Swaps a regular file and a FIFO onto `target` in a tight loop (in its own process, so a blocked event loop here
 * cannot stop it); each FIFO keeps a second name, so that at the end a reader stuck on one is let go (a writer opens
 * and closes it) and the test fails on time instead of hanging.
 */
const SWAPPER = String.raw`
const fs = require('node:fs'); const {execFileSync} = require('node:child_process'); const path = require('node:path')
const [dir, target, ms] = process.argv.slice(1)
const fifos = []
const until = Date.now() + Number(ms)
let n = 0
while (Date.now() < until) {
  const file = path.join(dir, 'file-' + n); fs.writeFileSync(file, '0201234567,Alice\n'); fs.renameSync(file, target)
  const fifo = path.join(dir, 'fifo-' + n); execFileSync('mkfifo', [fifo]); fifos.push(fifo)
  fs.linkSync(fifo, path.join(dir, 'link-' + n)); fs.renameSync(path.join(dir, 'link-' + n), target)
  n++
}
for (const fifo of fifos) { try { fs.closeSync(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK)) } catch {} }
console.log('done ' + n)
`

describe('file sources (real files, a FIFO swapped in)', () => {
  test('a FIFO swapped in for the CSV between checks never blocks the event loop', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'callctl-fifo-'))
    const target = path.join(dir, 'contacts.csv')
    writeFileSync(target, '0201234567,Alice\n')
    const [source] = compileSources([{csv: target}])
    const swapper = spawn(process.execPath, ['-e', SWAPPER, dir, target, '4000'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const finished = new Promise<void>((resolve) => swapper.once('exit', () => resolve()))
    let slowest = 0
    let found = 0
    const stop = Date.now() + 3000
    while (Date.now() < stop) {
      const started = performance.now()
      // Each lookup either finds the name (a file) or fails saying it is not a file (a FIFO): never a hang.
      const name = await source.find('0201234567', options).catch((error: Error) => {
        expect(error.message).toMatch(/is not a file|ENOENT/)
        return undefined
      })
      if (name === 'Alice') found++
      slowest = Math.max(slowest, performance.now() - started)
    }

    await finished
    expect(found).toBeGreaterThan(0)
    expect(slowest).toBeLessThan(500)
  })

  test('a large CSV read again: lookups answer at once from the old index meanwhile, then from the new one', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'callctl-big-'))
    const file = path.join(dir, 'contacts.csv')
    const rows = (extra: string) =>
      Array.from({length: 700_000}, (_, n) => `0${String(100_000_000 + n)},Person ${n}`).join('\n') + extra
    writeFileSync(file, rows('\n0209999999,Old Name\n'))
    const [source] = compileSources([{csv: file}])
    expect(await source.find('0209999999', options)).toBe('Old Name')

    writeFileSync(file, rows('\n0209999999,New Name\n'))
    const started = performance.now()
    const during = await source.find('0209999999', options)
    // Before, the whole file was parsed first, holding the event loop (about 2.5 s for this one).
    expect(performance.now() - started).toBeLessThan(300)
    expect(during).toBe('Old Name')
    await until(async () => (await source.find('0209999999', options)) === 'New Name', 20_000)
  }, 60_000)
})
