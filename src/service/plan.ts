import path from 'node:path'

import {osFolders} from '../config/paths.js'

/**
 * What `callctl service …` writes and runs on each OS, computed without touching the system, so that `--dry-run`
 * and the tests see exactly what a real run does.
 */

export type ServiceAction = 'install' | 'uninstall' | 'start' | 'stop'

/**
 * One OS command as an argument array (never a shell line). `mayFail`: the command's failure is expected in a
 * normal state (unloading a job that is not loaded) and does not stop the action.
 */
export type ServiceCommand = [file: string, args: string[], options?: {mayFail: string}]

export interface ActionPlan {
  /** Folders made before anything runs (the log folder: launchd and cmd.exe do not create it). */
  dirs: string[]
  files: Array<{path: string; content: string}>
  commands: ServiceCommand[]
  remove: string[]
  /** Run after `remove` (systemd must reload once the unit file is gone). */
  afterRemove: ServiceCommand[]
  /** Windows has no service manager here: ask the listener for its pid over HTTP and end that process. */
  endListener?: true
  notes: string[]
}

export interface ServicePlan extends Record<ServiceAction, ActionPlan> {
  platform: NodeJS.Platform
  /** The file whose presence means "installed": plist, unit, or the Windows launcher. */
  file: string
  statusCommand: ServiceCommand
  /** How to read the listener's output on this OS. */
  logs: string
}

export interface ServiceWhere {
  platform: NodeJS.Platform
  home: string
  uid: number
  /** Absolute path of the Node that installs the service (`process.execPath`). */
  nodePath: string
  /** Absolute path of this package's `bin/run.js`. */
  runJs: string
  logDir: string
  /** `CALLCTL_CONFIG_DIR` at install time, handed on to the service. */
  configDir?: string
  /** For `XDG_CONFIG_HOME` (Linux), `APPDATA` and `SystemRoot` (Windows). */
  env?: NodeJS.ProcessEnv
}

export const LAUNCHD_LABEL = 'com.callctl.listener'
export const SYSTEMD_UNIT = 'callctl.service'
export const WINDOWS_RUN_KEY = String.raw`HKCU\Software\Microsoft\Windows\CurrentVersion\Run`
export const WINDOWS_RUN_VALUE = 'callctl'

export function servicePlan(where: ServiceWhere): ServicePlan {
  switch (where.platform) {
    case 'darwin': {
      return launchdPlan(where)
    }

    case 'win32': {
      return windowsPlan(where)
    }

    default: {
      return systemdPlan(where)
    }
  }
}

const emptyAction = (): ActionPlan => ({dirs: [], files: [], commands: [], remove: [], afterRemove: [], notes: []})
const action = (parts: Partial<ActionPlan>): ActionPlan => ({...emptyAction(), ...parts})
const mayFail = ([file, args]: ServiceCommand, reason: string): ServiceCommand => [file, args, {mayFail: reason}]
const serviceEnv = ({configDir}: ServiceWhere): Record<string, string> =>
  configDir ? {CALLCTL_CONFIG_DIR: configDir} : {}

// ---------------------------------------------------------------------------------------------------------------
// macOS: a LaunchAgent in the user's GUI domain.

function launchdPlan(where: ServiceWhere): ServicePlan {
  const plist = path.posix.join(where.home, 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`)
  const domain = `gui/${where.uid}`
  const target = `${domain}/${LAUNCHD_LABEL}`
  const bootstrap: ServiceCommand = ['launchctl', ['bootstrap', domain, plist]]
  const bootout = (mayFail: string): ServiceCommand => ['launchctl', ['bootout', target], {mayFail}]
  const logs = `${path.posix.join(where.logDir, 'listener.log')} and listener.err.log in the same folder`
  return {
    platform: 'darwin',
    file: plist,
    statusCommand: ['launchctl', ['print', target]],
    logs,
    install: action({
      dirs: [where.logDir],
      files: [{path: plist, content: launchAgentPlist(where)}],
      // A job loaded by an earlier install keeps its old arguments until it is unloaded.
      commands: [bootout('not loaded yet'), bootstrap],
      notes: [`The listener starts now and at every login; launchd restarts it if it stops. Logs: ${logs}`],
    }),
    uninstall: action({commands: [bootout('already stopped')], remove: [plist]}),
    // After `stop` the job is unloaded, so bootstrap it again; when it is still loaded that fails and kickstart starts it.
    start: action({commands: [mayFail(bootstrap, 'already loaded'), ['launchctl', ['kickstart', target]]]}),
    // KeepAlive would restart a killed listener at once: unloading is the only stop that holds.
    stop: action({
      commands: [['launchctl', ['bootout', target]]],
      notes: [
        'Stopped until your next login (or `callctl service start`); `callctl service uninstall` removes it for good.',
      ],
    }),
  }
}

export function launchAgentPlist(where: ServiceWhere): string {
  const string = (value: string) => `<string>${escapeXml(value)}</string>`
  const env = Object.entries(serviceEnv(where))
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    '<dict>',
    '  <key>Label</key>',
    `  ${string(LAUNCHD_LABEL)}`,
    '  <key>ProgramArguments</key>',
    '  <array>',
    ...[where.nodePath, where.runJs, 'listen'].map((arg) => `    ${string(arg)}`),
    '  </array>',
    ...(env.length === 0
      ? []
      : [
          '  <key>EnvironmentVariables</key>',
          '  <dict>',
          ...env.flatMap(([key, value]) => [`    <key>${escapeXml(key)}</key>`, `    ${string(value)}`]),
          '  </dict>',
        ]),
    '  <key>RunAtLoad</key>',
    '  <true/>',
    '  <key>KeepAlive</key>',
    '  <true/>',
    '  <key>StandardOutPath</key>',
    `  ${string(path.posix.join(where.logDir, 'listener.log'))}`,
    '  <key>StandardErrorPath</key>',
    `  ${string(path.posix.join(where.logDir, 'listener.err.log'))}`,
    '</dict>',
    '</plist>',
  ]
  return `${lines.join('\n')}\n`
}

export function escapeXml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;')
}

// ---------------------------------------------------------------------------------------------------------------
// Linux: a systemd user unit.

function systemdPlan(where: ServiceWhere): ServicePlan {
  const configHome = where.env?.XDG_CONFIG_HOME || path.posix.join(where.home, '.config')
  const unit = path.posix.join(configHome, 'systemd', 'user', SYSTEMD_UNIT)
  const systemctl = (...args: string[]): ServiceCommand => ['systemctl', ['--user', ...args]]
  const logs = `journalctl --user -u ${SYSTEMD_UNIT.replace(/\.service$/, '')}`
  return {
    platform: where.platform,
    file: unit,
    statusCommand: systemctl('is-active', SYSTEMD_UNIT),
    logs,
    install: action({
      files: [{path: unit, content: systemdUnit(where)}],
      // restart, not `enable --now`: a reinstall (Node or callctl moved) must replace a listener already running.
      commands: [systemctl('daemon-reload'), systemctl('enable', SYSTEMD_UNIT), systemctl('restart', SYSTEMD_UNIT)],
      notes: [`The listener starts now and at every login; systemd restarts it if it fails. Logs: ${logs}`],
    }),
    uninstall: action({
      commands: [mayFail(systemctl('disable', '--now', SYSTEMD_UNIT), 'not installed')],
      remove: [unit],
      // Without a reachable systemd nothing is loaded that would need forgetting.
      afterRemove: [mayFail(systemctl('daemon-reload'), 'systemd not reachable')],
    }),
    start: action({commands: [systemctl('start', SYSTEMD_UNIT)]}),
    stop: action({
      commands: [systemctl('stop', SYSTEMD_UNIT)],
      notes: [
        'Stopped until your next login (or `callctl service start`); `callctl service uninstall` removes it for good.',
      ],
    }),
  }
}

export function systemdUnit(where: ServiceWhere): string {
  const env = Object.entries(serviceEnv(where)).map(([key, value]) => `Environment=${systemdQuote(`${key}=${value}`)}`)
  const lines = [
    '[Unit]',
    'Description=callctl listener (desktop call-control bridge)',
    '',
    '[Service]',
    `ExecStart=${[where.nodePath, where.runJs, 'listen'].map((arg) => systemdQuote(arg).replaceAll('$', '$$$$')).join(' ')}`,
    ...env,
    'Restart=on-failure',
    'RestartSec=2',
    '',
    '[Install]',
    'WantedBy=default.target',
  ]
  return `${lines.join('\n')}\n`
}

/**
 * One word of a unit file setting: double-quoted with C escapes when it holds anything but plain path characters,
 * and `%` doubled (systemd specifiers). `$` is left to the caller: only ExecStart expands variables.
 */
export function systemdQuote(word: string): string {
  if (/[\n\r]/.test(word)) throw new Error(`a line break cannot be put in a systemd unit: ${JSON.stringify(word)}`)
  const escaped = word.replaceAll('%', '%%')
  if (/^[\w@%+=:,./-]+$/.test(word)) return escaped
  return `"${escaped.replaceAll('\\', '\\\\').replaceAll('"', String.raw`\"`)}"`
}

// ---------------------------------------------------------------------------------------------------------------
// Windows: a per-user Run value (no administrator rights) that starts a hidden launcher script.

function windowsPlan(where: ServiceWhere): ServicePlan {
  const env = where.env ?? {}
  const launcher = path.win32.join(osFolders('win32', env, where.home).config, 'callctl-listener.vbs')
  const wscript = path.win32.join(env.SystemRoot || String.raw`C:\Windows`, 'System32', 'wscript.exe')
  const startLauncher: ServiceCommand = [wscript, [launcher]]
  const logs = `${path.win32.join(where.logDir, 'listener.log')}`
  return {
    platform: 'win32',
    file: launcher,
    statusCommand: ['reg', ['query', WINDOWS_RUN_KEY, '/v', WINDOWS_RUN_VALUE]],
    logs,
    install: action({
      // A listener started by an earlier install would hold the port and keep its old paths.
      endListener: true,
      dirs: [where.logDir],
      files: [{path: launcher, content: windowsLauncher(where)}],
      commands: [
        [
          'reg',
          [
            'add',
            WINDOWS_RUN_KEY,
            '/v',
            WINDOWS_RUN_VALUE,
            '/t',
            'REG_SZ',
            '/d',
            windowsCommandLine([wscript, launcher]),
            '/f',
          ],
        ],
        startLauncher,
      ],
      notes: [`The listener starts now (hidden) and at every login. Logs: ${logs}`],
    }),
    uninstall: action({
      endListener: true,
      commands: [['reg', ['delete', WINDOWS_RUN_KEY, '/v', WINDOWS_RUN_VALUE, '/f'], {mayFail: 'not installed'}]],
      remove: [launcher],
    }),
    start: action({commands: [startLauncher]}),
    stop: action({
      endListener: true,
      notes: [
        'Stopped until your next login (or `callctl service start`); `callctl service uninstall` removes it for good.',
      ],
    }),
  }
}

/**
 * The launcher: wscript runs it without a window, and it starts cmd.exe hidden (window style 0) so that the
 * listener's output can be appended to the log file. `/s /c "…"` makes cmd strip exactly the outer quotes.
 */
export function windowsLauncher(where: ServiceWhere): string {
  const log = path.win32.join(where.logDir, 'listener.log')
  // Every path quoted: inside cmd's line, an unquoted `&`, `^` or `(` in a user folder would split the command.
  const inner = `${[where.nodePath, where.runJs].map((arg) => windowsQuote(arg, true)).join(' ')} listen >> ${windowsQuote(log, true)} 2>&1`
  const cmd = path.win32.join(where.env?.SystemRoot || String.raw`C:\Windows`, 'System32', 'cmd.exe')
  const commandLine = `${windowsQuote(cmd)} /d /s /c "${inner}"`
  const env = Object.entries(serviceEnv(where)).map(
    ([key, value]) => `shell.Environment("Process")(${vbsString(key)}) = ${vbsString(value)}`,
  )
  return [
    "' Starts the callctl listener without a window (written by `callctl service install`).",
    'Set shell = CreateObject("WScript.Shell")',
    ...env,
    `shell.Run ${vbsString(commandLine)}, 0, False`,
    '',
  ].join('\r\n')
}

/** A Windows command line from an argv, quoting each argument the way the C runtime reads it back. */
export function windowsCommandLine(argv: string[]): string {
  return argv.map((arg) => windowsQuote(arg)).join(' ')
}

export function windowsQuote(arg: string, always = false): string {
  if (!always && arg !== '' && !/[\s"]/.test(arg)) return arg
  // Backslashes are literal except before a quote, where they (and the quote) must be escaped.
  return `"${arg.replaceAll(/(\\*)"/g, '$1$1\\"').replace(/(\\+)$/, '$1$1')}"`
}

const vbsString = (value: string) => `"${value.replaceAll('"', '""')}"`
