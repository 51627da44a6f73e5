import {execa} from 'execa'
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {setConfig} from '../helpers/config.js'
import {useListener} from '../helpers/listener-process.js'
import {until} from '../helpers/wait.js'
import {ROOT} from '../helpers/paths.js'

const has = (file: string) =>
  ['/usr/bin', '/usr/local/bin', '/opt/homebrew/bin', 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0'].some((dir) =>
    existsSync(path.join(dir, file)),
  )
const osascript = process.platform === 'darwin' && has('osascript')
const pwsh = has('pwsh') || has('pwsh.exe') || has('powershell.exe')

describe('wrappers against a real listener', () => {
  const token = 'wrapper-e2e-token-0123456789'
  const running = useListener({'sim.answerAfterMs': '-1', 'security.token': token})

  test('the curl request the AppleScript library builds works: POST, %2B for +, the Bearer token (curl run with the same arguments)', async () => {
    const source = readFileSync(path.join(ROOT, 'applescript/CallControl.applescript'), 'utf8')
    expect(source).toContain(`"curl -sS --max-time " & requestTimeout & " -w '\\\\n%{http_code}' -X " & httpMethod`)
    const {stdout} = await execa('curl', [
      '-sS',
      '--max-time',
      '5',
      '-w',
      '\\n%{http_code}',
      '-X',
      'POST',
      '-H',
      `Authorization: Bearer ${token}`,
      `${running.listener.url}/make/%2B31%2020%20123`,
    ])
    const lines = stdout.split('\n')
    expect(lines.at(-1)).toBe('200')
    expect(JSON.parse(lines.slice(0, -1).join('\n')).call.number).toBe('+3120123')
    await fetch(`${running.listener.url}/end`, {headers: {authorization: `Bearer ${token}`}})
  })

  const withOsascript = osascript ? test : test.skip
  if (!osascript)
    process.stderr.write(
      'Skipping the AppleScript wrappers run: osascript exists only on macOS (the GitHub Actions macos job runs it)\n',
    )
  /**
   * The wrappers read the listener's port, token and command segments from callctl's config, as the CLI does: the
   * config of this listener says port N, the token, and `commands.make` renamed; no script is edited.
   */
  async function configureForWrappers(): Promise<Record<string, string>> {
    await setConfig(running.configDir, {port: String(running.listener.port), 'commands.make': 'dial-out'})
    await until(async () => {
      const index = (await (await fetch(`${running.listener.url}/`)).json()) as {routes: string[]}
      return index.routes.includes('/dial-out/<number>')
    })
    return {CALLCTL_CONFIG_DIR: running.configDir}
  }

  withOsascript(
    'osascript make-call.applescript (a pasted en dash, UTF-8 encoded) / end-call.applescript, with port, token and /make segment from the config (macOS)',
    async () => {
      const env = await configureForWrappers()
      const made = await execa('osascript', [path.join(ROOT, 'applescript/make-call.applescript'), '+31 20\u2013123'], {
        env,
      })
      expect(JSON.parse(made.stdout).call.number).toBe('+3120123')
      const ended = await execa('osascript', [path.join(ROOT, 'applescript/end-call.applescript')], {env})
      expect(JSON.parse(ended.stdout).call.state).toBe('ended')
    },
  )

  const withPwsh = pwsh ? test : test.skip
  if (!pwsh)
    process.stderr.write(
      'Skipping the PowerShell wrappers run: no pwsh/powershell here (the GitHub Actions windows job runs it)\n',
    )
  withPwsh('make-call.ps1 / Stop-Call (PowerShell), with port, token and /make segment from the config', async () => {
    const shell = has('pwsh') || has('pwsh.exe') ? 'pwsh' : 'powershell.exe'
    const env = await configureForWrappers()
    const made = await execa(
      shell,
      ['-NoProfile', '-File', path.join(ROOT, 'scripts/make-call.ps1'), '+31 20\u2013123'],
      {
        env,
      },
    )
    expect(made.stdout).toContain('+3120123')
    const module = path.join(ROOT, 'scripts/CallControl.psd1')
    const ended = await execa(shell, [
      '-NoProfile',
      '-Command',
      `Import-Module '${module}'; (Stop-Call -Port ${running.listener.port} -Token '${token}').state`,
    ])
    expect(ended.stdout.trim()).toBe('ended')
    const down = await execa(shell, ['-NoProfile', '-Command', `Import-Module '${module}'; Start-Call 1 -Port 1`], {
      reject: false,
    })
    expect(down.stderr).toContain('callctl is not running on port 1')
  })
})
