import {existsSync, mkdtempSync, readFileSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {CallctlError} from '../../src/errors.js'
import {type ActionPlan, describeAction, type RunResult, serviceAction, serviceStatus} from '../../src/service/index.js'
import {
  servicePlan,
  type ServiceWhere,
  systemdQuote,
  windowsCommandLine,
  windowsLauncher,
} from '../../src/service/plan.js'

/** A runner that records every argv and answers from a script, so no launchctl, reg or systemctl ever runs. */
function recordingRunner(answer: (file: string, args: string[]) => Partial<RunResult> = () => ({})) {
  const calls: Array<[string, string[]]> = []
  const runner = async (file: string, args: string[]): Promise<RunResult> => {
    calls.push([file, args])
    return {exitCode: 0, stdout: '', stderr: '', ...answer(file, args)}
  }

  return {calls, runner}
}

/** A temporary home whose path has a space in it, as on `C:\Users\Ann Smith` or `/Users/Ann Smith`. */
const homeWithSpace = () => path.join(mkdtempSync(path.join(tmpdir(), 'callctl-service-')), 'Ann Smith')
const noEndListener = async () => {
  throw new Error('endListener must not be called on this OS')
}

describe('service on macOS', () => {
  const home = homeWithSpace()
  const where: ServiceWhere = {
    platform: 'darwin',
    home,
    uid: 501,
    nodePath: '/Users/Ann Smith/.nvm/versions/node/v20.1.0/bin/node',
    runJs: '/Applications/Call & Control/lib/callctl/bin/run.js',
    logDir: path.join(home, 'Library/Logs/callctl'),
    configDir: '/Users/Ann Smith/callctl <work>',
  }
  const plist = path.join(home, 'Library/LaunchAgents/com.callctl.listener.plist')
  const target = 'gui/501/com.callctl.listener'

  test('the LaunchAgent plist: absolute node and run.js, KeepAlive, logs, the config folder, XML escaped', () => {
    expect(servicePlan(where).install.files).toEqual([
      {
        path: plist,
        content: `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>com.callctl.listener</string>
  <key>ProgramArguments</key>
  <array>
    <string>/Users/Ann Smith/.nvm/versions/node/v20.1.0/bin/node</string>
    <string>/Applications/Call &amp; Control/lib/callctl/bin/run.js</string>
    <string>listen</string>
  </array>
  <key>EnvironmentVariables</key>
  <dict>
    <key>CALLCTL_CONFIG_DIR</key>
    <string>/Users/Ann Smith/callctl &lt;work&gt;</string>
  </dict>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <true/>
  <key>StandardOutPath</key>
  <string>${home}/Library/Logs/callctl/listener.log</string>
  <key>StandardErrorPath</key>
  <string>${home}/Library/Logs/callctl/listener.err.log</string>
</dict>
</plist>
`,
      },
    ])
    expect(servicePlan({...where, configDir: undefined}).install.files[0].content).not.toContain('EnvironmentVariables')
  })

  test('install, start, stop, status, uninstall (argv recorded, launchctl/reg/systemctl mocked)', async () => {
    const {calls, runner} = recordingRunner((_file, args) => {
      if (args[0] === 'print') return {stdout: `${target} = {\n\tactive count = 1\n\tstate = running\n}`}
      return {}
    })
    const deps = {runner, where, endListener: noEndListener}

    await serviceAction('install', deps)
    expect(calls.splice(0)).toEqual([
      ['launchctl', ['bootout', target]],
      ['launchctl', ['bootstrap', 'gui/501', plist]],
    ])
    expect(readFileSync(plist, 'utf8')).toBe(servicePlan(where).install.files[0].content)
    expect(statSync(where.logDir).isDirectory()).toBe(true)

    await serviceAction('start', deps)
    expect(calls.splice(0)).toEqual([
      ['launchctl', ['bootstrap', 'gui/501', plist]],
      ['launchctl', ['kickstart', target]],
    ])

    const stop = await serviceAction('stop', deps)
    expect(calls.splice(0)).toEqual([['launchctl', ['bootout', target]]])
    expect(stop.lines.at(-1)).toContain('Stopped until your next login')

    expect(await serviceStatus({runner, where})).toEqual({
      platform: 'darwin',
      installed: true,
      file: plist,
      running: true,
      detail: 'state = running',
    })
    expect(calls.splice(0)).toEqual([['launchctl', ['print', target]]])

    await serviceAction('uninstall', deps)
    expect(calls.splice(0)).toEqual([['launchctl', ['bootout', target]]])
    expect(existsSync(plist)).toBe(false)
  })

  test('unloading a job that is not loaded is expected; any other failure names the command and its stderr', async () => {
    const notLoaded = recordingRunner((_file, args) =>
      args[0] === 'bootout' ? {exitCode: 3, stderr: 'Boot-out failed: 3: No such process'} : {},
    )
    const report = await serviceAction('uninstall', {runner: notLoaded.runner, where, endListener: noEndListener})
    expect(report.lines).toEqual([`Ran: launchctl bootout ${target} (failed: already stopped, as expected)`])

    const refused = recordingRunner((_file, args) =>
      args[0] === 'bootstrap' ? {exitCode: 5, stderr: 'Bootstrap failed: 5: Input/output error'} : {},
    )
    const failure = await serviceAction('install', {runner: refused.runner, where, endListener: noEndListener}).catch(
      (error: unknown) => error,
    )
    expect(failure).toBeInstanceOf(CallctlError)
    expect((failure as CallctlError).message).toBe(
      `\`launchctl bootstrap gui/501 '${plist}'\` failed (exit code 5): Bootstrap failed: 5: Input/output error`,
    )
    expect((failure as CallctlError).exit).toBe(1)
    expect((failure as CallctlError).suggestions.join('\n')).toContain('callctl service uninstall')
  })
})

describe('service on Linux', () => {
  const home = homeWithSpace()
  const configHome = path.join(home, 'my config')
  const where: ServiceWhere = {
    platform: 'linux',
    home,
    uid: 1000,
    nodePath: '/opt/node 20/bin/node',
    runJs: '/home/ann/100%/"call$ctl"/bin/run.js',
    logDir: path.join(home, '.local/state/callctl'),
    configDir: '/home/ann/callctl config',
    env: {XDG_CONFIG_HOME: configHome},
  }
  const unit = path.join(configHome, 'systemd/user/callctl.service')

  test('the systemd user unit: quoted absolute paths, % and $ escaped, the config folder, default.target', () => {
    expect(servicePlan(where).install.files).toEqual([
      {
        path: unit,
        content: `[Unit]
Description=callctl listener (desktop call-control bridge)

[Service]
ExecStart="/opt/node 20/bin/node" "/home/ann/100%%/\\"call$$ctl\\"/bin/run.js" listen
Environment="CALLCTL_CONFIG_DIR=/home/ann/callctl config"
Restart=on-failure
RestartSec=2

[Install]
WantedBy=default.target
`,
      },
    ])
    expect(servicePlan({...where, env: {}, home: '/home/ann'}).file).toBe(
      '/home/ann/.config/systemd/user/callctl.service',
    )
    expect(servicePlan({...where, configDir: undefined}).install.files[0].content).not.toContain('Environment=')
    expect(systemdQuote('/usr/bin/node')).toBe('/usr/bin/node')
    expect(() => systemdQuote('a\nb')).toThrow('line break')
  })

  test('install, start, stop, status, uninstall (argv recorded, launchctl/reg/systemctl mocked)', async () => {
    const {calls, runner} = recordingRunner((_file, args) => (args[1] === 'is-active' ? {stdout: 'active\n'} : {}))
    const deps = {runner, where, endListener: noEndListener}

    await serviceAction('install', deps)
    expect(calls.splice(0)).toEqual([
      ['systemctl', ['--user', 'daemon-reload']],
      ['systemctl', ['--user', 'enable', 'callctl.service']],
      ['systemctl', ['--user', 'restart', 'callctl.service']],
    ])
    expect(readFileSync(unit, 'utf8')).toBe(servicePlan(where).install.files[0].content)

    await serviceAction('start', deps)
    expect(calls.splice(0)).toEqual([['systemctl', ['--user', 'start', 'callctl.service']]])
    await serviceAction('stop', deps)
    expect(calls.splice(0)).toEqual([['systemctl', ['--user', 'stop', 'callctl.service']]])

    expect(await serviceStatus({runner, where})).toEqual({
      platform: 'linux',
      installed: true,
      file: unit,
      running: true,
      detail: 'active',
    })
    expect(calls.splice(0)).toEqual([['systemctl', ['--user', 'is-active', 'callctl.service']]])

    await serviceAction('uninstall', deps)
    expect(calls.splice(0)).toEqual([
      ['systemctl', ['--user', 'disable', '--now', 'callctl.service']],
      ['systemctl', ['--user', 'daemon-reload']],
    ])
    expect(existsSync(unit)).toBe(false)
  })

  test('status without a reachable systemd: installed or not, running unknown, the reason as detail', async () => {
    const {runner} = recordingRunner(() => ({exitCode: 1, stderr: 'Failed to connect to bus: No medium found'}))
    expect(await serviceStatus({runner, where})).toEqual({
      platform: 'linux',
      installed: false,
      file: unit,
      detail: 'Failed to connect to bus: No medium found',
    })
  })
})

describe('service on Windows', () => {
  const where: ServiceWhere = {
    platform: 'win32',
    home: String.raw`C:\Users\Ann Smith`,
    uid: 0,
    nodePath: String.raw`C:\Program Files\nodejs\node.exe`,
    runJs: String.raw`C:\Users\Ann Smith\AppData\Roaming\npm\node_modules\callctl\bin\run.js`,
    logDir: String.raw`C:\Users\Ann Smith\AppData\Local\callctl\Log`,
    configDir: String.raw`D:\callctl "work"`,
    env: {APPDATA: String.raw`C:\Users\Ann Smith\AppData\Roaming`, SystemRoot: String.raw`C:\WINDOWS`},
  }
  const launcher = String.raw`C:\Users\Ann Smith\AppData\Roaming\callctl\Config\callctl-listener.vbs`
  const wscript = String.raw`C:\WINDOWS\System32\wscript.exe`
  const run = String.raw`HKCU\Software\Microsoft\Windows\CurrentVersion\Run`

  test('the hidden launcher: node and run.js quoted for cmd.exe, output appended to the log, the config folder', () => {
    expect(servicePlan(where).install.files).toEqual([
      {
        path: launcher,
        content: [
          "' Starts the callctl listener without a window (written by `callctl service install`).",
          'Set shell = CreateObject("WScript.Shell")',
          String.raw`shell.Environment("Process")("CALLCTL_CONFIG_DIR") = "D:\callctl ""work"""`,
          String.raw`shell.Run "C:\WINDOWS\System32\cmd.exe /d /s /c """"C:\Program Files\nodejs\node.exe"" ""C:\Users\Ann Smith\AppData\Roaming\npm\node_modules\callctl\bin\run.js"" listen >> ""C:\Users\Ann Smith\AppData\Local\callctl\Log\listener.log"" 2>&1""", 0, False`,
          '',
        ].join('\r\n'),
      },
    ])
    expect(windowsCommandLine(['C:\\a b\\', 'x"y', 'plain'])).toBe('"C:\\a b\\\\" "x\\"y" plain')
  })

  test('--dry-run lines: ending the listener, the launcher in full, and Windows-quoted command lines', () => {
    const lines = describeAction(servicePlan(where).install, 'win32')
    expect(lines[0]).toBe('Would ask the listener for its pid (GET /status) and end that process')
    expect(lines).toContain(`Would write ${launcher}:`)
    expect(lines).toContain('    Set shell = CreateObject("WScript.Shell")')
    expect(lines.slice(-2)).toEqual([
      `Would run: reg add ${run} /v callctl /t REG_SZ /d "${wscript} \\"${launcher}\\"" /f`,
      `Would run: ${wscript} "${launcher}"`,
    ])
  })

  /** Windows paths cannot be written on the machine running the tests: only the commands are applied here. */
  const commandsOnly = (plan: ActionPlan): ActionPlan => ({...plan, dirs: [], files: [], remove: []})

  test('install, start, stop, status, uninstall (argv recorded, launchctl/reg/systemctl mocked)', async () => {
    const {calls, runner} = recordingRunner()
    let ended = 0
    const endListener = async () => `Ended the listener (pid ${++ended})`
    const plan = servicePlan(where)
    const {applyAction} = await import('../../src/service/index.js')
    const apply = async (action: 'install' | 'uninstall' | 'start' | 'stop') =>
      applyAction(commandsOnly(plan[action]), 'win32', {runner, endListener})

    await apply('install')
    expect(calls.splice(0)).toEqual([
      ['reg', ['add', run, '/v', 'callctl', '/t', 'REG_SZ', '/d', `${wscript} "${launcher}"`, '/f']],
      [wscript, [launcher]],
    ])
    await apply('start')
    expect(calls.splice(0)).toEqual([[wscript, [launcher]]])
    expect(ended).toBe(1)
    expect(await apply('stop')).toEqual(['Ended the listener (pid 2)'])
    expect(calls.splice(0)).toEqual([])
    await apply('uninstall')
    expect(ended).toBe(3)
    expect(calls.splice(0)).toEqual([['reg', ['delete', run, '/v', 'callctl', '/f']]])
    expect(plan.uninstall.remove).toEqual([launcher])

    const status = await serviceStatus({runner, where, listenerPid: async () => 4242})
    expect(calls.splice(0)).toEqual([['reg', ['query', run, '/v', 'callctl']]])
    expect(status).toEqual({
      platform: 'win32',
      installed: false,
      file: launcher,
      running: true,
      detail: 'starts at login (Run value set); listener pid 4242',
    })
  })
})

test("Windows launcher: every path is quoted inside cmd's line, so & ^ ( in a user folder cannot split it", () => {
  const launcher = windowsLauncher({
    platform: 'win32',
    home: String.raw`C:\Users\R&D`,
    uid: 0,
    nodePath: String.raw`C:\node\node.exe`,
    runJs: String.raw`C:\Users\R&D\callctl\bin\run.js`,
    logDir: String.raw`C:\Users\R&D\Log`,
    env: {SystemRoot: String.raw`C:\WINDOWS`},
  })
  expect(launcher).toContain(
    String.raw`/c """"C:\node\node.exe"" ""C:\Users\R&D\callctl\bin\run.js"" listen >> ""C:\Users\R&D\Log\listener.log"" 2>&1"""`,
  )
})
