import {readFileSync} from 'node:fs'
import path from 'node:path'

import {runCli} from '../helpers/cli.js'
import {setConfig} from '../helpers/config.js'
import {type ListenerProcess, startListenerProcess} from '../helpers/listener-process.js'
import {tempConfigDir} from '../helpers/paths.js'
import {closedPort} from '../helpers/ports.js'
import {argvRecorder} from '../helpers/recorder.js'

interface Status {
  pid: number
  calls: Array<{number: string}>
}

async function statusOf(port: number): Promise<Status> {
  return (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as Status
}

describe('callctl dial against a running listener (real processes)', () => {
  let configDir: string
  let listener: ListenerProcess
  const dial = (...args: string[]) => runCli(['dial', ...args, '--port', String(listener.port)], configDir)

  beforeAll(async () => {
    configDir = tempConfigDir()
    listener = await startListenerProcess(configDir)
  })
  afterAll(async () => listener?.stop())

  test('a tel: link is dialled; its ;ext= is keyed in after answer by the listener (the sim sends DTMF)', async () => {
    const human = await dial('tel:+49-30-1234567;ext=123')
    expect(human).toMatchObject({exitCode: 0, stderr: ''})
    expect(human.stdout).toMatch(
      /^Dialing \+49301234567 \(call sim-.*\)\nExtension 123 will be keyed in once the call is answered$/,
    )
    const json = await dial('callto://+31 20 123 4567;ext=9', '--json')
    expect(json.exitCode).toBe(0)
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: true,
      scheme: 'callto',
      number: '+31201234567',
      dialled: '+31201234567',
      ext: '9',
      extKeyed: true,
      warnings: [],
      call: {number: '+31201234567', direction: 'outgoing'},
    })
    const numbers = (await statusOf(listener.port)).calls.map((call) => call.number)
    expect(numbers).toEqual(expect.arrayContaining(['+49301234567', '+31201234567']))
  })

  test('a sip: address that is no number: the sim cannot dial it (exit 5, naming baresip; a sips: one names no driver) and nothing is dialled', async () => {
    const before = (await statusOf(listener.port)).calls.length
    const result = await dial('sip:alice@example.com')
    expect(result.exitCode).toBe(5)
    expect(result.stderr).toMatch(/cannot dial SIP addresses .*; drivers that can: baresip/)
    expect(result.stderr).not.toMatch(/ at /)
    const json = await dial('sip:alice@example.com', '--json')
    expect(json.exitCode).toBe(5)
    expect(JSON.parse(json.stdout)).toMatchObject({ok: false, error: {code: 'ERR_NOT_SUPPORTED'}})
    expect((await statusOf(listener.port)).calls).toHaveLength(before)
    // --dry-run says what the real dial would: the running listener's driver (the sim) cannot.
    const dry = await dial('sip:alice@example.com', '--dry-run')
    expect(dry.exitCode).toBe(5)
    expect(dry.stderr).toMatch(/cannot dial SIP addresses .*; drivers that can: baresip/)
    const secure = await dial('sips:alice@example.com')
    expect(secure.exitCode).toBe(5)
    expect(secure.stderr).toContain('no driver dials sips: ones')
    expect(secure.stderr).not.toContain('drivers that can')
    expect((await statusOf(listener.port)).calls).toHaveLength(before)
  })

  test('a malformed SIP address is refused before anything is dialled (exit 4, ERR_INVALID_LINK)', async () => {
    const before = (await statusOf(listener.port)).calls.length
    for (const link of ['sip:alice@example.com?Subject=x', 'sip:alice:pw@example.com', 'sip:alice%0A@example.com']) {
      const result = await dial(link, '--json')
      expect({link, exitCode: result.exitCode}).toEqual({link, exitCode: 4})
      expect(JSON.parse(result.stdout)).toMatchObject({ok: false, error: {code: 'ERR_INVALID_LINK'}})
    }

    expect((await statusOf(listener.port)).calls).toHaveLength(before)
  })

  test('/make/tel:…, /make/callto://… and ?number=tel:… dial the number the link holds', async () => {
    for (const path of ['/make/tel:+4930123', '/make/callto://+4930124', '/make?number=tel:%2B49-30-125']) {
      const response = await fetch(`${listener.url}${path}`, {method: 'POST'})
      expect(response.status).toBe(200)
      expect(((await response.json()) as {call: {number: string}}).call.number).toMatch(/^\+4930(123|124|125)$/)
    }
  })
})

describe('dialing rules and number lists, shared by /make and dial', () => {
  test('dial --dry-run prints the number and the rules that made it, and /make dials that same number', async () => {
    const configDir = tempConfigDir()
    await setConfig(configDir, {
      'dialing.countryCode': '49',
      'dialing.format': 'national',
      'dialing.outsideLine': '0',
    })
    const dry = await runCli(['dial', 'tel:+49-30-1234567', '--dry-run'], configDir)
    expect(dry).toEqual({
      exitCode: 0,
      stderr: '',
      stdout: [
        'Would dial 00301234567',
        '  dialing.format national: +49 (dialing.countryCode) became 0 (dialing.trunkPrefix)',
        '  dialing.outsideLine: 0 dialled first',
      ].join('\n'),
    })
    const listener = await startListenerProcess(configDir)
    try {
      const made = await fetch(`${listener.url}/make/+49 (0) 30 1234567`, {method: 'POST'})
      expect(((await made.json()) as {call: {number: string}}).call.number).toBe('00301234567')
      const dialled = await runCli(['dial', 'tel:+49-30-1234567', '--port', String(listener.port)], configDir)
      expect(dialled.stdout).toMatch(/^Dialing 00301234567 /)
    } finally {
      await listener.stop()
    }
  })

  test('dial --dry-run of a SIP address: no dialing rule applies; numbers.block and numbers.allow do, with SIP entries', async () => {
    const configDir = tempConfigDir()
    await setConfig(configDir, {
      'dialing.countryCode': '49',
      'dialing.outsideLine': '0',
      'numbers.block': JSON.stringify(['@blocked.example']),
      // A driver that dials SIP, and no listener (port 1): the dry run goes by the configured driver.
      'driver.name': 'baresip',
      port: '1',
    })
    const dry = await runCli(['dial', 'sip:Alice@PBX.example.com', '--dry-run', '--json'], configDir)
    expect(dry.exitCode).toBe(0)
    expect(JSON.parse(dry.stdout)).toMatchObject({
      scheme: 'sip',
      number: 'sip:Alice@pbx.example.com',
      dialled: 'sip:Alice@pbx.example.com',
      rules: [],
      dryRun: true,
    })
    const human = await runCli(['dial', 'sip:Alice@PBX.example.com', '--dry-run'], configDir)
    expect(human.stdout).toBe(
      'Would dial sip:Alice@pbx.example.com\n  dialing rules do not apply to SIP addresses; a driver that speaks SIP (baresip) dials it as it is',
    )
    const blocked = await runCli(['dial', 'sip:bob@blocked.example', '--dry-run'], configDir)
    expect(blocked.exitCode).toBe(4)
    expect(blocked.stderr).toMatch(/sip:bob@blocked.example matches numbers.block entry "@blocked.example"/)
    await setConfig(configDir, {'numbers.allow': JSON.stringify(['+49', 'sip:alice@pbx.example.com'])})
    const allowed = await runCli(['dial', 'sip:alice@pbx.example.com', '--dry-run'], configDir)
    expect(allowed.exitCode).toBe(0)
    const notAllowed = await runCli(['dial', 'sip:bob@pbx.example.com', '--dry-run'], configDir)
    expect(notAllowed.exitCode).toBe(4)
    expect(notAllowed.stderr).toMatch(
      /sip:bob@pbx.example.com is not in numbers.allow; a SIP address is allowed only by its exact URI/,
    )
  })

  test('numbers.block +31900 refuses 0031900… and 0900… (with dialing.countryCode) by /make and by dial', async () => {
    const configDir = tempConfigDir()
    await setConfig(configDir, {'numbers.block': '+31900', 'dialing.countryCode': '31'})
    const listener = await startListenerProcess(configDir)
    try {
      for (const number of ['0031900123456', '0900123456', '+31 900 123456']) {
        const response = await fetch(`${listener.url}/make/${encodeURIComponent(number)}`, {method: 'POST'})
        expect(response.status).toBe(403)
      }

      const dialled = await runCli(['dial', 'tel:0031-900-123456', '--port', String(listener.port)], configDir)
      expect(dialled.exitCode).toBe(4)
      expect(dialled.stderr).toMatch(/matches numbers.block entry "\+31900"/)
    } finally {
      await listener.stop()
    }
  })
})

describe('callctl dial with no listener running', () => {
  test('starts a detached listener with the user config, waits until it answers (under 3 s) and dials', async () => {
    const configDir = tempConfigDir()
    const port = await closedPort()
    await setConfig(configDir, {port: String(port), 'driver.sim.answerAfterMs': '-1'})
    const started = performance.now()
    const result = await runCli(['dial', 'tel:+49-30-1234567'], configDir)
    const ms = performance.now() - started
    let status: Status | undefined
    try {
      expect(result).toMatchObject({exitCode: 0, stderr: ''})
      expect(result.stdout).toMatch(/^Started the listener \(callctl listen\)\nDialing \+49301234567 /)
      status = await statusOf(port)
      expect(status.calls.map((call) => call.number)).toEqual(['+49301234567'])
      // The process start, the listener's start and the call: the listener's part is bounded by 3 s.
      expect(ms).toBeLessThan(5000)
    } finally {
      if (status) process.kill(status.pid)
    }
  })

  test('a SIP address with a configured driver that cannot dial one: refused (exit 5, naming baresip), no listener started', async () => {
    const configDir = tempConfigDir()
    const port = await closedPort()
    await setConfig(configDir, {port: String(port)})
    const result = await runCli(['dial', 'sip:alice@pbx.example.com', '--json'], configDir)
    const running = await statusOf(port).catch(() => undefined)
    try {
      expect(result.exitCode).toBe(5)
      expect(JSON.parse(result.stdout).error).toMatchObject({
        code: 'ERR_NOT_SUPPORTED',
        message: expect.stringMatching(
          /^\[driver:sim\] this driver cannot dial SIP addresses .*; drivers that can: baresip/,
        ),
      })
      expect(running).toBeUndefined()
    } finally {
      if (running) process.kill(running.pid)
    }
  })

  test('three clicks at once with no listener: one listener starts, and all three calls are placed on it', async () => {
    const configDir = tempConfigDir()
    const port = await closedPort()
    await setConfig(configDir, {port: String(port), 'driver.sim.answerAfterMs': '-1'})
    const results = await Promise.all(
      ['020123451', 'tel:020123452', 'callto:020123453'].map(async (link) => runCli(['dial', link], configDir)),
    )
    let status: Status | undefined
    try {
      expect(results.map((result) => result.exitCode)).toEqual([0, 0, 0])
      status = await statusOf(port)
      expect(status.calls.map((call) => call.number).sort()).toEqual(['020123451', '020123452', '020123453'])
    } finally {
      if (status) process.kill(status.pid)
    }
  })

  test('argv: a failure with --notify is shown by notify-send (text as arguments) and logged', async () => {
    const configDir = tempConfigDir()
    const stub = argvRecorder(['notify-send'])
    const result = await runCli(['dial', '--notify', 'tel:+49301;$(touch /tmp/x)'], configDir, stub.env)
    expect(result.exitCode).toBe(4)
    const message = 'Cannot dial "tel:+49301;$(touch /tmp/x)": ";$(touch /tmp/x)" is not a tel: parameter (name=value)'
    expect(stub.calls()).toEqual([
      {name: 'notify-send', args: ['--app-name=callctl', '--', 'callctl: the call was not placed', message]},
    ])
    const log = readFileSync(path.join(configDir, 'logs', 'listener.jsonl'), 'utf8')
      .trim()
      .split('\n')
    expect(JSON.parse(log.at(-1)!)).toMatchObject({
      kind: 'dial',
      outcome: 'failed',
      link: 'tel:+49301;$(touch /tmp/x)',
      error: message,
      code: 'ERR_INVALID_LINK',
    })
  })

  test('argv: a listener that cannot start is a notification saying so, within the 3 s bound', async () => {
    const configDir = tempConfigDir()
    const stub = argvRecorder(['notify-send'])
    // A listener already holds this config folder: the one dial starts on another port exits at once (exit 6).
    const holder = await startListenerProcess(configDir)
    try {
      const port = String(await closedPort())
      const started = performance.now()
      const result = await runCli(['dial', '--notify', '020123456', '--port', port], configDir, stub.env)
      // The listener could not start: exit 6, as for `callctl listen` itself.
      expect(result.exitCode).toBe(6)
      expect(result.stderr).toMatch(/callctl listen exited at once \(exit code 6\); run it in a terminal to see why/)
      // Exit 6 (in use) may be another click's listener starting: dial waits out its bound for it, and no longer.
      expect(performance.now() - started).toBeLessThan(5000)
      expect(stub.calls()).toEqual([
        {
          name: 'notify-send',
          args: [
            '--app-name=callctl',
            '--',
            'callctl: the call was not placed',
            expect.stringMatching(/^callctl listen exited at once .*\nStart the listener yourself/),
          ],
        },
      ])
      expect((await statusOf(holder.port)).calls).toEqual([])
    } finally {
      await holder.stop()
    }
  })
})
