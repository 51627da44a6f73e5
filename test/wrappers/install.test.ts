import {existsSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {installPlan} from '../../src/wrappers/install.js'
import {runCli} from '../helpers/cli.js'
import {ROOT, tempConfigDir} from '../helpers/paths.js'

const targets = (platform: NodeJS.Platform, home: string) =>
  installPlan({platform, home, root: ROOT}).copies.map((copy) => copy.to)

describe('callctl scripts install', () => {
  test('macOS: the AppleScript wrappers into the Script menu folder', () => {
    expect(targets('darwin', '/Users/ann')).toEqual([
      '/Users/ann/Library/Scripts/callctl/CallControl.applescript',
      '/Users/ann/Library/Scripts/callctl/answer-call.applescript',
      '/Users/ann/Library/Scripts/callctl/end-call.applescript',
      '/Users/ann/Library/Scripts/callctl/make-call.applescript',
    ])
  })

  test('Windows: the PowerShell module into the module path of PowerShell 5.1 and 7', () => {
    const home = 'C:\\Users\\ann'
    const files = ['CallControl.psd1', 'CallControl.psm1', 'answer-call.ps1', 'end-call.ps1', 'make-call.ps1']
    expect(targets('win32', home)).toEqual([
      ...files.map((file) => `C:\\Users\\ann\\Documents\\WindowsPowerShell\\Modules\\CallControl\\${file}`),
      ...files.map((file) => `C:\\Users\\ann\\Documents\\PowerShell\\Modules\\CallControl\\${file}`),
    ])
  })

  test('Linux: the PowerShell module for pwsh, and a note about AppleScript', () => {
    expect(targets('linux', '/home/ann')).toContain(
      '/home/ann/.local/share/powershell/Modules/CallControl/CallControl.psm1',
    )
    expect(installPlan({platform: 'linux', home: '/home/ann', root: ROOT}).notes[0]).toContain(
      'AppleScript wrappers are for macOS',
    )
  })

  test('--dry-run shows the targets and copies nothing; without it the files are there (real process)', async () => {
    if (process.platform === 'win32') return
    const home = mkdtempSync(path.join(tmpdir(), 'callctl-home-'))
    const dry = await runCli(['scripts', 'install', '--dry-run'], tempConfigDir(), {HOME: home})
    expect(dry.exitCode).toBe(0)
    const target =
      process.platform === 'darwin'
        ? path.join(home, 'Library/Scripts/callctl/make-call.applescript')
        : path.join(home, '.local/share/powershell/Modules/CallControl/CallControl.psm1')
    expect(dry.stdout).toContain(
      `Would copy ${process.platform === 'darwin' ? path.join(ROOT, 'applescript/make-call.applescript') : path.join(ROOT, 'scripts/CallControl.psm1')} → ${target}`,
    )
    expect(existsSync(target)).toBe(false)
    const real = await runCli(['scripts', 'install'], tempConfigDir(), {HOME: home})
    expect(real.stdout).toContain(`Copied `)
    expect(existsSync(target)).toBe(true)
  })

  test('callctl scripts prints where the wrappers are', async () => {
    const result = await runCli(['scripts', '--json'], tempConfigDir())
    expect(JSON.parse(result.stdout)).toEqual({
      ok: true,
      applescript: path.join(ROOT, 'applescript'),
      powershell: path.join(ROOT, 'scripts'),
    })
  })
})
