import {execa} from 'execa'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {createServer, type IncomingHttpHeaders} from 'node:http'
import type {AddressInfo} from 'node:net'
import path from 'node:path'

import {runCli} from '../helpers/cli.js'
import {setConfig} from '../helpers/config.js'
import {type ListenerProcess, startListenerProcess} from '../helpers/listener-process.js'
import {RUN_JS, tempConfigDir} from '../helpers/paths.js'
import {closedPort} from '../helpers/ports.js'
import {argvRecorder} from '../helpers/recorder.js'

// The defects of the hostile test report on issue 16, each as the user meets it: real processes, a real listener.

interface Status {
  pid: number
  calls: Array<{id: string; number: string}>
}

async function statusOf(port: number): Promise<Status> {
  return (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as Status
}

describe('defect 1: a relative config folder', () => {
  test('dial --config-dir ../cfg from another folder starts the listener of that config, not one with defaults', async () => {
    const base = tempConfigDir()
    const configDir = path.join(base, 'cfg')
    const cwd = path.join(base, 'sub')
    mkdirSync(configDir)
    mkdirSync(cwd)
    const port = await closedPort()
    await setConfig(configDir, {port: String(port), 'driver.sim.answerAfterMs': '-1'})
    const result = await execa(process.execPath, [RUN_JS, 'dial', '--config-dir', '../cfg', 'tel:+4930888'], {
      cwd,
      env: {NO_COLOR: '1', CALLCTL_CONFIG_DIR: ''},
      reject: false,
      timeout: 20_000,
    })
    let status: Status | undefined
    try {
      expect(result.stderr).toBe('')
      expect(result.exitCode).toBe(0)
      status = await statusOf(port)
      expect(status.calls.map((call) => call.number)).toEqual(['+4930888'])
    } finally {
      // Also when an assertion failed first: no listener is left running.
      status ??= await statusOf(port).catch(() => undefined)
      if (status) process.kill(status.pid)
    }
  })

  test('a relative CALLCTL_CONFIG_DIR is resolved against the folder dial runs in, too', async () => {
    const base = tempConfigDir()
    mkdirSync(path.join(base, 'cfg'))
    const port = await closedPort()
    await setConfig(path.join(base, 'cfg'), {port: String(port), 'driver.sim.answerAfterMs': '-1'})
    const result = await execa(process.execPath, [RUN_JS, 'dial', 'tel:+4930889'], {
      cwd: base,
      env: {NO_COLOR: '1', CALLCTL_CONFIG_DIR: 'cfg'},
      reject: false,
      timeout: 20_000,
    })
    let status: Status | undefined
    try {
      expect(result.exitCode).toBe(0)
      status = await statusOf(port)
      expect(status.calls.map((call) => call.number)).toEqual(['+4930889'])
    } finally {
      // Also when an assertion failed first: no listener is left running.
      status ??= await statusOf(port).catch(() => undefined)
      if (status) process.kill(status.pid)
    }
  })
})

describe('defect 4: many clicks with no listener running', () => {
  test('twelve clicks at once start one listener; the others wait for it, and every call is placed', async () => {
    const configDir = tempConfigDir()
    const port = await closedPort()
    await setConfig(configDir, {port: String(port), 'driver.sim.answerAfterMs': '-1'})
    const numbers = Array.from({length: 12}, (_, index) => `02012345${String(index).padStart(2, '0')}`)
    const results = await Promise.all(
      numbers.map(async (number) => runCli(['dial', `tel:${number}`, '--json'], configDir)),
    )
    let status: Status | undefined
    try {
      expect(results.map((result) => result.exitCode)).toEqual(numbers.map(() => 0))
      const started = results.map((result) => (JSON.parse(result.stdout) as {started?: string}).started)
      // One click started the listener; the others waited for it (or found it running already).
      expect(started.filter((how) => how === 'process')).toHaveLength(1)
      expect(started.filter((how) => how !== 'process' && how !== 'other' && how !== undefined)).toEqual([])
      status = await statusOf(port)
      expect(status.calls.map((call) => call.number).sort()).toEqual(numbers)
      expect(existsSync(path.join(configDir, `listener-start-${port}.lock`))).toBe(false)
    } finally {
      // Also when an assertion failed first: no listener is left running.
      status ??= await statusOf(port).catch(() => undefined)
      if (status) process.kill(status.pid)
    }
  })
})

describe('defect 2: no way past numbers.block and numbers.allow, by dial and by /make', () => {
  let configDir: string
  let listener: ListenerProcess
  const dial = async (...args: string[]) => runCli(['dial', ...args, '--port', String(listener.port)], configDir)

  beforeAll(async () => {
    configDir = tempConfigDir()
    await setConfig(configDir, {
      'numbers.block': '0900',
      'dialing.countryCode': '31',
      'driver.sim.answerAfterMs': '-1',
    })
    listener = await startListenerProcess(configDir)
  })
  afterAll(async () => listener?.stop())

  test.each([
    'tel:*31#0900123',
    'tel:%2331%230900123',
    'tel:*67%230900123',
    'tel:+310900123',
    'tel:+31-0-900123',
    'tel:0031 (0) 900123',
    'tel:0900123;phone-context=+31',
  ])('%s is refused as the blocked 0900 number', async (link) => {
    const result = await dial(link)
    expect(result.exitCode).toBe(4)
    expect(result.stderr).toMatch(/matches numbers.block entry "0900"/)
    const made = await fetch(`${listener.url}/make/${encodeURIComponent(link)}`, {method: 'POST'})
    expect(made.status).toBe(403)
    expect((await statusOf(listener.port)).calls).toEqual([])
  })

  test('allow 0,+31 (only national numbers) refuses tel:004930123 as it refuses tel:+4930123', async () => {
    const allowDir = tempConfigDir()
    await setConfig(allowDir, {'numbers.allow': '0,+31', 'dialing.countryCode': '31'})
    for (const link of ['tel:004930123', 'tel:+4930123', 'tel:*31#004930123']) {
      const result = await runCli(['dial', link, '--dry-run'], allowDir)
      expect(result.exitCode).toBe(4)
      expect(result.stderr).toMatch(/matches no numbers.allow entry/)
    }

    expect((await runCli(['dial', 'tel:020-1234567', '--dry-run'], allowDir)).exitCode).toBe(0)
  })

  test('dialing.format national dials the clicked number, not another country (0031 (0) 900… stays 0900…)', async () => {
    const nationalDir = tempConfigDir()
    await setConfig(nationalDir, {'dialing.countryCode': '31', 'dialing.format': 'national'})
    for (const link of ['tel:0031 (0) 20 1234', 'tel:+31-0-201234', 'tel:0201234;phone-context=+31']) {
      const result = await runCli(['dial', link, '--dry-run'], nationalDir)
      expect(result.stdout.split('\n')[0]).toBe('Would dial 0201234')
    }
  })
})

describe('defect 3: the token and the number go only to a callctl listener', () => {
  test('dial and make ask a foreign server without the token and send it neither token nor number', async () => {
    const seen: Array<{method?: string; url?: string; headers: IncomingHttpHeaders}> = []
    // Answers like a listener would to a make: the foreign program a user would not notice.
    const server = createServer((req, res) => {
      seen.push({method: req.method, url: req.url, headers: req.headers})
      res
        .writeHead(200, {'content-type': 'application/json'})
        .end('{"ok":true,"call":{"id":"x","state":"dialing","number":"1"}}')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = String((server.address() as AddressInfo).port)
    const configDir = tempConfigDir()
    await setConfig(configDir, {'security.token': 'secret-token-12345678'})
    try {
      for (const args of [
        ['dial', 'tel:+4930999'],
        ['make', '+4930999'],
      ]) {
        const result = await runCli([...args, '--port', port], configDir)
        expect(result.exitCode).toBe(3)
        expect(result.stderr).toMatch(/is not a callctl listener/)
      }

      expect(seen.length).toBeGreaterThan(0)
      for (const request of seen) {
        expect(request).toMatchObject({method: 'GET', url: '/'})
        expect(request.headers.authorization).toBeUndefined()
      }
    } finally {
      server.close()
    }
  })

  test('a real listener with a token still dials: the probe is answered without it', async () => {
    const configDir = tempConfigDir()
    await setConfig(configDir, {'security.token': 'secret-token-12345678', 'driver.sim.answerAfterMs': '-1'})
    const listener = await startListenerProcess(configDir)
    try {
      const result = await runCli(['dial', 'tel:+4930777', '--port', String(listener.port)], configDir)
      expect(result.stdout).toMatch(/^Dialing \+4930777 /)
      const made = await runCli(['make', '+4930778', '--port', String(listener.port)], configDir)
      expect(made.exitCode).toBe(0)
    } finally {
      await listener.stop()
    }
  })
})

describe('defects 5, 8, 11, 17: hostile links get a clear refusal, shown in full and harmless', () => {
  let configDir: string
  let listener: ListenerProcess

  beforeAll(async () => {
    configDir = tempConfigDir()
    await setConfig(configDir, {'driver.sim.answerAfterMs': '-1'})
    listener = await startListenerProcess(configDir)
  })
  afterAll(async () => listener?.stop())

  const dial = async (link: string, env: Record<string, string>) =>
    runCli(['dial', '--notify', link, '--port', String(listener.port), '--json'], configDir, env)

  test.each(['sip:%00x@h', 'tel:+4930555;isub=%00', 'tel:+4930555;isub=a%0Ab', 'tel:*', 'tel:%23'])(
    'argv: %s is exit 4 ERR_INVALID_LINK with a notification, and no call is placed',
    async (link) => {
      const notify = argvRecorder(['notify-send'])
      const result = await dial(link, notify.env)
      expect(result.exitCode).toBe(4)
      expect(JSON.parse(result.stdout)).toMatchObject({ok: false, error: {code: 'ERR_INVALID_LINK'}})
      const calls = notify.calls()
      expect(calls).toHaveLength(1)
      expect(calls[0].args.slice(0, 3)).toEqual(['--app-name=callctl', '--', 'callctl: the call was not placed'])
      // eslint-disable-next-line no-control-regex -- control characters are what must not arrive
      expect(calls[0].args[3]).not.toMatch(/[\u0000-\u0009\u000B-\u001F]/)
      expect((await statusOf(listener.port)).calls).toEqual([])
    },
  )

  test('argv: a 100 kB link gives a short notification, a short error and a short log record', async () => {
    const notify = argvRecorder(['notify-send'])
    const link = `tel:1;${'"'.repeat(100_000)}`
    const result = await runCli(['dial', '--notify', link], configDir, notify.env)
    expect(result.exitCode).toBe(4)
    expect(result.stderr.length).toBeLessThan(1000)
    const [call] = notify.calls()
    expect(call.args[3].length).toBeLessThanOrEqual(1001)
    expect(call.args[3]).toMatch(/^Cannot dial "tel:1;(\\")+…"/)
    const log = readFileSync(path.join(configDir, 'logs', 'listener.jsonl'), 'utf8')
      .trim()
      .split('\n')
    expect(log.at(-1)!.length).toBeLessThan(4000)
  })

  test('argv: markup in a link reaches notify-send escaped, direction overrides as escapes', async () => {
    const notify = argvRecorder(['notify-send'])
    await dial("tel:%3Ca%20href='//e.vil'%3ERetry%3C/a%3E", notify.env)
    await dial('tel:%E2%80%AE1234', notify.env)
    const [markup, bidi] = notify.calls().map((call) => call.args[3])
    expect(markup).toContain("&lt;a href='//e.vil'&gt;Retry&lt;/a&gt;")
    expect(markup).not.toContain('<a')
    expect(bidi).not.toContain('\u202E')
    expect(bidi).toContain('\\u202e')
  })
})

describe('defect 16: usage errors of a clicked link are shown too', () => {
  test.each([[[' ']], [['tel:+4930', 'extra']]])('argv: dial --notify %j: exit 2 and a notification', async (args) => {
    const notify = argvRecorder(['notify-send'])
    const result = await runCli(['dial', '--notify', ...args], tempConfigDir(), notify.env)
    expect(result.exitCode).toBe(2)
    const calls = notify.calls()
    expect(calls).toHaveLength(1)
    expect(calls[0].args.slice(0, 3)).toEqual(['--app-name=callctl', '--', 'callctl: the call was not placed'])
    expect(calls[0].args[3]).toMatch(/No number given|Unexpected argument: extra/)
  })
})

describe('defects 9, 10, 15: the number lists are checked before anything else', () => {
  test('argv: a blocked number gets no confirmation prompt, and --dry-run says it is refused', async () => {
    const configDir = tempConfigDir()
    await setConfig(configDir, {'numbers.block': '0900', 'handler.confirm': 'true'})
    const zenity = argvRecorder(['zenity'])
    const port = String(await closedPort())
    const result = await runCli(['dial', 'tel:0900123', '--port', port], configDir, zenity.env)
    expect(result.exitCode).toBe(4)
    expect(result.stderr).toMatch(/0900123 matches numbers.block entry "0900"/)
    expect(zenity.calls()).toEqual([])
    const dry = await runCli(['dial', 'tel:0900123', '--dry-run'], configDir)
    expect(dry.exitCode).toBe(4)
    expect(dry.stdout).not.toMatch(/Would dial/)
  })

  test('a broken numbers.block pattern is named, and no listener is started for it', async () => {
    const configDir = tempConfigDir()
    const port = await closedPort()
    writeFileSync(path.join(configDir, 'config.json'), JSON.stringify({port, numbers: {block: ['/(/']}}))
    const result = await runCli(['dial', 'tel:+4930123'], configDir)
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toMatch(/Invalid pattern \/\(\/ in numbers.block/)
    await expect(fetch(`http://127.0.0.1:${port}/status`)).rejects.toThrow()
  })
})

describe(';ext= is keyed in by the listener once the call is answered', () => {
  let configDir: string
  let listener: ListenerProcess

  beforeAll(async () => {
    configDir = tempConfigDir()
    await setConfig(configDir, {'driver.sim.answerAfterMs': '300', 'driver.sim.hangupAfterMs': '-1'})
    listener = await startListenerProcess(configDir)
  })
  afterAll(async () => listener?.stop())

  const dtmfLine = (digits: string, callId: string) => (line: Record<string, unknown>) =>
    JSON.stringify(line).includes(`sent DTMF ${digits} on call ${callId}`)

  test('callctl dial tel:…;ext=55: the sim receives 55 after answer', async () => {
    const result = await runCli(['dial', 'tel:+49301234;ext=55', '--port', String(listener.port), '--json'], configDir)
    const data = JSON.parse(result.stdout) as {ext: string; extKeyed: boolean; warnings: string[]; call: {id: string}}
    expect(data).toMatchObject({ext: '55', extKeyed: true, warnings: []})
    const sent = performance.now()
    await listener.waitForLine(dtmfLine('55', data.call.id))
    // After the answer (300 ms) and the pause: not at once.
    expect(performance.now() - sent).toBeGreaterThan(1000)
    await fetch(`${listener.url}/end?call=${data.call.id}`, {method: 'POST'})
  })

  test('/make/tel:+49301234;ext=56 from a CRM: the same', async () => {
    const response = await fetch(`${listener.url}/make/${encodeURIComponent('tel:+49301234;ext=56')}`, {method: 'POST'})
    const body = (await response.json()) as {call: {id: string}; ext: unknown}
    expect(body.ext).toEqual({digits: '56', keyedAfterAnswer: true})
    await listener.waitForLine(dtmfLine('56', body.call.id))
    await fetch(`${listener.url}/end?call=${body.call.id}`, {method: 'POST'})
  })

  test('?ext= empty is no extension; ?ext=12a is refused before anything is dialled', async () => {
    const empty = await fetch(`${listener.url}/make/+49301234?ext=`, {method: 'POST'})
    const body = (await empty.json()) as {call: {id: string}; ext?: unknown}
    expect(empty.status).toBe(200)
    expect(body.ext).toBeUndefined()
    await fetch(`${listener.url}/end?call=${body.call.id}`, {method: 'POST'})
    const before = (await statusOf(listener.port)).calls.length
    const bad = await fetch(`${listener.url}/make/+49301234?ext=12a`, {method: 'POST'})
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as {error: {code: string}}).error.code).toBe('ERR_INVALID_DTMF')
    expect((await statusOf(listener.port)).calls).toHaveLength(before)
  })

  test('a call that ends before it is answered gets no DTMF', async () => {
    const response = await fetch(`${listener.url}/make/${encodeURIComponent('tel:+49301234;ext=57')}`, {method: 'POST'})
    const {call} = (await response.json()) as {call: {id: string}}
    await fetch(`${listener.url}/end?call=${call.id}`, {method: 'POST'})
    await new Promise((resolve) => setTimeout(resolve, 2500))
    expect(listener.lines.some(dtmfLine('57', call.id))).toBe(false)
  })
})
