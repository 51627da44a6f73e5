import {existsSync, mkdtempSync, readdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {runCli} from '../helpers/cli.js'
import {RUN_JS, tempConfigDir} from '../helpers/paths.js'

const describeOnLinux = process.platform === 'linux' ? describe : describe.skip

describeOnLinux('callctl service (real process, Linux)', () => {
  test('install --dry-run prints the unit path, its content and the systemctl command lines, and writes nothing', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'callctl-home-'))
    const configHome = path.join(home, 'xdg config')
    const configDir = tempConfigDir()
    const result = await runCli(['service', 'install', '--dry-run'], configDir, {
      HOME: home,
      XDG_CONFIG_HOME: configHome,
    })
    expect(result).toEqual({exitCode: 0, stderr: '', stdout: expect.any(String)})
    const unit = path.join(configHome, 'systemd/user/callctl.service')
    expect(result.stdout.split('\n')).toEqual([
      `Would write ${unit}:`,
      '    [Unit]',
      '    Description=callctl listener (desktop call-control bridge)',
      '    ',
      '    [Service]',
      `    ExecStart=${process.execPath} ${RUN_JS} listen`,
      `    Environment=CALLCTL_CONFIG_DIR=${configDir}`,
      '    Restart=on-failure',
      '    RestartSec=2',
      '    ',
      '    [Install]',
      '    WantedBy=default.target',
      'Would run: systemctl --user daemon-reload',
      'Would run: systemctl --user enable callctl.service',
      'Would run: systemctl --user restart callctl.service',
      'Then: The listener starts now and at every login; systemd restarts it if it fails. Logs: journalctl --user -u callctl',
    ])
    expect(readdirSync(home)).toEqual([])
    expect(existsSync(unit)).toBe(false)
  })

  test('uninstall --dry-run --json lists the commands and the file to remove', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'callctl-home-'))
    const result = await runCli(['service', 'uninstall', '--dry-run', '--json'], tempConfigDir(), {
      HOME: home,
      XDG_CONFIG_HOME: '',
    })
    expect(result.exitCode).toBe(0)
    const report = JSON.parse(result.stdout)
    expect(report).toMatchObject({action: 'uninstall', platform: 'linux', dryRun: true})
    expect(report.plan.remove).toEqual([path.join(home, '.config/systemd/user/callctl.service')])
    expect(report.plan.commands).toEqual([
      ['systemctl', ['--user', 'disable', '--now', 'callctl.service'], {mayFail: 'not installed'}],
    ])
  })

  test('status --json answers even without a systemd user instance', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'callctl-home-'))
    const result = await runCli(['service', 'status', '--json'], tempConfigDir(), {HOME: home, XDG_CONFIG_HOME: ''})
    expect(result.exitCode).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({
      platform: 'linux',
      installed: false,
      file: path.join(home, '.config/systemd/user/callctl.service'),
    })
  })
})
