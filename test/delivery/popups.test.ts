import {Config} from '@oclif/core'
import {existsSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {runCli} from '../helpers/cli.js'
import {setConfig} from '../helpers/config.js'
import {startListenerProcess} from '../helpers/listener-process.js'
import {ROOT, tempConfigDir} from '../helpers/paths.js'
import {argvRecorder} from '../helpers/recorder.js'
import {urlOpener} from '../../src/os/launch.js'

async function waitFor<T>(read: () => T[], count: number, timeoutMs = 5000): Promise<T[]> {
  const deadline = Date.now() + timeoutMs
  while (read().length < count) {
    if (Date.now() > deadline) throw new Error(`expected ${count}, got ${JSON.stringify(read())}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }

  return read()
}

describe('popups (real listener, real recording executables on PATH)', () => {
  test('hostile caller names reach the app as one literal argument and run nothing else', async () => {
    const recorder = argvRecorder(['crm-app', 'xdg-open'])
    const canary = path.join(tmpdir(), `callctl-pwned-${process.pid}`)
    const configDir = tempConfigDir()
    await setConfig(configDir, {
      popups: JSON.stringify([{on: 'ringing', app: 'crm-app --caller {CALLERNAME} "{CALLERNUM}"'}]),
    })
    const listener = await startListenerProcess(configDir, [], recorder.env)
    const hostile = [
      '"; rm -rf ~; "',
      `$(touch ${canary})`,
      '& calc.exe',
      '--help',
      '`touch ' + canary + '`',
      "'; touch " + canary + "; '",
    ]
    try {
      for (const name of hostile) {
        expect(
          (
            await runCli(
              ['notify', 'incoming', '0612345678', `--name=${name}`, '--port', String(listener.port)],
              configDir,
            )
          ).exitCode,
        ).toBe(0)
      }

      const calls = await waitFor(() => recorder.calls(), hostile.length)
      expect(calls).toHaveLength(hostile.length)
      expect(calls.map((call) => call.name)).toEqual(hostile.map(() => 'crm-app'))
      expect(calls.map((call) => call.args).sort()).toEqual(
        hostile.map((name) => ['--caller', name, '0612345678']).sort(),
      )
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect(recorder.calls()).toHaveLength(hostile.length)
      expect(existsSync(canary)).toBe(false)
      expect(listener.lines.filter((line) => line.kind === 'popup')).toHaveLength(hostile.length)
    } finally {
      await listener.stop()
    }
  })

  test('triggers: ringing (incoming), dialing (outgoing), answer (both), direction filter, internal numbers skipped; url via xdg-open', async () => {
    const recorder = argvRecorder(['xdg-open'])
    const configDir = tempConfigDir()
    await setConfig(configDir, {internalNumbers: '^[0-9]{2,4}$', 'sim.answerAfterMs': '0'})
    await setConfig(configDir, {
      popups: JSON.stringify([
        {on: 'ringing', url: 'https://crm.test/ring?n={CALLERNUM}&name={CALLERNAME}'},
        {on: 'dialing', url: 'https://crm.test/dial?n={CALLERNUM}'},
        {on: 'answer', direction: 'outgoing', url: 'https://crm.test/answered-out?n={CALLERNUM}'},
        {on: 'click', url: 'https://crm.test/click?n={CALLERNUM}'},
      ]),
    })
    const listener = await startListenerProcess(configDir, [], recorder.env)
    const port = String(listener.port)
    try {
      await runCli(['notify', 'incoming', '204', '--port', port], configDir)
      await runCli(['notify', 'incoming', '0612345678', '--name', 'Jo & Co', '--port', port], configDir)
      await runCli(['answer', '--port', port], configDir)
      await runCli(['make', '020123456', '--port', port], configDir)
      const calls = await waitFor(() => recorder.calls(), 3)
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(
        recorder
          .calls()
          .map((call) => call.args[0])
          .sort(),
      ).toEqual([
        'https://crm.test/answered-out?n=020123456',
        'https://crm.test/dial?n=020123456',
        'https://crm.test/ring?n=0612345678&name=Jo%20%26%20Co',
      ])
      expect(calls.every((call) => call.name === 'xdg-open' && call.args.length === 1)).toBe(true)
      expect(
        listener.lines.some((line) => line.kind === 'popup-link' && line.url === 'https://crm.test/click?n=020123456'),
      ).toBe(true)

      const popup = await runCli(['popup', '--port', port], configDir)
      expect(popup.exitCode).toBe(0)
      expect(popup.stdout).toBe('Opened popups[3]: xdg-open https://crm.test/click?n=020123456')
      await waitFor(() => recorder.calls(), 4)
    } finally {
      await listener.stop()
    }
  })

  test('macOS and Windows openers (mocked platform: exact argv, no shell)', () => {
    expect(urlOpener('https://crm.test/?a=1&b=2', 'darwin')).toEqual(['open', ['https://crm.test/?a=1&b=2']])
    expect(urlOpener('https://crm.test/?a=1&b=2', 'win32')).toEqual([
      'rundll32.exe',
      ['url.dll,FileProtocolHandler', 'https://crm.test/?a=1&b=2'],
    ])
    expect(urlOpener('https://crm.test/', 'linux')).toEqual(['xdg-open', ['https://crm.test/']])
  })

  test('config set refuses a popup without url or app, and unknown variables, naming them', async () => {
    const configDir = tempConfigDir()
    const none = await runCli(['config', 'set', 'popups', '[{"on": "ringing"}]'], configDir)
    expect(none.exitCode).toBe(2)
    expect(none.stderr).toContain('popups[0] needs either "url" or "app"')
    const unknown = await runCli(
      ['config', 'set', 'callbacks', '[{"url": "https://crm.test/?n={CALLER}", "events": ["new"]}]'],
      configDir,
    )
    expect(unknown.exitCode).toBe(2)
    expect(unknown.stderr).toContain('Unknown variable {CALLER} in callbacks[0].url')
    const enreach = await runCli(['config', 'set', 'notifications.end', 'https://crm.test/?n=$caller_id'], configDir)
    expect(enreach.stderr).toContain('Unknown variable $caller_id in notifications.end')
  })

  test('a call value an interpreter or wrapper could run (code, program word, wrappers, any code option) is refused by config set and listen', async () => {
    const configDir = tempConfigDir()
    const refused = [
      'sh -c "echo {CALLERNAME} >> /tmp/calls.log"',
      '/usr/bin/env LANG=C bash -lc "notify-send $display_remote"',
      'osascript -e "display notification \\"{CALLERNUM}\\""',
      'cmd.exe /c start crm.exe {CALLERNUM}',
      'pwsh -NoProfile -Command Show-Caller {CALLERNAME}',
      // The hostile tester's forms that got past a list of code options.
      'sh -c -- "echo {CALLERNAME} >> out"',
      'sh -cx "echo {CALLERNAME}"',
      'env -S "sh -c \\"echo {CALLERNAME}\\""',
      'perl -le {CALLERNAME}',
      'node -p {CALLERNAME}',
      'ruby -le "puts {CALLERNAME}"',
      'busybox sh -c "echo {CALLERNAME}"',
      'nice sh -c {CALLERNAME}',
      'timeout 5 sh -c "echo {CALLERNAME}"',
      'awk "BEGIN{system({CALLERNAME})}"',
      'xterm -e {CALLERNAME}',
      'powershell.exe "Write-Host {CALLERNAME}"',
      'node --eval={CALLERNAME}',
      'python3 {CALLERNAME}',
      '{CALLERNAME} --x',
      '"C:\\Tools\\{CALLERNUM}.exe" x',
    ]
    const setPopup = (app: string) => ['config', 'set', 'popups', JSON.stringify([{on: 'ringing', app}])]
    // What a user sees, through the real process, for the first value; the rule itself for each of the others, in
    // this process (a config set process per value cost ~0.5 s of CPU each and, on a loaded machine, the timeout).
    const first = await runCli(setPopup(refused[0]), configDir)
    expect([refused[0], first.exitCode]).toEqual([refused[0], 2])
    expect(first.stderr).toContain('would run as commands')
    expect(first.stderr).toContain('Pass each value as a whole argument of its own after the code')
    // Through oclif's Config, not @oclif/test's runCommand: that one joins the argv and splits it again at spaces.
    const oclif = await Config.load(ROOT)
    const inProcess = async (app: string): Promise<{error?: Error & {oclif?: {exit?: number}}}> => {
      const before = process.env.CALLCTL_CONFIG_DIR
      process.env.CALLCTL_CONFIG_DIR = configDir
      try {
        await oclif.runCommand('config:set', setPopup(app).slice(2))
        return {}
      } catch (error) {
        return {error: error as Error}
      } finally {
        if (before === undefined) delete process.env.CALLCTL_CONFIG_DIR
        else process.env.CALLCTL_CONFIG_DIR = before
      }
    }

    for (const app of refused.slice(1)) {
      const {error} = await inProcess(app)
      expect([app, error?.oclif?.exit]).toEqual([app, 2])
      expect(error?.message).toContain('would run as commands')
      expect((error as {suggestions?: string[]} | undefined)?.suggestions?.join('\n')).toContain(
        'Pass each value as a whole argument of its own after the code',
      )
    }

    // The value as an argument of its own, after the code, which reads it as data: allowed (the README's forms).
    const allowed = [
      'sh -c "echo \\"$1\\" >> calls.log" sh {CALLERNAME}',
      'timeout 5 sh -c "echo \\"$1\\"" sh {CALLERNAME}',
      'python3 /opt/crm/show.py {CALLERNUM} {CALLERNAME}',
      'crm-app --name={CALLERNAME} -- {CALLERNUM}',
    ]
    const safe = await runCli(setPopup(allowed[0]), configDir)
    expect([allowed[0], safe.exitCode]).toEqual([allowed[0], 0])
    for (const app of allowed.slice(1)) {
      const {error} = await inProcess(app)
      expect([app, error?.message]).toEqual([app, undefined])
    }

    const {writeFileSync} = await import('node:fs')
    writeFileSync(
      path.join(configDir, 'config.json'),
      JSON.stringify({popups: [{on: 'ringing', app: 'sh -c -- "echo {CALLERNAME}"'}]}),
    )
    const listen = await runCli(['listen', '--port', '0'], configDir)
    expect(listen.exitCode).toBe(2)
    expect(listen.stderr).toContain('popups[0].app: "echo {CALLERNAME}" mixes a caller\'s value with other text')
  })

  test('the listener refuses to start with an unknown variable in a hand-edited config', async () => {
    const configDir = tempConfigDir()
    const {writeFileSync} = await import('node:fs')
    writeFileSync(
      path.join(configDir, 'config.json'),
      JSON.stringify({popups: [{on: 'click', url: 'https://crm.test/{NUMBER}'}]}),
    )
    const result = await runCli(['listen', '--port', '0'], configDir)
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain('Unknown variable {NUMBER} in popups[0].url')
  })
})

describe('a caller name that starts with "-" and popup apps', () => {
  test('doctor warns when an app argument starts with a variable before any --; after -- the name is a plain argument (real listener)', async () => {
    const configDir = tempConfigDir()
    const env = {HOME: configDir, XDG_CONFIG_HOME: path.join(configDir, 'xdg')}
    const doctorPopups = async () =>
      (
        JSON.parse((await runCli(['doctor', '--json'], configDir, env)).stdout) as {
          checks: Array<{name: string; verdict: string; message: string; fix?: string}>
        }
      ).checks.filter((check) => check.name === 'popups')
    await setConfig(configDir, {
      popups: JSON.stringify([
        {on: 'ringing', app: 'crm-app --caller {CALLERNAME} {CALLTYPE}'},
        {on: 'answer', app: 'crm-app "{CALLERNAME:2} x" --at={TIMESTAMP} {CALLERNUM}'},
      ]),
    })
    expect(await doctorPopups()).toEqual([
      {
        name: 'popups',
        verdict: 'warn',
        message:
          'popups[0].app argument 2 ("{CALLERNAME}") starts with a caller\'s value: a name such as "--help" or "-e" would be an option of "crm-app"',
        fix: 'Put -- before it if the app takes it ("app": "crm-app -- {CALLERNAME}"), or join it to its option ("--name={CALLERNAME}")',
      },
      expect.objectContaining({message: expect.stringContaining('popups[1].app argument 1 ("{CALLERNAME:2} x")')}),
      expect.objectContaining({message: expect.stringContaining('popups[1].app argument 3 ("{CALLERNUM}")')}),
    ])

    // The README's forms: joined to its option, or after --.
    await setConfig(configDir, {
      popups: JSON.stringify([{on: 'ringing', app: 'crm-app --caller={CALLERNAME} {CALLTYPE} -- {CALLERNAME}'}]),
    })
    expect(await doctorPopups()).toEqual([])
    const recorder = argvRecorder(['crm-app'])
    const listener = await startListenerProcess(configDir, [], recorder.env)
    try {
      await runCli(
        ['notify', 'incoming', '0612345678', '--name=--config=/tmp/evil', '--port', String(listener.port)],
        configDir,
      )
      const [call] = await waitFor(() => recorder.calls(), 1)
      expect(call.args).toEqual(['--caller=--config=/tmp/evil', 'incoming', '--', '--config=/tmp/evil'])
    } finally {
      await listener.stop()
    }
  })
})
