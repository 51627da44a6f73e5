import {closeSync, mkdirSync, openSync, readdirSync, statSync, writeFileSync, writeSync} from 'node:fs'
import path from 'node:path'
import {DatabaseSync} from 'node:sqlite'

import {execa} from 'execa'

import {runCli} from '../helpers/cli.js'
import {setConfig} from '../helpers/config.js'
import {startListenerProcess} from '../helpers/listener-process.js'
import {RUN_JS, tempConfigDir} from '../helpers/paths.js'
import {startWebhookReceiver} from '../helpers/webhook-receiver.js'

const validDelivery = (url: string, callId = 'call-ok') => ({
  id: `id-${callId}`,
  target: 'notifications.incoming',
  callId,
  event: 'incoming',
  createdAt: new Date().toISOString(),
  attempts: 0,
  nextAttemptAt: 0,
  request: {url, method: 'GET', headers: {}},
})

/** Rows written straight into a store, as a crash, a disk fault or a hand edit would leave them. */
function writeRows(configDir: string, rows: string[]): void {
  const db = new DatabaseSync(path.join(configDir, 'callctl.db'))
  db.exec(`CREATE TABLE IF NOT EXISTS schema_versions (name TEXT PRIMARY KEY, version INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS deliveries (seq INTEGER PRIMARY KEY AUTOINCREMENT,
      state TEXT NOT NULL CHECK (state IN ('pending', 'failed')), data TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS deliveries_by_state ON deliveries (state, seq);
    INSERT OR REPLACE INTO schema_versions VALUES ('outbox', 1)`)
  for (const row of rows) db.prepare("INSERT INTO deliveries (state, data) VALUES ('pending', ?)").run(row)
  db.close()
}

async function statusOf(url: string): Promise<{deliveries: {pending: number; failed: number; quarantined: number}}> {
  const started = performance.now()
  const response = await fetch(`${url}/status`, {signal: AbortSignal.timeout(2000)})
  // A listener spinning on a bad record would answer late or not at all.
  expect(performance.now() - started).toBeLessThan(2000)
  return (await response.json()) as never
}

describe('damaged stored data never stops the listener (real listener processes)', () => {
  test('outbox rows {} / null / no request / truncated: quarantined raw, counted, listed, flagged; the good one sent', async () => {
    const configDir = tempConfigDir()
    const receiver = await startWebhookReceiver()
    const damaged = ['{}', 'null', JSON.stringify({id: 'x', callId: 'c', event: 'incoming'}), '{"id": "trunc']
    writeRows(configDir, [...damaged, JSON.stringify(validDelivery(`${receiver.url}/good`))])
    const listener = await startListenerProcess(configDir)
    try {
      await receiver.waitFor(1)
      expect(receiver.received.map((request) => request.url)).toEqual(['/good'])
      expect((await statusOf(listener.url)).deliveries).toEqual({pending: 0, failed: 0, quarantined: 4})
      await listener.waitForLine((line) => String(line.message).includes('4 damaged stored record(s) set aside'))

      const outbox = JSON.parse((await runCli(['outbox', '--json'], configDir)).stdout) as {
        damaged: Array<{source: string; reason: string; raw: string}>
      }
      expect(outbox.damaged.map(({raw}) => raw)).toEqual(damaged)
      expect(outbox.damaged.map(({reason}) => reason)).toEqual([
        'id is missing or not text',
        'not a delivery record',
        'target is missing or not text',
        'not JSON (truncated or damaged)',
      ])
      expect((await runCli(['outbox'], configDir)).stdout).toContain('damaged')
      const doctor = await runCli(['doctor', '--json'], configDir)
      expect(doctor.stdout).toContain('4 damaged stored record(s) were set aside')
      expect((await runCli(['outbox', '--purge-damaged'], configDir)).stdout).toBe('4 damaged records deleted')
    } finally {
      await listener.stop()
      await receiver.close()
    }

    // It stopped on SIGTERM like any listener: nothing held it.
    expect(listener.process.nodeChildProcess.signalCode ?? listener.process.nodeChildProcess.exitCode).not.toBeNull()
  }, 60_000)

  test('an outbox folder of an older callctl is taken over once; its damaged files are quarantined', async () => {
    const configDir = tempConfigDir()
    const receiver = await startWebhookReceiver()
    const pending = path.join(configDir, 'outbox', 'pending')
    mkdirSync(pending, {recursive: true})
    mkdirSync(path.join(configDir, 'outbox', 'failed'))
    writeFileSync(
      path.join(pending, '0001.json'),
      JSON.stringify({...validDelivery(`${receiver.url}/old`), seq: '0001'}),
    )
    writeFileSync(path.join(pending, '0002.json'), '{}')
    writeFileSync(path.join(pending, '0003.json'), '{"id": "x", "req')
    const listener = await startListenerProcess(configDir)
    try {
      await receiver.waitFor(1)
      expect((await statusOf(listener.url)).deliveries.quarantined).toBe(2)
      expect(readdirSync(configDir)).toContain('outbox.imported')
      expect(readdirSync(configDir)).not.toContain('outbox')
    } finally {
      await listener.stop()
    }

    // Taken over once: a second start sends nothing again.
    const again = await startListenerProcess(configDir)
    await new Promise((resolve) => setTimeout(resolve, 500))
    await again.stop()
    await receiver.close()
    expect(receiver.received.map((request) => request.url)).toEqual(['/old'])
  }, 60_000)

  test('a store file that is not a database is moved aside and the listener starts', async () => {
    const configDir = tempConfigDir()
    writeFileSync(path.join(configDir, 'callctl.db'), 'this is not a database, it is garbage '.repeat(200))
    const listener = await startListenerProcess(configDir)
    try {
      expect((await statusOf(listener.url)).deliveries).toEqual({pending: 0, failed: 0, quarantined: 0})
      const warning = await listener.waitForLine((line) => String(line.message).includes('moved aside'))
      expect(String(warning.message)).toContain('was not a readable database')
      expect(readdirSync(configDir).some((name) => name.startsWith('callctl.db.damaged-'))).toBe(true)
    } finally {
      await listener.stop()
    }
  }, 30_000)

  test('a second listener on the same config folder is refused, naming the first; the first runs on', async () => {
    const configDir = tempConfigDir()
    const first = await startListenerProcess(configDir)
    try {
      const second = await runCli(['listen', '--port', '0'], configDir)
      expect(second.exitCode).toBe(6)
      expect(second.stderr).toContain(
        `already used by another callctl listener (pid ${first.process.pid}, port ${first.port})`,
      )
      expect(second.stderr).toContain('CALLCTL_CONFIG_DIR')
      expect(second.stderr).not.toMatch(/\n\s+at /)
      expect((await fetch(`${first.url}/status`)).status).toBe(200)
    } finally {
      await first.stop()
    }
  }, 30_000)
})

test('listeners started at once on one config folder, each on port 0: the others are refused for the folder, not for port 0', async () => {
  const configDir = tempConfigDir()
  const starts = await Promise.all(
    [1, 2, 3].map(async () =>
      execa(process.execPath, [RUN_JS, 'listen', '--port', '0'], {
        env: {CALLCTL_CONFIG_DIR: configDir},
        reject: false,
        timeout: 4000,
      }),
    ),
  )
  const refused = starts.filter((start) => start.exitCode === 6)
  expect(refused.length).toBe(2)
  for (const start of refused) {
    expect(start.stderr).toContain('Code: ERR_STORE_IN_USE')
    expect(start.stderr).toMatch(/The config folder .+ is already used by/s)
    expect(start.stderr).not.toContain('Port 0')
  }
}, 30_000)

describe('calls live at a crash end at the next start (real listener processes)', () => {
  test('kill -9 with 15 live calls: the next listener sends 15 end notifications with {REASON}, once', async () => {
    const configDir = tempConfigDir()
    const receiver = await startWebhookReceiver()
    await setConfig(configDir, {
      'notifications.end': `${receiver.url}/end?n=$callerid&reason={REASON}`,
    })
    const first = await startListenerProcess(configDir)
    for (let i = 0; i < 15; i++) {
      const response = await fetch(`${first.url}/notify/incoming?number=02012345${String(i).padStart(2, '0')}`, {
        method: 'POST',
      })
      expect(response.status).toBe(200)
    }

    first.process.kill('SIGKILL')
    await first.process
    expect(receiver.received).toEqual([])

    const second = await startListenerProcess(configDir)
    try {
      const ends = await receiver.waitFor(15, 15_000)
      expect(new Set(ends.map((request) => new URL(request.url, 'http://x').searchParams.get('n'))).size).toBe(15)
      for (const request of ends) expect(request.url).toContain('reason=listener%20restarted')
      expect(second.lines.some((line) => String(line.message).includes('15 call(s) were live'))).toBe(true)
    } finally {
      await second.stop()
    }

    // Once: a third start has nothing left to end.
    const third = await startListenerProcess(configDir)
    await new Promise((resolve) => setTimeout(resolve, 500))
    await third.stop()
    await receiver.close()
    expect(receiver.received).toHaveLength(15)
  }, 60_000)
})

describe('what a hostile tester found, fixed (real listener processes)', () => {
  test('kill -9 in a burst never leaves an announced call without its live-call row (so without its end)', async () => {
    const configDir = tempConfigDir()
    // Nothing listens there: every notification stays in the outbox, to be counted.
    await setConfig(configDir, {
      'notifications.incoming': 'http://127.0.0.1:9/in?n=$callerid',
      'notifications.end': 'http://127.0.0.1:9/end?n=$callerid',
    })
    for (let round = 0; round < 6; round++) {
      const listener = await startListenerProcess(configDir)
      const burst = Array.from({length: 6}, (_, i) =>
        fetch(`${listener.url}/notify/incoming?number=02${round}${i}`, {method: 'POST'}).catch(() => {}),
      )
      await new Promise((resolve) => setTimeout(resolve, round * 8))
      listener.process.kill('SIGKILL')
      await Promise.all(burst)
      await listener.process
      const db = new DatabaseSync(path.join(configDir, 'callctl.db'))
      const stored = (db.prepare('SELECT data FROM deliveries').all() as Array<{data: string}>).map(
        ({data}) => JSON.parse(data) as {callId: string; event: string},
      )
      const live = new Set((db.prepare('SELECT id FROM live_calls').all() as Array<{id: string}>).map(({id}) => id))
      db.close()
      // An unanswered call ends `missed`: its end notification carries that event name.
      const ended = new Set(
        stored.filter(({event}) => ['end', 'missed', 'rejected'].includes(event)).map(({callId}) => callId),
      )
      // Every announced call is either still live (ended at the next start) or already has its end stored.
      const orphans = stored.filter(
        ({event, callId}) => event === 'incoming' && !live.has(callId) && !ended.has(callId),
      )
      expect(orphans).toEqual([])
    }
  }, 60_000)

  test('a live-call row filed under another id, or damaged fields: quarantined, never ended at every start; names cleaned', async () => {
    const configDir = tempConfigDir()
    const receiver = await startWebhookReceiver()
    await setConfig(configDir, {'notifications.end': `${receiver.url}/end?n=$callerid&name={CALLERNAME}`})
    const first = await startListenerProcess(configDir)
    await first.stop()
    const call = (id: string, name = 'Bob') => ({
      id,
      direction: 'incoming',
      number: '0201',
      name,
      state: 'ringing',
      createdAt: new Date().toISOString(),
      tags: [],
      channel: '',
    })
    const db = new DatabaseSync(path.join(configDir, 'callctl.db'))
    const insert = db.prepare('INSERT INTO live_calls (id, data) VALUES (?, ?)')
    insert.run('other', JSON.stringify(call('x')))
    insert.run('bad-date', JSON.stringify({...call('bad-date'), createdAt: 'garbage'}))
    insert.run('evil', JSON.stringify(call('evil', 'evil\r\nX-Injected: 1\u202E\u0000')))
    db.close()

    for (let start = 0; start < 2; start++) {
      const listener = await startListenerProcess(configDir)
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect((await statusOf(listener.url)).deliveries.quarantined).toBe(2)
      await listener.stop()
    }

    await receiver.close()
    expect(receiver.received.map((request) => request.url)).toEqual(['/end?n=0201&name=evilX-Injected%3A%201'])
  }, 60_000)

  test('a damaged page inside the store: the listener moves it aside and starts; outbox and doctor only report it', async () => {
    const configDir = tempConfigDir()
    writeRows(
      configDir,
      Array.from({length: 300}, (_, i) =>
        JSON.stringify(validDelivery(`http://127.0.0.1:9/${'x'.repeat(200)}`, `call-${i}`)),
      ),
    )
    const file = path.join(configDir, 'callctl.db')
    const {size} = statSync(file)
    const handle = openSync(file, 'r+')
    writeSync(handle, Buffer.alloc(3000, 0xab), 0, 3000, Math.floor(size / 2))
    closeSync(handle)

    const outbox = await runCli(['outbox'], configDir)
    expect(outbox.exitCode).toBe(6)
    expect(outbox.stderr).toContain("Cannot open callctl's store")
    expect(outbox.stderr).toContain('callctl listen moves a damaged store aside')
    const doctor = await runCli(['doctor', '--json'], configDir)
    expect(doctor.stdout).toContain("cannot read callctl's store")
    expect(readdirSync(configDir).some((name) => name.includes('.damaged-'))).toBe(false)

    const listener = await startListenerProcess(configDir)
    try {
      const warning = await listener.waitForLine((line) => String(line.message).includes('moved aside'))
      expect(String(warning.message)).toContain(file)
      expect((await statusOf(listener.url)).deliveries.pending).toBe(0)
    } finally {
      await listener.stop()
    }

    expect(readdirSync(configDir).some((name) => name.startsWith('callctl.db.damaged-'))).toBe(true)
  }, 60_000)
})

test('callctl outbox hides credentials: header values and secrets of pending, failed and damaged records', async () => {
  const configDir = tempConfigDir()
  const pending = validDelivery('http://127.0.0.1:9/in', 'call-cred')
  pending.request.headers = {authorization: 'Bearer live-api-key-0123', 'x-agent': 'Jane'}
  writeRows(configDir, [
    JSON.stringify({...pending, secret: 'signing-secret-0123456789'}),
    '{"id": "x", "secret": "signing-secret-0123456789", "request": {"headers": {"X-Api-Key": "k-0123"',
  ])
  const result = await runCli(['outbox', '--json'], configDir)
  expect(result.stdout).not.toMatch(/live-api-key|signing-secret|k-0123/)
  const shown = JSON.parse(result.stdout) as {
    pending: Array<{request: {headers: Record<string, string>}}>
    damaged: Array<{raw: string}>
  }
  expect(shown.pending[0].request.headers).toEqual({authorization: '<hidden>', 'x-agent': 'Jane'})
  expect(shown.damaged[0].raw).toBe('{"id": "x", "secret": "<hidden>", "request": {"headers": {"X-Api-Key": "<hidden>"')
}, 30_000)
