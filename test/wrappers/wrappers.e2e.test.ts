import {execa} from 'execa'
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {useListener} from '../helpers/listener-process.js'
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
  withOsascript(
    'osascript make-call.applescript (a pasted en dash, UTF-8 encoded) / end-call.applescript (macOS)',
    async () => {
      const library = path.join(ROOT, 'applescript/CallControl.applescript')
      const original = readFileSync(library, 'utf8')
      const {writeFileSync} = await import('node:fs')
      writeFileSync(
        library,
        original
          .replace('property listenerPort : 5678', `property listenerPort : ${running.listener.port}`)
          .replace('property listenerToken : ""', `property listenerToken : "${token}"`),
      )
      try {
        const made = await execa('osascript', [path.join(ROOT, 'applescript/make-call.applescript'), '+31 20\u2013123'])
        expect(JSON.parse(made.stdout).call.number).toBe('+3120123')
        const ended = await execa('osascript', [path.join(ROOT, 'applescript/end-call.applescript')])
        expect(JSON.parse(ended.stdout).call.state).toBe('ended')
      } finally {
        writeFileSync(library, original)
      }
    },
  )

  const withPwsh = pwsh ? test : test.skip
  if (!pwsh)
    process.stderr.write(
      'Skipping the PowerShell wrappers run: no pwsh/powershell here (the GitHub Actions windows job runs it)\n',
    )
  withPwsh('make-call.ps1 / Stop-Call (PowerShell)', async () => {
    const shell = has('pwsh') || has('pwsh.exe') ? 'pwsh' : 'powershell.exe'
    const made = await execa(shell, [
      '-NoProfile',
      '-File',
      path.join(ROOT, 'scripts/make-call.ps1'),
      '+31 20\u2013123',
      '-Port',
      String(running.listener.port),
      '-Token',
      token,
    ])
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
