import {existsSync, readFileSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {runCli} from '../helpers/cli.js'
import {tempConfigDir} from '../helpers/paths.js'
import {sleep} from '../helpers/wait.js'

const CHANGES = [
  ['port', '5831'],
  ['driver.sim.answerAfterMs', '7'],
  ['commands.make', 'dial5'],
  ['calls.holdOnAnswer', 'true'],
  ['security.allowedOrigins', 'https://a.example'],
]

describe('config set, several at once (real bin/run.js processes)', () => {
  test('five config set of different keys at once: every change is in the file, none lost', async () => {
    for (let round = 0; round < 3; round++) {
      const dir = tempConfigDir()
      writeFileSync(path.join(dir, 'config.json'), '{}')
      const results = await Promise.all(CHANGES.map(async ([key, value]) => runCli(['config', 'set', key, value], dir)))
      expect(results.map((result) => result.exitCode)).toEqual([0, 0, 0, 0, 0])
      expect(JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'))).toEqual({
        port: 5831,
        driver: {sim: {answerAfterMs: 7}},
        commands: {make: 'dial5'},
        calls: {holdOnAnswer: true},
        security: {allowedOrigins: ['https://a.example']},
      })
    }
  })

  test('a change waits for the one under way (its lock file), and takes over a lock a killed process left', async () => {
    const dir = tempConfigDir()
    const lock = path.join(dir, 'config.json.lock')
    writeFileSync(lock, '')
    const waiting = runCli(['config', 'set', 'port', '5832'], dir)
    await sleep(1500)
    // Still waiting: nothing written while the other change holds the lock.
    expect(existsSync(path.join(dir, 'config.json'))).toBe(false)
    rmSync(lock)
    const done = await waiting
    expect(done.exitCode).toBe(0)
    expect(JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'))).toEqual({port: 5832})

    writeFileSync(lock, '')
    const minuteAgo = new Date(Date.now() - 60_000)
    utimesSync(lock, minuteAgo, minuteAgo)
    const stale = await runCli(['config', 'set', 'port', '5833'], dir)
    expect(stale.exitCode).toBe(0)
    expect(JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'))).toEqual({port: 5833})
  })
})
