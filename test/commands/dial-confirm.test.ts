import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {runCli} from '../helpers/cli.js'
import {setConfig} from '../helpers/config.js'
import {type ListenerProcess, startListenerProcess} from '../helpers/listener-process.js'
import {tempConfigDir} from '../helpers/paths.js'
import {rawRequest} from '../helpers/raw-request.js'
import {argvRecorder} from '../helpers/recorder.js'
import {until} from '../helpers/wait.js'

/**
 * A program on PATH that records its argv (JSON lines), prints $STUB_STDERR and exits with $STUB_EXIT: zenity
 * answering yes or no, or failing.
 */
function stub(name: string): {bin: string; env: (exit: number) => Record<string, string>; calls: () => string[][]} {
  const dir = tempConfigDir()
  const bin = path.join(dir, 'bin')
  mkdirSync(bin)
  const record = path.join(dir, 'record.jsonl')
  // process.getBuiltinModule, not require: the stub has no extension, so a package.json with "type": "module" in a
  // folder above the temp folder (/tmp/package.json) would make it an ES module.
  writeFileSync(
    path.join(bin, name),
    `#!${process.execPath}\nprocess.getBuiltinModule('node:fs').appendFileSync(process.env.RECORD_FILE, JSON.stringify(process.argv.slice(2)) + '\\n')\nprocess.stderr.write(process.env.STUB_STDERR ?? '')\nprocess.exit(Number(process.env.STUB_EXIT ?? 0))\n`,
    {mode: 0o755},
  )
  return {
    bin,
    env: (exit) => ({PATH: `${bin}:${process.env.PATH}`, RECORD_FILE: record, STUB_EXIT: String(exit)}),
    calls: () => {
      try {
        return readFileSync(record, 'utf8')
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as string[])
      } catch {
        return []
      }
    },
  }
}

describe('handler.confirm: ask before a clicked link dials', () => {
  let configDir: string
  let listener: ListenerProcess
  const calls = async () =>
    ((await (await fetch(`${listener.url}/status`)).json()) as {calls: Array<{number: string}>}).calls

  beforeAll(async () => {
    configDir = tempConfigDir()
    await setConfig(configDir, {'handler.confirm': 'true', 'driver.sim.answerAfterMs': '-1'})
    listener = await startListenerProcess(configDir)
  })
  afterAll(async () => listener?.stop())
  afterEach(async () => {
    await fetch(`${listener.url}/end`, {method: 'POST'})
  })

  test('argv: zenity asks "Call …?" (no markup); yes dials, no dials nothing', async () => {
    const zenity = stub('zenity')
    const no = await runCli(['dial', 'tel:+49-30-1234567', '--port', String(listener.port)], configDir, zenity.env(1))
    expect(no).toMatchObject({exitCode: 0, stdout: 'Not dialled: +49301234567 was declined'})
    expect(await calls()).toEqual([])
    const yes = await runCli(['dial', 'tel:+49-30-1234567', '--port', String(listener.port)], configDir, zenity.env(0))
    expect(yes.stdout).toMatch(/^Dialing \+49301234567 /)
    expect((await calls()).map((call) => call.number)).toEqual(['+49301234567'])
    expect(zenity.calls()).toEqual([
      ['--question', '--no-markup', '--title=callctl', '--text=Call +49301234567?'],
      ['--question', '--no-markup', '--title=callctl', '--text=Call +49301234567?'],
    ])
  })

  test('argv: a native prompt that put no question (zenity without a display, kdialog killed) is no answer: the browser page asks instead', async () => {
    for (const [program, exit, stderr] of [
      ['zenity', 1, '(zenity:4242): Gtk-WARNING **: 12:00:00.000: cannot open display: :0\n'],
      ['kdialog', 134, 'qt.qpa.xcb: could not connect to display\n'],
    ] as const) {
      const prompt = stub(program)
      // The opener records into the prompt's file (one $RECORD_FILE): the prompt's argv first, then the page's URL.
      const opener = argvRecorder(['xdg-open'])
      const env = {
        ...prompt.env(exit),
        STUB_STDERR: stderr,
        PATH: `${prompt.bin}:${opener.bin}:${path.dirname(process.execPath)}`,
      }
      const result = await runCli(['dial', 'tel:0201234', '--port', String(listener.port), '--json'], configDir, env)
      const url = `http://127.0.0.1:${listener.port}/make/0201234`
      expect(JSON.parse(result.stdout)).toMatchObject({ok: true, confirmation: url})
      await until(() => prompt.calls().length === 2)
      expect(prompt.calls()[1]).toEqual({name: 'xdg-open', args: [url]})
      expect(await calls()).toEqual([])
    }
  })

  test('argv: with no native prompt, the listener asks in the browser: xdg-open gets /make/<number>, which is its confirmation page', async () => {
    const opener = stub('xdg-open')
    // PATH without zenity or kdialog: only the stub's folder and Node's.
    const env = {
      ...opener.env(0),
      PATH: `${path.dirname(opener.env(0).PATH.split(':')[0])}/bin:${path.dirname(process.execPath)}`,
    }
    const result = await runCli(
      ['dial', 'callto:+31201234567', '--port', String(listener.port), '--json'],
      configDir,
      env,
    )
    const url = `http://127.0.0.1:${listener.port}/make/%2B31201234567`
    expect(JSON.parse(result.stdout)).toMatchObject({ok: true, confirmation: url})
    // The browser is started detached: its argv arrives a moment after dial has answered.
    await until(() => opener.calls().length > 0)
    expect(opener.calls()).toEqual([[url]])
    expect(await calls()).toEqual([])
    // What the browser then shows: a link opened from another app gets the page, not a call.
    const page = await rawRequest(url, {
      headers: {
        'sec-fetch-mode': 'navigate',
        'sec-fetch-dest': 'document',
        'sec-fetch-site': 'none',
        accept: 'text/html',
      },
    })
    expect(page.status).toBe(200)
    expect(page.text).toContain('<title>Call +312 012 345 67?</title>')
    expect(await calls()).toEqual([])
  })

  test('argv: no native prompt and a recorded stand-in for xdg-open that exits 3: not dialled, exit 7, shown by a recorded notify-send and logged', async () => {
    const stubs = argvRecorder(['xdg-open', 'notify-send'])
    // PATH without zenity or kdialog: only the stand-ins and Node (which they run on).
    const env = {...stubs.env, PATH: `${stubs.bin}:${path.dirname(process.execPath)}`, RECORD_EXIT: '3'}
    const result = await runCli(['dial', 'tel:0201234', '--notify', '--port', String(listener.port)], configDir, env)
    const url = `http://127.0.0.1:${listener.port}/make/0201234`
    const message = `Not dialled: cannot ask whether to call 0201234. There is no native prompt (zenity, kdialog), and the browser did not open the confirmation page ${url}: xdg-open exited with code 3`
    const hint = 'Install zenity or kdialog so that callctl asks with a native prompt, or set up a browser for xdg-open'
    expect(result.exitCode).toBe(7)
    expect(result.stdout).not.toContain('Asking in the browser')
    expect(result.stderr).toContain(message)
    expect(stubs.calls()).toEqual([
      {name: 'xdg-open', args: [url]},
      {
        name: 'notify-send',
        args: ['--app-name=callctl', '--', 'callctl: the call was not placed', `${message}\n${hint}`],
      },
    ])
    const records = readFileSync(path.join(configDir, 'logs', 'listener.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as {kind?: string})
    expect(records.filter((record) => record.kind === 'dial')).toEqual([
      expect.objectContaining({
        kind: 'dial',
        outcome: 'failed',
        link: 'tel:0201234',
        error: message,
        code: 'ERR_OPEN',
      }),
    ])
    expect(await calls()).toEqual([])
  })
})
