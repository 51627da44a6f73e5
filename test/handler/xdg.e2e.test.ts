import {execa} from 'execa'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {runCli} from '../helpers/cli.js'
import {setConfig} from '../helpers/config.js'
import {describeWithXdg, desktopHome} from '../helpers/desktop.js'
import {startListenerProcess} from '../helpers/listener-process.js'
import {RUN_JS, tempConfigDir} from '../helpers/paths.js'
import {closedPort} from '../helpers/ports.js'
import {argvRecorder} from '../helpers/recorder.js'
import {until} from '../helpers/wait.js'

interface Driven {
  driver?: {name?: string}
}

interface Status {
  pid: number
  calls: Array<{number: string}>
}

/** xdg-open as a desktop runs it: DISPLAY set (it need not be a real X server; xdg-open only checks the variable). */
async function xdgOpen(link: string, env: Record<string, string>) {
  return execa('xdg-open', [link], {env: {...env, DISPLAY: ':99'}, reject: false, timeout: 15_000})
}

describeWithXdg('callctl handler on Linux with the real xdg-utils', () => {
  test('install writes the desktop entry and the defaults; status names callctl; uninstall removes exactly that', async () => {
    const configDir = tempConfigDir()
    const env = desktopHome()
    const install = await runCli(['handler', 'install'], configDir, env)
    const desktop = path.join(env.XDG_DATA_HOME, 'applications', 'callctl-dial.desktop')
    expect(install).toEqual({
      exitCode: 0,
      stderr: '',
      stdout: [
        `Wrote ${desktop}`,
        `Ran: update-desktop-database ${path.dirname(desktop)}`,
        'Ran: xdg-mime default callctl-dial.desktop x-scheme-handler/tel',
        'Ran: xdg-mime default callctl-dial.desktop x-scheme-handler/callto',
        'Ran: xdg-mime default callctl-dial.desktop x-scheme-handler/sip',
        'Links of tel:, callto:, sip: now run callctl dial (a desktop may ask once which app to use).',
      ].join('\n'),
    })
    expect(readFileSync(desktop, 'utf8')).toBe(
      [
        '[Desktop Entry]',
        'Type=Application',
        'Name=callctl',
        'Comment=Dial phone links (tel:, callto:, sip:) with callctl',
        `Exec=${process.execPath} ${RUN_JS} dial --notify --config-dir ${configDir} %u`,
        'Terminal=false',
        'NoDisplay=true',
        'MimeType=x-scheme-handler/tel;x-scheme-handler/callto;x-scheme-handler/sip;',
        '',
      ].join('\n'),
    )
    const mimeApps = path.join(env.XDG_CONFIG_HOME, 'mimeapps.list')
    // Another app's default beside callctl's must survive uninstall.
    const status = await runCli(['handler', 'status', '--json'], configDir, env)
    expect(JSON.parse(status.stdout)).toEqual({
      ok: true,
      platform: 'linux',
      installed: true,
      file: desktop,
      schemes: ['tel', 'callto', 'sip'].map((scheme) => ({scheme, handler: 'callctl-dial.desktop', callctl: true})),
      problems: [],
    })
    await execa('xdg-mime', ['default', 'firefox.desktop', 'x-scheme-handler/https'], {env})
    const uninstall = await runCli(['handler', 'uninstall'], configDir, env)
    expect(uninstall.stdout.split('\n')).toEqual([
      `Removed ${desktop}`,
      `Removed callctl's defaults from ${mimeApps}`,
      `Ran: update-desktop-database ${path.dirname(desktop)}`,
    ])
    expect(existsSync(desktop)).toBe(false)
    expect(readFileSync(mimeApps, 'utf8')).not.toMatch(/callctl/)
    expect(readFileSync(mimeApps, 'utf8')).toMatch(/x-scheme-handler\/https=firefox.desktop/)
    const after = await runCli(['handler', 'status'], configDir, env)
    expect(after.stdout).toMatch(/^Not installed: .*\ntel: not callctl \(no default\)/)
  })

  test('doctor says whether phone links reach callctl', async () => {
    const configDir = tempConfigDir()
    const env = desktopHome()
    const links = async () => {
      const result = await runCli(['doctor', '--json'], configDir, env)
      return (JSON.parse(result.stdout) as {checks: Array<{name: string}>}).checks.find(
        (check) => check.name === 'links',
      )
    }

    expect(await links()).toEqual({
      name: 'links',
      verdict: 'warn',
      message: 'callctl is not the handler of phone links',
      fix: 'callctl handler install (optional: click-to-dial)',
    })
    await runCli(['handler', 'install'], configDir, env)
    expect(await links()).toEqual({
      name: 'links',
      verdict: 'ok',
      message: 'tel:, callto:, sip: links open callctl dial',
    })
    // Another softphone takes sip: over.
    writeFileSync(
      path.join(env.XDG_DATA_HOME, 'applications', 'other.desktop'),
      '[Desktop Entry]\nType=Application\nName=Other\nExec=true %u\nMimeType=x-scheme-handler/sip;\n',
    )
    await execa('xdg-mime', ['default', 'other.desktop', 'x-scheme-handler/sip'], {env})
    expect(await links()).toMatchObject({
      verdict: 'warn',
      message: 'installed, but not the default for sip: other.desktop',
    })
  })

  test('--scheme tel registers only tel:', async () => {
    const env = desktopHome()
    const install = await runCli(['handler', 'install', '--scheme', 'tel', '--dry-run'], tempConfigDir(), env)
    expect(install.stdout).toMatch(/MimeType=x-scheme-handler\/tel;\n/)
    expect(install.stdout).not.toMatch(/callto/)
    expect(existsSync(path.join(env.XDG_DATA_HOME, 'applications', 'callctl-dial.desktop'))).toBe(false)
  })

  test('xdg-open tel:+49-30-1234567 places the call on the running listener', async () => {
    const configDir = tempConfigDir()
    const env = desktopHome()
    const listener = await startListenerProcess(configDir)
    try {
      await setConfig(configDir, {port: String(listener.port)})
      expect((await runCli(['handler', 'install'], configDir, env)).exitCode).toBe(0)
      const opened = await xdgOpen('tel:+49-30-1234567', env)
      expect(opened.exitCode).toBe(0)
      const status = (await (await fetch(`${listener.url}/status`)).json()) as Status
      expect(status.calls.map((call) => call.number)).toEqual(['+49301234567'])
    } finally {
      await listener.stop()
    }
  })

  test('xdg-open tel:… with no listener running starts one and places the call', async () => {
    const configDir = tempConfigDir()
    const env = desktopHome()
    const port = await closedPort()
    await setConfig(configDir, {port: String(port), 'driver.sim.answerAfterMs': '-1'})
    expect((await runCli(['handler', 'install'], configDir, env)).exitCode).toBe(0)
    let status: Status | undefined
    try {
      const opened = await xdgOpen('callto://+31201234567', env)
      expect(opened.exitCode).toBe(0)
      status = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as Status
      expect(status.calls.map((call) => call.number)).toEqual(['+31201234567'])
    } finally {
      if (status) process.kill(status.pid)
    }
  })

  test('argv: xdg-open of a hostile link dials nothing, and the user sees why (notify-send)', async () => {
    const configDir = tempConfigDir()
    const env = desktopHome()
    const listener = await startListenerProcess(configDir)
    const notify = argvRecorder(['notify-send'])
    try {
      await setConfig(configDir, {port: String(listener.port)})
      expect((await runCli(['handler', 'install'], configDir, env)).exitCode).toBe(0)
      const opened = await xdgOpen('tel:+4930`reboot`', {...env, ...notify.env})
      expect(opened.exitCode).not.toBe(0)
      const status = (await (await fetch(`${listener.url}/status`)).json()) as Status
      expect(status.calls).toEqual([])
      const [shown] = notify.calls()
      expect(shown.args).toEqual([
        '--app-name=callctl',
        '--',
        'callctl: the call was not placed',
        'Invalid number "+4930`reboot`": a number holds digits, a leading +, * and #; spaces, dashes, dots and parentheses are ignored; at most 32 characters',
      ])
    } finally {
      await listener.stop()
    }
  })

  test('argv: the uri driver handing tel: calls to the tel: handler, callctl itself, is one hand-off and a notification, not a loop; install refuses that setup', async () => {
    const configDir = tempConfigDir()
    const env = desktopHome()
    const notify = argvRecorder(['notify-send'])
    // The listener runs xdg-open for the uri driver as a desktop session would (DISPLAY set), with the recorder.
    const listener = await startListenerProcess(configDir, [], {...env, ...notify.env, DISPLAY: ':99'})
    try {
      await setConfig(configDir, {port: String(listener.port)})
      expect((await runCli(['handler', 'install'], configDir, env)).exitCode).toBe(0)
      // The driver is changed after the install (the install refuses it, below): the listener takes it live.
      await setConfig(configDir, {'driver.name': 'uri'})
      await until(async () => ((await (await fetch(`${listener.url}/status`)).json()) as Driven).driver?.name === 'uri')
      const made = await fetch(`${listener.url}/make/%2B4930123`, {method: 'POST'})
      expect(made.status).toBe(200)
      await until(async () => notify.calls().length > 0)
      expect(notify.calls()[0].args).toEqual([
        '--app-name=callctl',
        '--',
        'callctl: the call was not placed',
        "Not dialled: tel:+4930123 came back to callctl. The uri driver hands calls to the system's tel: handler, and that is callctl itself, so each call would open another\nMake your phone app the handler of tel: links again (callctl handler uninstall --scheme tel)",
      ])
      // Time for a loop to show: before, one make became 20 (the rate limit stopped it).
      await new Promise((resolve) => setTimeout(resolve, 2000))
      const outgoing = listener.lines.filter((line) => line.kind === 'event' && line.type === 'outgoing')
      expect(outgoing).toHaveLength(1)
      expect(notify.calls()).toHaveLength(1)
      const again = await runCli(['handler', 'install'], configDir, env)
      expect(again.exitCode).toBe(2)
      expect(again.stderr).toContain(
        'Cannot make callctl the handler of tel: links: the uri driver hands calls to the tel: handler (driver.uri.template "tel:{NUMBER}"), so each call would come back to callctl',
      )
      expect(again.stderr).toContain('callctl handler install --scheme callto --scheme sip')
    } finally {
      await listener.stop()
    }
  })
})
