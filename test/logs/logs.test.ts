import {execa} from 'execa'
import {existsSync, mkdirSync, readdirSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {createInterface} from 'node:readline'

import {KEPT_LOG_FILES, LogFile} from '../../src/logs/log-file.js'
import {followRecords, lastRecords} from '../../src/logs/read-log.js'
import {runCli} from '../helpers/cli.js'
import {setConfig} from '../helpers/config.js'
import {startListenerProcess} from '../helpers/listener-process.js'
import {RUN_JS, tempConfigDir} from '../helpers/paths.js'
import {until} from '../helpers/wait.js'

describe('the listener log and callctl logs', () => {
  test('damaged lines (cut off, hand-edited, of a known kind without its fields) are shown as they are, by both forms', async () => {
    const configDir = tempConfigDir()
    const dir = path.join(configDir, 'logs')
    mkdirSync(dir, {recursive: true})
    writeFileSync(
      path.join(dir, 'listener.jsonl'),
      ['{"kind":"event","type":"incoming"}', 'null', '[1,2]', 'garbage', '{"kind":"stopped"}'].join('\n') + '\n',
    )
    const people = await runCli(['logs'], configDir)
    expect(people.exitCode).toBe(0)
    expect(people.stdout.split('\n')).toHaveLength(5)
    expect(people.stdout).toContain('event {"kind":"event","type":"incoming"}')
    const json = await runCli(['logs', '--json'], configDir)
    expect(json.exitCode).toBe(0)
    expect(json.stdout.split('\n').map((line) => (JSON.parse(line) as {kind: string}).kind)).toEqual([
      'event',
      'unreadable',
      'unreadable',
      'unreadable',
      'stopped',
    ])
  })

  test('a burst of requests answered just before SIGTERM: every one is in the console and the log (flushed on exit)', async () => {
    const configDir = tempConfigDir()
    const listener = await startListenerProcess(configDir)
    const burst = 200
    const answers = await Promise.all(Array.from({length: burst}, () => fetch(`${listener.url}/status`)))
    expect(answers.every((answer) => answer.status === 200)).toBe(true)
    listener.process.kill('SIGTERM')
    await listener.process
    expect(listener.lines.filter((line) => line.kind === 'request')).toHaveLength(burst)
    const logged = lastRecords(10_000, path.join(configDir, 'logs'))
    expect(logged.filter((record) => record.kind === 'request')).toHaveLength(burst)
    expect(logged.at(-1)).toMatchObject({kind: 'stopped'})
  })

  test('one JSON line per request, event and delivery, with its time; callctl logs shows them for people or as JSON', async () => {
    const configDir = tempConfigDir()
    await setConfig(configDir, {'sim.answerAfterMs': '0', 'notifications.end': 'http://127.0.0.1:1/end?n=$callerid'})
    const listener = await startListenerProcess(configDir)
    try {
      await runCli(['make', '020 123 456', '--port', String(listener.port)], configDir)
      await runCli(['end', '--port', String(listener.port)], configDir)
      await listener.waitForLine((line) => line.kind === 'delivery')
    } finally {
      await listener.stop()
    }

    const json = await runCli(['logs', '--json', '-n', '100'], configDir)
    const records = json.stdout
      .split('\n')
      .map((line) => JSON.parse(line) as {kind: string; time: string; type?: string; path?: string})
    expect(records[0]).toMatchObject({kind: 'ready'})
    expect(records.at(-1)).toMatchObject({kind: 'stopped'})
    expect(records.filter((record) => record.kind === 'event').map((record) => record.type)).toEqual([
      'outgoing',
      'active',
      'end',
    ])
    // `make` asks `/` first whether a callctl listener holds the port (README "Security").
    expect(records.filter((record) => record.kind === 'request').map((record) => record.path)).toEqual([
      '/',
      '/make/020%20123%20456',
      '/end',
    ])
    expect(records.some((record) => record.kind === 'delivery')).toBe(true)
    for (const record of records) expect(Date.parse(record.time)).not.toBeNaN()

    const people = await runCli(['logs'], configDir)
    expect(people.stdout).toMatch(/^callctl listening on http:\/\/127\.0\.0\.1:\d+/)
    expect(people.stdout).toMatch(/\n\d\d:\d\d:\d\d outgoing +020123456 /)
    expect(people.stdout).toMatch(
      /\n\d\d:\d\d:\d\d notify +end → http:\/\/127\.0\.0\.1:1\/end\?n=020123456 attempt 1 failed, will retry/,
    )
    expect((await runCli(['logs', '-n', '1'], configDir)).stdout).toBe('callctl listener stopped')
    // Nothing asked, nothing printed: and not "no log yet" of a log that is there.
    expect(await runCli(['logs', '-n', '0'], configDir)).toMatchObject({stdout: '', stderr: '', exitCode: 0})
    expect((await runCli(['logs', '--path'], configDir)).stdout).toBe(path.join(configDir, 'logs', 'listener.jsonl'))
  })

  test('logs -f prints new lines as the listener writes them; Ctrl-C ends it', async () => {
    const configDir = tempConfigDir()
    const listener = await startListenerProcess(configDir)
    const follower = execa(process.execPath, [RUN_JS, 'logs', '-f', '-n', '0', '--json'], {
      env: {CALLCTL_CONFIG_DIR: configDir},
      reject: false,
    })
    const lines: string[] = []
    createInterface({input: follower.stdout!}).on('line', (line) => lines.push(line))
    try {
      // -n 0 follows from where the file ends once the follower has started, which takes what its start-up takes
      // (a fixed 500 ms was a race on a busy machine): a call is reported until one shows.
      const incoming = () => lines.some((line) => line.includes('"type":"incoming"'))
      for (let tries = 0; !incoming(); tries++) {
        if (tries === 30) throw new Error(`logs -f printed no new line: ${JSON.stringify(lines)}`)
        await fetch(`${listener.url}/notify/incoming?number=0612345678`, {method: 'POST'})
        await until(incoming, 500).catch(() => {})
      }

      // Old lines are not repeated (-n 0), and following for a while warns about nothing.
      expect(lines.some((line) => line.includes('"kind":"ready"'))).toBe(false)
      await new Promise((resolve) => setTimeout(resolve, 2500))
      follower.kill('SIGINT')
      const result = await follower
      expect(result.exitCode).toBe(0)
      expect(result.stderr).toBe('')
    } finally {
      follower.kill()
      await listener.stop()
    }
  })

  test(`rotated by size: at most ${KEPT_LOG_FILES} old files, and callctl logs reads across them in order`, () => {
    const dir = path.join(tempConfigDir(), 'logs')
    const log = new LogFile(dir, 4000)
    for (let i = 0; i < 400; i++) {
      log.append({kind: 'request', n: i, padding: 'x'.repeat(40)})
      if (i % 10 === 9) log.flush()
    }

    log.flush()
    expect(readdirSync(dir).sort()).toEqual([
      'listener.1.jsonl',
      'listener.2.jsonl',
      'listener.3.jsonl',
      'listener.jsonl',
    ])
    for (const name of readdirSync(dir)) expect(statSync(path.join(dir, name)).size).toBeLessThanOrEqual(4000)
    const last = lastRecords(100, dir).map((record) => record.n)
    expect(last).toEqual(Array.from({length: 100}, (_, index) => 300 + index))
  })

  test('logs -f loses nothing when the file is rotated between two looks', async () => {
    const dir = path.join(tempConfigDir(), 'logs')
    const log = new LogFile(dir, 3000)
    log.append({kind: 'ready'})
    log.flush()
    const seen: number[] = []
    const stop = new AbortController()
    const following = followRecords((record) => seen.push(record.n as number), stop.signal, dir, 100)
    for (let i = 0; i < 200; i++) {
      log.append({kind: 'request', n: i, padding: 'x'.repeat(40)})
      // Several flushes, and so a rotation, between two looks of the follower.
      if (i % 10 === 9) log.flush()
      if (i % 40 === 39) await new Promise((resolve) => setTimeout(resolve, 150))
    }

    log.flush()
    try {
      await until(() => seen.length >= 200)
    } finally {
      stop.abort()
      await following
    }

    expect(seen).toEqual(Array.from({length: 200}, (_, index) => index))
  })

  test('a log that cannot be written is a warning; the listener runs on', async () => {
    const configDir = tempConfigDir()
    const notAFolder = path.join(configDir, 'file')
    writeFileSync(notAFolder, '')
    const listener = await startListenerProcess(configDir, [], {CALLCTL_LOG_DIR: path.join(notAFolder, 'logs')})
    try {
      expect(listener.lines).toContainEqual(
        expect.objectContaining({kind: 'warning', message: expect.stringContaining('cannot write the log')}),
      )
      expect((await runCli(['status', '--port', String(listener.port)], configDir)).exitCode).toBe(0)
      expect(existsSync(path.join(notAFolder, 'logs'))).toBe(false)
    } finally {
      await listener.stop()
    }
  })

  test('no log yet: says where it will be', async () => {
    const configDir = tempConfigDir()
    const result = await runCli(['logs'], configDir)
    expect(result).toMatchObject({exitCode: 0, stdout: ''})
    expect(result.stderr).toContain(`No log yet in ${path.join(configDir, 'logs')}`)
  })

  test('escape sequences sent over the network are shown as text, never printed raw (console, logs, events)', async () => {
    const configDir = tempConfigDir()
    const listener = await startListenerProcess(configDir)
    const events = execa(process.execPath, [RUN_JS, 'events', '--port', String(listener.port)], {
      env: {CALLCTL_CONFIG_DIR: configDir, NO_COLOR: '1'},
      reject: false,
    })
    let printed = ''
    events.stdout!.on('data', (chunk: Buffer) => (printed += chunk.toString()))
    try {
      // Subscribed once the listener counts it: a fixed wait loses events on a busy machine.
      while (((await (await fetch(`${listener.url}/status`)).json()) as {subscribers: number}).subscribers === 0) {
        await new Promise((resolve) => setTimeout(resolve, 25))
      }

      await fetch(`${listener.url}/%1B%5D0;owned%07`)
      await fetch(`${listener.url}/notify/incoming?number=0612345678&name=%1B%5B2J&call=x%1B%5B2J`)
      // Until callctl events has printed the call (was a fixed 300 ms).
      await until(() => printed.includes('0612345678'))
    } finally {
      events.kill('SIGINT')
      await listener.stop()
    }

    const people = await runCli(['logs'], configDir)
    expect(people.stdout).not.toContain('\u001B')
    expect(people.stdout).toContain('Unknown command "\\u001b]0;owned\\u0007"')
    expect(people.stdout).toContain('x\\u001b[2J')
    const followed = await events
    expect(followed.stdout).toContain('0612345678')
    expect(followed.stdout).not.toContain('\u001B')
  })
})
