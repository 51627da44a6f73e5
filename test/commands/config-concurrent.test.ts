import {execFileSync} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
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

  test('four `callbacks secret` of different callbacks at once: every printed secret is the one stored', async () => {
    const callbacks = [0, 1, 2, 3].map((n) => ({url: `http://127.0.0.1:9/cb${n}`, events: ['new']}))
    for (let round = 0; round < 4; round++) {
      const dir = tempConfigDir()
      writeFileSync(path.join(dir, 'config.json'), JSON.stringify({callbacks}))
      const results = await Promise.all(
        [0, 1, 2, 3].map(async (index) => runCli(['callbacks', 'secret', String(index), '--json'], dir)),
      )
      expect(results.map((result) => result.exitCode)).toEqual([0, 0, 0, 0])
      const stored = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')).callbacks
      expect(stored.map((callback: {secret?: string}) => callback.secret)).toEqual(
        results.map((result) => JSON.parse(result.stdout).secret),
      )
      // Only the secret was added: the rest of each callback is as it was.
      expect(stored.map(({secret: _secret, ...rest}: {secret?: string}) => rest)).toEqual(callbacks)
    }
  })

  test('a stale lock that cannot be taken over (a directory) is named with what to do, exit 2', async () => {
    const dir = tempConfigDir()
    const lock = path.join(dir, 'config.json.lock')
    mkdirSync(lock)
    const minuteAgo = new Date(Date.now() - 60_000)
    utimesSync(lock, minuteAgo, minuteAgo)
    const result = await runCli(['config', 'set', 'port', '31603', '--json'], dir)
    expect(result.exitCode).toBe(2)
    const {error} = JSON.parse(result.stdout)
    expect(error.code).not.toBe('ERR_UNEXPECTED')
    expect(error.message).toContain(lock)
    expect(error.message).toContain('directory')
    expect(error.hints.join(' ')).toMatch(/delete/i)
    expect(existsSync(path.join(dir, 'config.json'))).toBe(false)
  })

  test('a config folder where nothing can be created: the error names the lock file and what to check', async () => {
    const dir = tempConfigDir()
    writeFileSync(path.join(dir, 'config.json'), '{}')
    const undo = readOnly(dir)
    try {
      const result = await runCli(['config', 'set', 'port', '31604', '--json'], dir)
      expect(result.exitCode).toBe(2)
      const {error} = JSON.parse(result.stdout)
      expect(error.code).not.toBe('ERR_UNEXPECTED')
      expect(error.message).toContain(path.join(dir, 'config.json.lock'))
      expect(error.hints.join(' ')).toContain(dir)
    } finally {
      undo()
    }
  })
})

/**
 * Makes a folder where nothing can be created: root may write in a folder of mode 0500, so it is made immutable
 * (chattr +i, EPERM) then. Returns how to undo it.
 */
function readOnly(dir: string): () => void {
  if (process.getuid?.() !== 0) {
    chmodSync(dir, 0o500)
    return () => chmodSync(dir, 0o700)
  }

  execFileSync('chattr', ['+i', dir])
  return () => execFileSync('chattr', ['-i', dir])
}
