import {symlinkSync} from 'node:fs'
import {createServer} from 'node:net'
import path from 'node:path'

import {
  appleScriptString,
  applescriptDriver,
  createAppleScriptDriver,
  renderAppleScript,
} from '../../src/drivers/applescript.js'
import {commandDriver, createCommandDriver} from '../../src/drivers/command.js'
import {createUriDriver, uriDriver} from '../../src/drivers/uri.js'
import type {Argv} from '../../src/os/launch.js'
import {runCli} from '../helpers/cli.js'
import {setConfig} from '../helpers/config.js'
import {startListenerProcess} from '../helpers/listener-process.js'
import {ROOT, tempConfigDir} from '../helpers/paths.js'
import {argvRecorder} from '../helpers/recorder.js'
import {settingsOf, testDriverContract} from './contract.js'

const recorder = argvRecorder(['softphone'])
// In-process drivers start the recorder with this process's environment.
process.env.RECORD_FILE = recorder.env.RECORD_FILE

testDriverContract('command', async () => ({
  module: commandDriver,
  settings: {
    make: [path.join(recorder.bin, 'softphone'), 'dial', '{NUMBER}'],
    end: [path.join(recorder.bin, 'softphone'), 'hangup', '{CALLID}'],
    hooks: false,
  },
}))

const opened: Argv[] = []
testDriverContract('uri', async () => ({
  module: uriDriver,
  factory: (context) => createUriDriver(context, async (argv) => void opened.push(argv)),
}))
testDriverContract('applescript', async () => ({
  module: applescriptDriver,
  factory: (context) => createAppleScriptDriver(context, 'darwin', async () => ''),
  settings: {make: 'tell application "Phone" to dial {NUMBER}', end: 'tell application "Phone" to hang up'},
}))

describe('command driver', () => {
  const previousPath = process.env.PATH
  beforeAll(() => {
    process.env.PATH = recorder.env.PATH
  })
  afterAll(() => {
    process.env.PATH = previousPath
  })

  test('runs the argv template without a shell: each placeholder is one argument (real executable)', async () => {
    const {CallEngine} = await import('../../src/engine/engine.js')
    const {reporterFor} = await import('../../src/engine/control.js')
    const engine = new CallEngine()
    const driver = createCommandDriver({
      reporter: reporterFor(engine),
      settings: settingsOf(commandDriver, {make: ['softphone', '--dial={NUMBER}', 'x {NUMBER} y'], hooks: false}),
      log: () => {},
    })
    const before = recorder.calls().length
    await driver.make('+31#*1')
    expect(recorder.calls().slice(before)).toEqual([{name: 'softphone', args: ['--dial=+31#*1', 'x +31#*1 y']}])
    expect([...driver.capabilities]).toEqual(['make'])
  })

  test('a failing command is a driver error with its stderr', async () => {
    const {CallEngine} = await import('../../src/engine/engine.js')
    const {reporterFor} = await import('../../src/engine/control.js')
    const driver = createCommandDriver({
      reporter: reporterFor(new CallEngine()),
      settings: settingsOf(commandDriver, {make: [path.join(ROOT, 'test/fixtures/fake-softphone.cjs'), '/fail']}),
      log: () => {},
    })
    await expect(driver.make('1')).rejects.toThrow(
      /\[driver:command\] make command .*fake-softphone\.cjs exited with 3: no such account/,
    )
  })

  test('an unknown placeholder is refused at start', () => {
    expect(() =>
      createCommandDriver({
        reporter: {} as never,
        settings: settingsOf(commandDriver, {make: ['x', '{NUMMER}']}),
        log: () => {},
      }),
    ).toThrow('Unknown placeholder {NUMMER} in driver.command.make[1]')
  })

  test('end to end: MicroSIP-style commands, the softphone reports back with callctl notify (real listener, real executable)', async () => {
    const bin = path.dirname(recorder.env.RECORD_FILE)
    symlinkSync(path.join(ROOT, 'test/fixtures/fake-softphone.cjs'), path.join(bin, 'microsip'))
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const {port} = server.address() as {port: number}
        server.close(() => resolve(port))
      })
    })
    const configDir = tempConfigDir()
    await setConfig(configDir, {
      'driver.command.make': '["microsip", "{NUMBER}"]',
      'driver.command.answer': '["microsip", "/answer"]',
      'driver.command.end': '["microsip", "/hangupall"]',
    })
    const listener = await startListenerProcess(configDir, ['--driver', 'command', '--port', String(port)], {
      ...recorder.env,
      FAKE_PHONE_LISTENER_PORT: String(port),
    })
    const cli = (...args: string[]) => runCli([...args, '--port', String(port)], configDir)
    try {
      const before = recorder.calls().length
      expect((await cli('make', '020 123 456')).stdout).toMatch(/^Dialing 020123456 \(call .+, outgoing dialing\)$/)
      await cli('end')
      // An incoming call reported by the softphone's ring hook, answered from the CLI.
      await cli('notify', 'incoming', '0612345678', '--name', 'Alice')
      expect((await cli('answer')).exitCode).toBe(0)
      expect(
        recorder
          .calls()
          .slice(before)
          .map((call) => call.args),
      ).toEqual([['020123456'], ['/hangupall'], ['/answer']])
      const types = listener.lines.filter((line) => line.kind === 'event').map((line) => line.type)
      expect(types).toEqual(['outgoing', 'end', 'incoming', 'active'])
    } finally {
      await listener.stop()
    }
  })
})

describe('uri driver', () => {
  test('opens tel: through the OS handler (real recording xdg-open on PATH), then hands the call off', async () => {
    const {CallEngine} = await import('../../src/engine/engine.js')
    const {reporterFor} = await import('../../src/engine/control.js')
    const xdg = argvRecorder(['xdg-open'])
    const previous = {PATH: process.env.PATH, RECORD_FILE: process.env.RECORD_FILE}
    Object.assign(process.env, xdg.env)
    try {
      const engine = new CallEngine()
      const driver = createUriDriver({
        reporter: reporterFor(engine),
        settings: settingsOf(uriDriver, {template: 'tel:{NUMBER}'}),
        log: () => {},
      })
      const call = await driver.make('+31201234567#')
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(xdg.calls()).toEqual([{name: 'xdg-open', args: ['tel:+31201234567%23']}])
      expect(call).toMatchObject({state: 'ended', endReason: 'handed off to the tel: handler'})
      await expect(driver.answer(call)).rejects.toMatchObject({
        status: 501,
        message: '[driver:uri] cannot answer calls: the tel: handler owns the call once it is handed over',
      })
    } finally {
      Object.assign(process.env, previous)
    }
  })
})

describe('applescript driver', () => {
  test('numbers and names become escaped AppleScript string literals (generated script text)', () => {
    expect(appleScriptString('say "hi" \\ bye')).toBe('"say \\"hi\\" \\\\ bye"')
    const script = renderAppleScript('tell application "Phone" to dial {NUMBER} named {NAME}', {
      number: '+3120',
      name: '"\nend tell\ndo shell script "rm -rf ~"',
      id: 'c1',
    })
    expect(script).toBe('tell application "Phone" to dial "+3120" named "\\" end tell do shell script \\"rm -rf ~\\""')
  })

  test('runs the rendered script (run-applescript mocked: exact script text)', async () => {
    const {CallEngine} = await import('../../src/engine/engine.js')
    const {reporterFor} = await import('../../src/engine/control.js')
    const scripts: string[] = []
    const driver = createAppleScriptDriver(
      {
        reporter: reporterFor(new CallEngine()),
        settings: settingsOf(applescriptDriver, {make: 'tell application "Phone" to dial {NUMBER}'}),
        log: () => {},
      },
      'darwin',
      async (script) => scripts.push(script),
    )
    await driver.init?.()
    await driver.make('020123456')
    expect(scripts).toEqual(['tell application "Phone" to dial "020123456"'])
  })

  test('refuses to start on other systems, saying why', async () => {
    const driver = createAppleScriptDriver(
      {reporter: {} as never, settings: settingsOf(applescriptDriver, {}), log: () => {}},
      'linux',
    )
    await expect(driver.init?.()).rejects.toThrow(
      '[driver:applescript] AppleScript runs only on macOS, and this is linux',
    )
  })

  test('the listener refuses to start with it here (real process)', async () => {
    if (process.platform === 'darwin') return
    const result = await runCli(['listen', '--driver', 'applescript', '--port', '0'], tempConfigDir())
    expect(result.exitCode).toBe(5)
    expect(result.stderr).toContain('AppleScript runs only on macOS')
  })
})
