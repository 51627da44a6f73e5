import {homedir} from 'node:os'
import path from 'node:path'

import {ListenerClient} from '../client.js'
import {CallctlError, ExitCode} from '../errors.js'
import {logDir} from '../logs/log-file.js'
import {packageRoot} from '../wrappers/install.js'
import {type ActionPlan, type ServiceAction, type ServiceCommand, servicePlan, type ServiceWhere} from './plan.js'

const {existsSync, mkdirSync, renameSync, rmSync, writeFileSync} = process.getBuiltinModule('node:fs')

export type {ActionPlan, ServiceAction, ServiceCommand, ServicePlan} from './plan.js'

export interface RunResult {
  exitCode: number
  stdout: string
  stderr: string
}

/** Runs one OS command; injectable so that tests record the argv instead of calling launchctl, reg or systemctl. */
export type Runner = (file: string, args: string[]) => Promise<RunResult>

/** What ends the Windows listener; injectable for the same reason. Returns a line saying what it did. */
export type EndListener = () => Promise<string>

export interface ServiceDeps {
  runner: Runner
  endListener: EndListener
  where: ServiceWhere
}

export const execaRunner: Runner = async (file, args) => {
  // execa loads with the first OS command: `service status` from `callctl doctor` often needs none.
  const {execa} = await import('execa')
  // Argument arrays only: paths with spaces or quotes reach the program as they are.
  const result = await execa(file, args, {reject: false, timeout: 30_000, stdin: 'ignore'})
  return {
    exitCode: result.exitCode ?? -1,
    stdout: result.stdout ?? '',
    // A program that could not start at all (ENOENT) has no stderr: its reason is in the message.
    stderr: result.stderr || (result.exitCode === undefined ? (result.shortMessage ?? '') : ''),
  }
}

/** This installation, as the service must run it: the same Node and the same bin/run.js, by absolute path. */
export function hostWhere(env: NodeJS.ProcessEnv = process.env): ServiceWhere {
  return {
    platform: process.platform,
    home: homedir(),
    uid: process.getuid?.() ?? 0,
    nodePath: process.execPath,
    runJs: path.join(packageRoot(), 'bin', 'run.js'),
    // The listener's own log folder, so that the service's output lands beside listener.jsonl.
    logDir: logDir(env),
    configDir: env.CALLCTL_CONFIG_DIR || undefined,
    env,
  }
}

const defaultDeps = (): ServiceDeps => ({runner: execaRunner, endListener: endListenerByPid, where: hostWhere()})

export interface ServiceReport {
  action: ServiceAction
  platform: NodeJS.Platform
  dryRun: boolean
  plan: ActionPlan
  /** What was done (or, with --dry-run, what would be), one line each, file contents included. */
  lines: string[]
}

/** Plans `action` for this computer and, unless `dryRun`, carries it out. */
export async function serviceAction(
  action: ServiceAction,
  {dryRun = false, ...deps}: Partial<ServiceDeps> & {dryRun?: boolean} = {},
): Promise<ServiceReport> {
  const {runner, endListener, where} = {...defaultDeps(), ...deps}
  const plan = servicePlan(where)
  const actionPlan = plan[action]
  const lines = dryRun
    ? describeAction(actionPlan, plan.platform)
    : await applyAction(actionPlan, plan.platform, {runner, endListener}).catch((error: unknown) => {
        throw withNextSteps(error, action, actionPlan)
      })
  // The notes say what the action did; after a dry run they say what it would do.
  const notes = dryRun ? actionPlan.notes.map((note) => `Then: ${note}`) : actionPlan.notes
  return {action, platform: plan.platform, dryRun, plan: actionPlan, lines: [...lines, ...notes]}
}

/** Says what a failed action already did and how to see or undo it. */
function withNextSteps(error: unknown, action: ServiceAction, plan: ActionPlan): unknown {
  if (!(error instanceof CallctlError) || error.code !== 'ERR_SERVICE_COMMAND') return error
  const written = plan.files.map((file) => file.path)
  error.suggestions.push(
    ...(written.length > 0
      ? [
          `${written.join(', ')} ${written.length === 1 ? 'was' : 'were'} written: \`callctl service uninstall\` removes ${written.length === 1 ? 'it' : 'them'}`,
        ]
      : []),
    `\`callctl service ${action} --dry-run\` shows every step: run the failed one by hand to see more`,
  )
  return error
}

/** Every folder, file (with its full content), removal and command line of an action, in the order they happen. */
export function describeAction(plan: ActionPlan, platform: NodeJS.Platform): string[] {
  return [
    ...(plan.endListener ? ['Would ask the listener for its pid (GET /status) and end that process'] : []),
    ...plan.dirs.map((dir) => `Would create the folder ${dir}`),
    ...plan.files.flatMap((file) => [
      `Would write ${file.path}:`,
      ...file.content
        .trimEnd()
        .split(/\r?\n/)
        .map((line) => `    ${line}`),
    ]),
    ...plan.commands.map((command) => `Would run: ${describeCommand(command, platform)}`),
    ...plan.remove.map((file) => `Would remove ${file}`),
    ...plan.afterRemove.map((command) => `Would run: ${describeCommand(command, platform)}`),
  ]
}

export async function applyAction(
  plan: ActionPlan,
  platform: NodeJS.Platform,
  {runner, endListener}: Pick<ServiceDeps, 'runner' | 'endListener'>,
): Promise<string[]> {
  const lines: string[] = []
  if (plan.endListener) lines.push(await endListener())
  for (const dir of plan.dirs) makeFolder(dir)
  for (const file of plan.files) {
    writeAtomically(file.path, file.content)
    lines.push(`Wrote ${file.path}`)
  }

  lines.push(...(await runAll(plan.commands, platform, runner)))
  for (const file of plan.remove) {
    if (!existsSync(file)) continue
    rmSync(file, {force: true})
    lines.push(`Removed ${file}`)
  }

  lines.push(...(await runAll(plan.afterRemove, platform, runner)))
  return lines
}

/**
 * Runs a plan's commands in order, a line each; a command's `mayFail` failure is expected, any other stops the plan
 * with the error `failed` makes of it. Shared by the service and the link handler.
 */
export async function runCommands(
  commands: ServiceCommand[],
  platform: NodeJS.Platform,
  runner: Runner,
  failed: (line: string, result: RunResult) => CallctlError,
): Promise<string[]> {
  const lines: string[] = []
  for (const command of commands) {
    const [file, args, options] = command
    const result = await runner(file, args)
    const line = describeCommand(command, platform)
    if (result.exitCode === 0) lines.push(`Ran: ${line}`)
    else if (options?.mayFail) lines.push(`Ran: ${line} (failed: ${options.mayFail}, as expected)`)
    else throw failed(line, result)
  }

  return lines
}

const runAll = async (commands: ServiceCommand[], platform: NodeJS.Platform, runner: Runner) =>
  runCommands(commands, platform, runner, (line, result) => commandFailed(line, result, platform))

function writeAtomically(file: string, content: string): void {
  makeFolder(path.dirname(file))
  const temporary = `${file}.${process.pid}.tmp`
  try {
    writeFileSync(temporary, content, {mode: 0o644})
    renameSync(temporary, file)
  } catch (error) {
    rmSync(temporary, {force: true})
    throw cannotWrite(file, error)
  }
}

function makeFolder(dir: string): void {
  try {
    mkdirSync(dir, {recursive: true})
  } catch (error) {
    throw cannotWrite(dir, error)
  }
}

const cannotWrite = (where: string, error: unknown) =>
  new CallctlError(`Cannot write ${where}: ${(error as Error).message}`, {
    code: 'ERR_SERVICE_FILE',
    cause: error,
    suggestions: [`Check that ${path.dirname(where)} exists and can be written by you`],
  })

function commandFailed(line: string, result: RunResult, platform: NodeJS.Platform): CallctlError {
  const reason = (result.stderr || result.stdout).trim() || 'no output'
  return new CallctlError(`\`${line}\` failed (exit code ${result.exitCode}): ${reason}`, {
    code: 'ERR_SERVICE_COMMAND',
    exit: ExitCode.failure,
    suggestions: [SUGGESTIONS[platform === 'darwin' || platform === 'win32' ? platform : 'linux']],
  })
}

const SUGGESTIONS = {
  darwin: 'Run it from a terminal in your own login session (launchctl needs the GUI domain of a logged-in user)',
  win32: 'reg and wscript.exe are part of Windows: check that %SystemRoot%\\System32 is on PATH',
  linux:
    'A systemd user instance must be running: `systemctl --user status` should answer (over SSH: `loginctl enable-linger $USER`, then log in again)',
} as const

/** A command line for people to read or paste: POSIX shell quoting, or Windows quoting on Windows. */
export function describeCommand([file, args]: ServiceCommand, platform: NodeJS.Platform): string {
  const quote = platform === 'win32' ? windowsDisplayQuote : posixQuote
  return [file, ...args].map((arg) => quote(arg)).join(' ')
}

const posixQuote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", String.raw`'\''`)}'`)
const windowsDisplayQuote = (arg: string) =>
  arg !== '' && !/[\s"]/.test(arg) ? arg : `"${arg.replaceAll('"', String.raw`\"`)}"`

/**
 * Ends the listener the Windows service started: its pid comes from its own `/status`, so that no other node
 * process is touched (taskkill by image name or window title cannot tell them apart).
 */
export async function endListenerByPid(): Promise<string> {
  const client = new ListenerClient({timeoutMs: 3000})
  let status: {name?: string; pid?: number}
  try {
    status = await client.status<{name?: string; pid?: number}>()
  } catch {
    return `No listener answered on port ${client.port}: nothing to stop`
  }

  if (status.name !== 'callctl' || !status.pid)
    return `Port ${client.port} is not answered by a callctl listener: nothing stopped`
  try {
    process.kill(status.pid)
  } catch (error) {
    throw new CallctlError(`Cannot end the listener (pid ${status.pid}): ${(error as Error).message}`, {
      code: 'ERR_SERVICE_STOP',
      cause: error,
      suggestions: [`End it in Task Manager (node.exe, pid ${status.pid})`],
    })
  }

  return `Ended the listener on port ${client.port} (pid ${status.pid})`
}

export interface ServiceStatus {
  platform: NodeJS.Platform
  installed: boolean
  /** The plist, unit or launcher file that makes it start at login. */
  file: string
  /** Undefined when the OS could not be asked (no systemd user instance, …). */
  running?: boolean
  detail?: string
}

/** Whether the background service is installed and running. Never throws for an OS command that fails. */
export async function serviceStatus(
  deps: Partial<Pick<ServiceDeps, 'runner' | 'where'>> & {listenerPid?: () => Promise<number | undefined>} = {},
): Promise<ServiceStatus> {
  const where = deps.where ?? hostWhere()
  const runner = deps.runner ?? execaRunner
  const plan = servicePlan(where)
  const installed = existsSync(plan.file)
  const [file, args] = plan.statusCommand
  const result = await runner(file, args).catch((error: Error) => ({exitCode: -1, stdout: '', stderr: error.message}))
  const output = (result.stdout || result.stderr).trim()
  const base = {platform: plan.platform, installed, file: plan.file}
  switch (plan.platform) {
    case 'darwin': {
      if (result.exitCode !== 0)
        return {
          ...base,
          running: false,
          detail: installed ? 'not loaded (stopped until the next login, or `callctl service start`)' : 'not loaded',
        }
      return {
        ...base,
        running: /^\s*state = running\s*$/m.test(result.stdout),
        detail: result.stdout.match(/^\s*state = (.+)$/m)?.[0].trim(),
      }
    }

    case 'win32': {
      const pid = await (deps.listenerPid ?? listenerPid)()
      const runAtLogin =
        result.exitCode === 0 ? 'starts at login (Run value set)' : 'does not start at login (no Run value)'
      return {
        ...base,
        running: pid !== undefined,
        detail: pid === undefined ? runAtLogin : `${runAtLogin}; listener pid ${pid}`,
      }
    }

    default: {
      // is-active prints active, inactive, failed, …; when it cannot reach systemd it prints the reason on stderr.
      const state = result.stdout.trim()
      if (!state) return {...base, detail: output || `exit code ${result.exitCode}`}
      return {...base, running: state === 'active', detail: state}
    }
  }
}

async function listenerPid(): Promise<number | undefined> {
  try {
    const status = await new ListenerClient({timeoutMs: 2000}).status<{name?: string; pid?: number}>()
    return status.name === 'callctl' ? status.pid : undefined
  } catch {
    return undefined
  }
}
