import {execa} from 'execa'
import {chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {runCli} from '../helpers/cli.js'
import {setConfig} from '../helpers/config.js'
import {describeWithXdg, desktopHome} from '../helpers/desktop.js'
import {startListenerProcess} from '../helpers/listener-process.js'
import {tempConfigDir} from '../helpers/paths.js'

// The handler defects of the hostile test report on issue 16 (6, 7, 13, 14), with Debian's real xdg-utils.

interface Status {
  calls: Array<{number: string}>
}

const desktopFile = (env: Record<string, string>) =>
  path.join(env.XDG_DATA_HOME, 'applications', 'callctl-dial.desktop')

async function defaultFor(scheme: string, env: Record<string, string>): Promise<string> {
  return (await execa('xdg-mime', ['query', 'default', `x-scheme-handler/${scheme}`], {env})).stdout.trim()
}

async function linksCheck(configDir: string, env: Record<string, string>) {
  const result = await runCli(['doctor', '--json'], configDir, env)
  return (JSON.parse(result.stdout) as {checks: Array<{name: string}>}).checks.find((check) => check.name === 'links')
}

describeWithXdg('callctl handler: what the hostile tester broke', () => {
  test('defect 6: a config folder with a space, %, $ or a quote is refused at install, with what to change', async () => {
    for (const name of ['c fg', 'p%ct', 'd$x', 'q"x']) {
      const configDir = path.join(tempConfigDir(), name)
      mkdirSync(configDir)
      const env = desktopHome()
      const result = await runCli(['handler', 'install'], configDir, env)
      expect(result.exitCode).not.toBe(0)
      expect(result.stderr).toContain(
        'Cannot install the link handler: the path of the config folder (CALLCTL_CONFIG_DIR)',
      )
      expect(result.stderr).toContain('ERR_HANDLER_PATH')
      expect(result.stderr).toMatch(/Use a config folder whose path has none/)
      expect(existsSync(desktopFile(env))).toBe(false)
    }
  })

  test('defects 6 and 13: status and doctor flag an entry that xdg-open would split, or whose program is gone', async () => {
    const configDir = tempConfigDir()
    const env = desktopHome()
    expect((await runCli(['handler', 'install'], configDir, env)).exitCode).toBe(0)
    expect(await linksCheck(configDir, env)).toMatchObject({verdict: 'ok'})
    const file = desktopFile(env)
    const entry = readFileSync(file, 'utf8')
    // An entry from an older callctl, which quoted a config folder with a space.
    writeFileSync(file, entry.replace(/--config-dir \S+/, '--config-dir "/tmp/c fg"'))
    const quoted = await runCli(['handler', 'status'], configDir, env)
    expect(quoted.stderr).toMatch(/runs a command with quoted words, which xdg-open without a desktop splits/)
    expect(await linksCheck(configDir, env)).toMatchObject({
      verdict: 'warn',
      message: expect.stringMatching(/quoted words/),
    })
    // bin/run.js moved away (an uninstalled or moved callctl).
    writeFileSync(file, entry.replace(/ \S+run\.js /, ' /nowhere/bin/run.js '))
    const gone = await runCli(['handler', 'status', '--json'], configDir, env)
    expect(JSON.parse(gone.stdout).problems).toEqual([
      `${file} runs callctl's bin/run.js /nowhere/bin/run.js, which does not exist: run \`callctl handler install\` again`,
    ])
    expect(await linksCheck(configDir, env)).toMatchObject({
      verdict: 'warn',
      message: expect.stringMatching(/does not exist/),
    })
  })

  test('defect 7: uninstall --scheme tel leaves callto: and sip: working; install --scheme tel adds tel: back', async () => {
    const configDir = tempConfigDir()
    const env = desktopHome()
    const listener = await startListenerProcess(configDir)
    try {
      await setConfig(configDir, {port: String(listener.port)})
      expect((await runCli(['handler', 'install'], configDir, env)).exitCode).toBe(0)
      const uninstall = await runCli(['handler', 'uninstall', '--scheme', 'tel'], configDir, env)
      expect(uninstall.exitCode).toBe(0)
      expect(readFileSync(desktopFile(env), 'utf8')).toMatch(
        /^MimeType=x-scheme-handler\/callto;x-scheme-handler\/sip;$/m,
      )
      expect(await defaultFor('tel', env)).toBe('')
      expect(await defaultFor('callto', env)).toBe('callctl-dial.desktop')
      expect(await defaultFor('sip', env)).toBe('callctl-dial.desktop')
      const opened = await execa('xdg-open', ['callto:+31201234567'], {env: {...env, DISPLAY: ':99'}, reject: false})
      expect(opened.exitCode).toBe(0)
      const status = (await (await fetch(`${listener.url}/status`)).json()) as Status
      expect(status.calls.map((call) => call.number)).toEqual(['+31201234567'])

      expect((await runCli(['handler', 'install', '--scheme', 'tel'], configDir, env)).exitCode).toBe(0)
      expect(readFileSync(desktopFile(env), 'utf8')).toMatch(
        /^MimeType=x-scheme-handler\/tel;x-scheme-handler\/callto;x-scheme-handler\/sip;$/m,
      )
      for (const scheme of ['tel', 'callto', 'sip']) expect(await defaultFor(scheme, env)).toBe('callctl-dial.desktop')
    } finally {
      await listener.stop()
    }
  })

  test('defect 14: uninstall keeps mimeapps.list private (0600) and reads lines with spaces around = and ;', async () => {
    const configDir = tempConfigDir()
    const env = desktopHome()
    expect((await runCli(['handler', 'install'], configDir, env)).exitCode).toBe(0)
    const mimeApps = path.join(env.XDG_CONFIG_HOME, 'mimeapps.list')
    const text = readFileSync(mimeApps, 'utf8')
    writeFileSync(
      mimeApps,
      `${text.replace('x-scheme-handler/tel=callctl-dial.desktop', 'x-scheme-handler/tel = other.desktop ; callctl-dial.desktop')}x-scheme-handler/mailto = mail.desktop\n`,
    )
    chmodSync(mimeApps, 0o600)
    expect((await runCli(['handler', 'uninstall'], configDir, env)).exitCode).toBe(0)
    expect(statSync(mimeApps).mode & 0o777).toBe(0o600)
    const after = readFileSync(mimeApps, 'utf8')
    expect(after).not.toContain('callctl')
    expect(after).toContain('x-scheme-handler/tel=other.desktop;\n')
    expect(after).toContain('x-scheme-handler/mailto = mail.desktop\n')
  })
})
