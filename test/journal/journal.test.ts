import path from 'node:path'

import {runCli} from '../helpers/cli.js'
import {rawRequest} from '../helpers/raw-request.js'
import {setConfig} from '../helpers/config.js'
import {type ListenerProcess, startListenerProcess} from '../helpers/listener-process.js'
import {tempConfigDir} from '../helpers/paths.js'
import {startWebhookReceiver} from '../helpers/webhook-receiver.js'
import {until} from '../helpers/wait.js'

const {DatabaseSync} = process.getBuiltinModule('node:sqlite')

async function post(listener: ListenerProcess, route: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${listener.url}${route}`, {method: 'POST', headers})
  return (await response.json()) as any
}

describe('the call journal (real listener process, callctl history)', () => {
  let configDir: string
  let listener: ListenerProcess
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>

  beforeAll(async () => {
    configDir = tempConfigDir()
    receiver = await startWebhookReceiver()
    await setConfig(configDir, {
      'driver.sim.answerAfterMs': '0',
      'notifications.end': `${receiver.url}/end?n={CALLERNUM}`,
    })
    listener = await startListenerProcess(configDir)
    // An answered outgoing call, a missed and a rejected incoming one, an answered one with a name and tags.
    const made = await post(listener, '/make/020123456')
    await post(listener, `/end?call=${made.call.id}`)
    await post(listener, '/notify/incoming?number=0611111111&call=missed-1')
    await post(listener, '/notify/end?call=missed-1&reason=caller%20gave%20up')
    await post(listener, '/notify/incoming?number=0622222222&call=rejected-1')
    await post(listener, '/reject')
    await post(listener, '/notify/incoming?number=0633333333&call=vip-1&name=%3DHYPERLINK(%22x%22)&tags=vip,sales')
    await post(listener, '/answer')
    await post(listener, '/end')
    await receiver.waitFor(4)
  })
  afterAll(async () => {
    await listener?.stop()
    await receiver?.close()
  })

  test('every finished call is in the journal, newest first, with which notifications were delivered', async () => {
    const history = await runCli(['history', '--json'], configDir)
    expect(history.exitCode).toBe(0)
    const {ok, calls} = JSON.parse(history.stdout)
    expect(ok).toBe(true)
    expect(calls.map((call: any) => [call.number, call.direction, call.result])).toEqual([
      ['0633333333', 'incoming', 'answered'],
      ['0622222222', 'incoming', 'rejected'],
      ['0611111111', 'incoming', 'missed'],
      ['020123456', 'outgoing', 'answered'],
    ])
    expect(calls[0]).toMatchObject({
      id: 'vip-1',
      name: '=HYPERLINK("x")',
      tags: ['vip', 'sales'],
      answered: expect.stringMatching(/^20\d\d-/),
      duration: expect.any(Number),
      reason: 'local hangup',
      transferredTo: null,
    })
    expect(calls[2]).toMatchObject({answered: null, duration: 0, reason: 'caller gave up'})
    // The end notification of each call (its final event goes to notifications.end) is noted once delivered.
    await until(async () => {
      const again = JSON.parse((await runCli(['history', '--json'], configDir)).stdout)
      return again.calls.every((call: any) => call.delivered.length === 1)
    })
    const again = JSON.parse((await runCli(['history', '--json'], configDir)).stdout)
    expect(again.calls.map((call: any) => call.delivered)).toEqual([
      ['end notifications.end'],
      ['rejected notifications.end'],
      ['missed notifications.end'],
      ['end notifications.end'],
    ])
  })

  test('people get one line per call', async () => {
    const {stdout} = await runCli(['history', '--limit', '2'], configDir)
    const lines = stdout.split('\n')
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(
      /^20\d\d-\d\d-\d\d \d\d:\d\d:\d\dZ {2}incoming {2}answered {3}0633333333 "=HYPERLINK\(\\"x\\"\)" {2}0:0\d {2}local hangup$/,
    )
    expect(lines[1]).toMatch(/incoming {2}rejected {3}0622222222 {2}0:00 {2}declined$/)
  })

  test('filters: --result, --number (part of it), --since', async () => {
    const only = async (...args: string[]) =>
      JSON.parse((await runCli(['history', '--json', ...args], configDir)).stdout).calls.map((call: any) => call.id)
    expect(await only('--result', 'missed')).toEqual(['missed-1'])
    expect(await only('--number', '22222')).toEqual(['rejected-1'])
    expect(await only('--number', '+31 6 3333 3333', '--result', 'answered')).toEqual([])
    expect(await only('--since', '1h')).toHaveLength(4)
    expect(await only('--since', '2999-01-01')).toEqual([])
  })

  test('--csv: a header and a line per call; a name a spreadsheet would run is defused', async () => {
    const {stdout, exitCode} = await runCli(['history', '--csv', '--result', 'answered', '--number', '0633'], configDir)
    expect(exitCode).toBe(0)
    // execa drops the last line break.
    const [header, line, ...more] = stdout.split('\r\n')
    expect(header).toBe(
      'id,direction,number,name,tags,channel,started,answered,ended,duration,result,reason,transferredTo,delivered',
    )
    expect(line).toMatch(/^vip-1,incoming,0633333333,"'=HYPERLINK\(""x""\)",vip;sales,,20/)
    expect(more).toEqual([])
  })

  test('bad filters: one line saying what is wrong, exit 2, from the fast path and from oclif alike', async () => {
    for (const args of [
      ['--since', 'yesterday'],
      ['--since', 'yesterday', '--csv', '--json'],
    ]) {
      const result = await runCli(['history', ...args], configDir)
      expect(result.exitCode).toBe(2)
      expect(result.stderr).not.toMatch(/\n\s+at /)
    }

    const since = await runCli(['history', '--since', 'yesterday'], configDir)
    expect(since.stderr).toMatch(/Invalid since "yesterday": give an age such as 30m, 12h, 1d, 2w, or a date/)
    const result = await runCli(['history', '--result', 'lost'], configDir)
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toMatch(
      /Invalid result "lost": use one of answered, missed, rejected, busy, failed, cancelled/,
    )
    expect((await runCli(['history', '--limit', '0'], configDir)).exitCode).toBe(2)
  })

  test('--since takes real dates and ages up to 100 years; --number takes digits; no match is not an empty journal', async () => {
    for (const since of ['2026-02-30', '2026-13-01', '2026-12-01T25:00', '999999w', '9999999d']) {
      const result = await runCli(['history', '--since', since], configDir)
      expect(result.exitCode).toBe(2)
      expect(result.stderr).toContain(`Invalid since "${since}"`)
    }

    for (const number of ['+', 'abc', '%']) {
      const result = await runCli(['history', '--number', number, '--json'], configDir)
      expect(result.exitCode).toBe(2)
      expect(JSON.parse(result.stdout).error).toMatchObject({
        code: 'ERR_INVALID_FILTER',
        message: expect.stringMatching(/^Invalid number ".*": give digits/),
      })
    }

    expect((await runCli(['history', '--since', '2026-02-28'], configDir)).exitCode).toBe(0)
    for (const since of ['0m', '9999-12-31']) {
      expect(await runCli(['history', '--since', since], configDir)).toMatchObject({
        exitCode: 0,
        stdout: 'No call in the journal matched these filters',
      })
    }

    expect((await fetch(`${listener.url}/history?result=missed&result=answered`)).status).toBe(400)
  })

  test('callctl.db and its companions are readable by their owner only, as config.json is', async () => {
    const {statSync, readdirSync} = await import('node:fs')
    const files = readdirSync(configDir).filter((name) => name.startsWith('callctl.db') || name === 'config.json')
    expect(files).toEqual(expect.arrayContaining(['callctl.db', 'config.json']))
    for (const name of files) expect([name, statSync(path.join(configDir, name)).mode & 0o777]).toEqual([name, 0o600])
  })

  test('GET /history answers the same, with the same filters; 400 for a bad one', async () => {
    const response = await fetch(`${listener.url}/history?result=rejected`)
    expect(response.status).toBe(200)
    expect(((await response.json()) as any).calls.map((call: any) => call.id)).toEqual(['rejected-1'])
    const bad = await fetch(`${listener.url}/history?limit=-1`)
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as any).error.code).toBe('ERR_INVALID_FILTER')
    expect((await fetch(`${listener.url}/history`, {method: 'POST'})).status).toBe(405)
  })
})

describe('the journal and the token and origin rules of /status', () => {
  test('with a token, /history needs it like /status; a foreign page cannot read it', async () => {
    const configDir = tempConfigDir()
    const token = 'a-token-of-sixteen-chars'
    await setConfig(configDir, {'security.token': token})
    const listener = await startListenerProcess(configDir)
    try {
      expect((await fetch(`${listener.url}/history`)).status).toBe(401)
      expect((await fetch(`${listener.url}/status`)).status).toBe(401)
      const ok = await fetch(`${listener.url}/history`, {headers: {authorization: `Bearer ${token}`}})
      expect(ok.status).toBe(200)
      // No CORS header for an origin that is not allowed: the browser keeps the answer from the page.
      const foreign = await fetch(`${listener.url}/history?token=${token}`, {headers: {origin: 'https://evil.example'}})
      expect(foreign.headers.get('access-control-allow-origin')).toBeNull()
    } finally {
      await listener.stop()
    }
  })
})

describe('/history is neither readable nor costly from other sites, and paged', () => {
  test('a cross-site browser request is refused (403) before the journal is read; a tool, the own page and a typed address are served', async () => {
    const configDir = tempConfigDir()
    await setConfig(configDir, {'driver.sim.answerAfterMs': '0'})
    const listener = await startListenerProcess(configDir)
    try {
      const made = await post(listener, '/make/020123456')
      await post(listener, `/end?call=${made.call.id}`)
      const foreign = await rawRequest(`${listener.url}/history?limit=1000`, {
        headers: {origin: 'https://evil.example', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors'},
      })
      expect(foreign.status).toBe(403)
      expect(foreign.json().error).toMatchObject({
        code: 'ERR_ORIGIN',
        message: expect.stringContaining(
          'Refused history from https://evil.example: pages of other sites may not read the call journal',
        ),
      })
      const link = await rawRequest(`${listener.url}/history`, {
        headers: {
          referer: 'https://evil.example/',
          'sec-fetch-site': 'cross-site',
          'sec-fetch-mode': 'navigate',
          'sec-fetch-user': '?1',
        },
      })
      expect(link.status).toBe(403)
      const typed = await rawRequest(`${listener.url}/history`, {
        headers: {'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate', 'sec-fetch-user': '?1'},
      })
      expect(typed.status).toBe(200)
      const own = await rawRequest(`${listener.url}/history`, {
        headers: {origin: listener.url, 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors'},
      })
      expect(own.json().calls).toHaveLength(1)
      expect((await rawRequest(`${listener.url}/history`)).json().calls).toHaveLength(1)
    } finally {
      await listener.stop()
    }
  })

  test('GET /history gives at most 1,000 calls a request (400 above); callctl history streams 100,000 in little memory', async () => {
    const configDir = tempConfigDir()
    await setConfig(configDir, {'driver.sim.answerAfterMs': '0'})
    const listener = await startListenerProcess(configDir)
    try {
      const made = await post(listener, '/make/020123456')
      await post(listener, `/end?call=${made.call.id}`)
      const db = new DatabaseSync(path.join(configDir, 'callctl.db'))
      db.exec('BEGIN')
      const insert = db.prepare(
        `INSERT INTO journal (id, direction, number, name, tags, channel, started, answered, ended, duration, result, reason)
         VALUES (?, 'incoming', ?, 'A caller with a name', '[]', '', ?, NULL, ?, 0, 'missed', 'caller gave up')`,
      )
      const at = new Date(Date.now() - 3_600_000).toISOString()
      for (let i = 0; i < 100_000; i++) insert.run(`bulk-${i}`, `06${String(i).padStart(8, '0')}`, at, at)
      db.exec('COMMIT')
      db.close()
      const over = await fetch(`${listener.url}/history?limit=100000`)
      expect(over.status).toBe(400)
      expect(((await over.json()) as any).error.message).toBe(
        'Invalid limit "100000": use a whole number from 1 to 1000',
      )
      expect(((await (await fetch(`${listener.url}/history?limit=1000`)).json()) as any).calls).toHaveLength(1000)
      // Held whole, the listing took hundreds of MB; streamed it fits a 64 MB heap.
      const listed = await runCli(['history', '--json', '--limit', '100000'], configDir, {
        NODE_OPTIONS: '--max-old-space-size=64',
      })
      const {ok, calls} = JSON.parse(listed.stdout)
      expect(ok).toBe(true)
      expect(calls).toHaveLength(100_000)
      expect(calls[0]).toMatchObject({id: made.call.id})
      const csv = await runCli(['history', '--csv', '--limit', '100000'], configDir, {
        NODE_OPTIONS: '--max-old-space-size=64',
      })
      expect(csv.stdout.split('\r\n')).toHaveLength(100_001)
    } finally {
      await listener.stop()
    }
  }, 120_000)
})

describe('the journal is durable', () => {
  test('kill -9: finished calls are kept, the call live at the kill is journaled at the next start, none twice', async () => {
    const configDir = tempConfigDir()
    await setConfig(configDir, {'driver.sim.answerAfterMs': '0'})
    const first = await startListenerProcess(configDir)
    for (let i = 0; i < 5; i++) {
      const made = await post(first, `/make/02000000${i}`)
      await post(first, `/end?call=${made.call.id}`)
    }

    const live = await post(first, '/make/0209999999')
    first.process.kill('SIGKILL')
    await first.process

    // The listener is down: history reads the store itself.
    const down = JSON.parse((await runCli(['history', '--json'], configDir)).stdout).calls
    expect(down.map((call: any) => call.number)).toEqual([
      '020000004',
      '020000003',
      '020000002',
      '020000001',
      '020000000',
    ])

    const second = await startListenerProcess(configDir)
    try {
      const after = JSON.parse((await runCli(['history', '--json'], configDir)).stdout).calls
      expect(after).toHaveLength(6)
      expect(after[0]).toMatchObject({id: live.call.id, reason: 'listener restarted', result: 'answered'})
      expect(new Set(after.map((call: any) => call.id)).size).toBe(6)
    } finally {
      await second.stop()
    }

    // A stop (SIGTERM) ends nothing twice either.
    expect(JSON.parse((await runCli(['history', '--json'], configDir)).stdout).calls).toHaveLength(6)
  }, 60_000)

  test('retention: entries older than journal.retentionDays are dropped when the listener starts', async () => {
    const configDir = tempConfigDir()
    await setConfig(configDir, {'driver.sim.answerAfterMs': '0', 'journal.retentionDays': '7'})
    const first = await startListenerProcess(configDir)
    const made = await post(first, '/make/020123456')
    await post(first, `/end?call=${made.call.id}`)
    await first.stop()
    const db = new DatabaseSync(path.join(configDir, 'callctl.db'))
    const old = new Date(Date.now() - 8 * 86_400_000).toISOString()
    db.prepare(
      `INSERT INTO journal (id, direction, number, name, tags, channel, started, answered, ended, duration, result, reason)
       VALUES ('old', 'incoming', '0600000000', '', '[]', '', ?, NULL, ?, 0, 'missed', '')`,
    ).run(old, old)
    db.close()
    expect(JSON.parse((await runCli(['history', '--json'], configDir)).stdout).calls).toHaveLength(2)
    const second = await startListenerProcess(configDir)
    await second.stop()
    const calls = JSON.parse((await runCli(['history', '--json'], configDir)).stdout).calls
    expect(calls.map((call: any) => call.id)).toEqual([made.call.id])
  }, 60_000)

  test('no store yet: an empty journal, not an error', async () => {
    const result = await runCli(['history'], tempConfigDir())
    expect(result).toMatchObject({exitCode: 0, stdout: 'No calls in the journal'})
  })
})

test('history --number takes a SIP address: the calls to or from it, whatever the case of its host', async () => {
  const configDir = tempConfigDir()
  const listener = await startListenerProcess(configDir)
  try {
    await post(listener, '/notify/incoming?number=sip:bob@PBX.example.com&call=sip-1')
    await post(listener, '/notify/end?call=sip-1')
    await post(listener, '/notify/incoming?number=sip:bobby@pbx.example.com&call=sip-2')
    await post(listener, '/notify/end?call=sip-2')
    await post(listener, '/notify/incoming?number=0611111111&call=number-1')
    await post(listener, '/notify/end?call=number-1')
    const only = async (number: string) => {
      const result = await runCli(['history', '--json', '--number', number], configDir)
      expect(result.exitCode).toBe(0)
      return JSON.parse(result.stdout).calls.map((call: any) => call.id)
    }

    await until(async () => (await only('sip:bob@pbx.example.com')).length > 0)
    expect(await only('sip:bob@pbx.example.com')).toEqual(['sip-1'])
    expect((await only('sip:bob')).sort()).toEqual(['sip-1', 'sip-2'])
    const bad = await runCli(['history', '--json', '--number', 'sip:bob@bad host'], configDir)
    expect(bad.exitCode).toBe(2)
    expect(JSON.parse(bad.stdout).error).toMatchObject({
      code: 'ERR_INVALID_FILTER',
      message: expect.stringContaining('without spaces'),
    })
  } finally {
    await listener.stop()
  }
})

test('history --number +31… finds the international number however it was kept (+31…, 0031…), not every number holding 31', async () => {
  const configDir = tempConfigDir()
  const {Store} = await import('../../src/store/database.js')
  const {JOURNAL_SCHEMA} = await import('../../src/journal/journal.js')
  const store = new Store(path.join(configDir, 'callctl.db'), [JOURNAL_SCHEMA])
  const insert = store.db.prepare(
    `INSERT INTO journal (id, direction, number, name, tags, channel, started, answered, ended, duration, result, reason, delivered)
     VALUES (?, 'incoming', ?, '', '[]', '', ?, NULL, ?, 0, 'missed', '', '[]')`,
  )
  const at = new Date().toISOString()
  for (const [id, number] of [
    ['plus', '+31201234567'],
    ['zeros', '0031201234567'],
    ['national', '0631312345'],
  ])
    insert.run(id, number, at, at)
  store.close()
  const ids = async (number: string) =>
    JSON.parse((await runCli(['history', '--json', '--number', number], configDir)).stdout)
      .calls.map((call: {id: string}) => call.id)
      .sort()
  expect(await ids('+31')).toEqual(['plus', 'zeros'])
  expect(await ids('+3120')).toEqual(['plus', 'zeros'])
  expect(await ids('31')).toEqual(['national', 'plus', 'zeros'])
})
