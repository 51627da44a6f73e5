import {homedir} from 'node:os'
import path from 'node:path'

import {CallctlError} from '../errors.js'
import {DIAL_SCHEMES, type DialScheme} from '../dialing/link.js'
import {describeCommand, execaRunner, type Runner, type ServiceCommand} from '../service/index.js'
import {packageRoot} from '../wrappers/install.js'
import {type HandlerAction, type HandlerPlan, handlerPlan, type HandlerWhere} from './plan.js'

const {existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync} = process.getBuiltinModule('node:fs')

export {DIAL_SCHEMES, type DialScheme} from '../dialing/link.js'

export interface HandlerDeps {
  runner: Runner
  where: HandlerWhere
}

/** This installation, as a clicked link must run it: the same Node and bin/run.js, by absolute path. */
export function handlerWhere(env: NodeJS.ProcessEnv = process.env): HandlerWhere {
  return {
    platform: process.platform,
    home: homedir(),
    nodePath: process.execPath,
    runJs: path.join(packageRoot(), 'bin', 'run.js'),
    configDir: env.CALLCTL_CONFIG_DIR ? path.resolve(env.CALLCTL_CONFIG_DIR) : undefined,
    env,
  }
}

const deps = (given: Partial<HandlerDeps>): HandlerDeps => ({runner: execaRunner, where: handlerWhere(), ...given})

export interface HandlerReport {
  action: 'install' | 'uninstall'
  platform: NodeJS.Platform
  schemes: DialScheme[]
  dryRun: boolean
  lines: string[]
}

/** `handler install` / `uninstall`: plans for this computer and, unless `dryRun`, carries it out. */
export async function handlerAction(
  action: 'install' | 'uninstall',
  {
    schemes = [...DIAL_SCHEMES],
    dryRun = false,
    ...given
  }: Partial<HandlerDeps> & {
    schemes?: DialScheme[]
    dryRun?: boolean
  } = {},
): Promise<HandlerReport> {
  const {runner, where} = deps(given)
  const unique = DIAL_SCHEMES.filter((scheme) => schemes.includes(scheme))
  const plan = handlerPlan(where, unique)
  const steps = plan[action]
  const lines = dryRun ? describe(steps, plan.platform) : await apply(steps, plan, action, unique, runner)
  return {
    action,
    platform: plan.platform,
    schemes: unique,
    dryRun,
    lines: [...lines, ...steps.notes.map((note) => (dryRun ? `Then: ${note}` : note))],
  }
}

function describe(steps: HandlerAction, platform: NodeJS.Platform): string[] {
  return [
    ...steps.dirs.map((dir) => `Would create the folder ${dir}`),
    ...steps.files.flatMap((file) => [
      `Would write ${file.path}:`,
      ...file.content
        .trimEnd()
        .split('\n')
        .map((line) => `    ${line}`),
    ]),
    ...steps.commands.map((command) => `Would run: ${describeCommand(command, platform)}`),
    ...steps.remove.map((file) => `Would remove ${file}`),
    ...steps.afterRemove.map((command) => `Would run: ${describeCommand(command, platform)}`),
  ]
}

async function apply(
  steps: HandlerAction,
  plan: HandlerPlan,
  action: 'install' | 'uninstall',
  schemes: DialScheme[],
  runner: Runner,
): Promise<string[]> {
  const lines: string[] = []
  for (const dir of steps.dirs) mkdirSync(dir, {recursive: true})
  for (const file of steps.files) {
    write(file.path, file.content)
    lines.push(`Wrote ${file.path}`)
  }

  lines.push(...(await runAll(steps.commands, plan.platform, runner)))
  for (const file of steps.remove) {
    if (!existsSync(file)) continue
    rmSync(file, {recursive: true, force: true})
    lines.push(`Removed ${file}`)
  }

  // xdg-mime wrote callctl as the default into mimeapps.list: the other apps' lines stay as they are.
  if (action === 'uninstall' && plan.mimeApps && forgetDefaults(plan.mimeApps, schemes))
    lines.push(`Removed callctl's defaults from ${plan.mimeApps}`)
  lines.push(...(await runAll(steps.afterRemove, plan.platform, runner)))
  return lines
}

async function runAll(commands: ServiceCommand[], platform: NodeJS.Platform, runner: Runner): Promise<string[]> {
  const lines: string[] = []
  for (const command of commands) {
    const [file, args, options] = command
    const result = await runner(file, args)
    const line = describeCommand(command, platform)
    if (result.exitCode === 0) lines.push(`Ran: ${line}`)
    else if (options?.mayFail) lines.push(`Ran: ${line} (failed: ${options.mayFail})`)
    else {
      const reason = (result.stderr || result.stdout).trim() || 'no output'
      throw new CallctlError(`\`${line}\` failed (exit code ${result.exitCode}): ${reason}`, {
        code: 'ERR_HANDLER_COMMAND',
        suggestions: ['`callctl handler install --dry-run` shows every step: run the failed one by hand to see more'],
      })
    }
  }

  return lines
}

function write(file: string, content: string): void {
  const temporary = `${file}.${process.pid}.tmp`
  try {
    mkdirSync(path.dirname(file), {recursive: true})
    writeFileSync(temporary, content, {mode: 0o644})
    renameSync(temporary, file)
  } catch (error) {
    rmSync(temporary, {force: true})
    throw new CallctlError(`Cannot write ${file}: ${(error as Error).message}`, {
      code: 'ERR_HANDLER_FILE',
      cause: error,
      suggestions: [`Check that ${path.dirname(file)} can be written by you`],
    })
  }
}

/** Takes `x-scheme-handler/<scheme>=callctl-dial.desktop` out of mimeapps.list; true when something changed. */
function forgetDefaults(file: string, schemes: DialScheme[]): boolean {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return false
  }

  const types = new Set(schemes.map((scheme) => `x-scheme-handler/${scheme}`))
  const kept = text.split('\n').flatMap((line) => {
    const match = /^([^=]+)=(.*)$/.exec(line)
    if (!match || !types.has(match[1].trim())) return [line]
    const apps = match[2].split(';').filter((app) => app && app !== 'callctl-dial.desktop')
    return apps.length === 0 ? [] : [`${match[1]}=${apps.join(';')};`]
  })
  const next = kept.join('\n')
  if (next === text) return false
  write(file, next)
  return true
}

export interface SchemeStatus {
  scheme: DialScheme
  /** The application that opens these links now (desktop file, ProgID or bundle id), if the OS says. */
  handler?: string
  callctl: boolean
  detail?: string
}

export interface HandlerStatus {
  platform: NodeJS.Platform
  installed: boolean
  file: string
  schemes: SchemeStatus[]
}

/** Per scheme, which application is the default now and whether it is callctl. Never throws for an OS command. */
export async function handlerStatus({
  schemes = [...DIAL_SCHEMES],
  ...given
}: Partial<HandlerDeps> & {schemes?: DialScheme[]} = {}): Promise<HandlerStatus> {
  const {runner, where} = deps(given)
  const plan = handlerPlan(
    where,
    DIAL_SCHEMES.filter((scheme) => schemes.includes(scheme)),
  )
  const run = async ([file, args]: ServiceCommand) =>
    runner(file, args).catch((error: Error) => ({exitCode: -1, stdout: '', stderr: error.message}))
  const installed = plan.installedQuery ? (await run(plan.installedQuery)).exitCode === 0 : existsSync(plan.file)
  const results: SchemeStatus[] = []
  for (const query of plan.status) {
    const result = await run(query.command)
    // reg query prints `    ProgId    REG_SZ    callctl.tel`; xdg-mime and JXA print the id alone.
    const output = result.stdout.trim()
    const handler = plan.platform === 'win32' ? /REG_SZ\s+(.+)$/m.exec(output)?.[1]?.trim() : output || undefined
    if (handler === undefined && query.fallback) {
      // Windows without a UserChoice: the per-user class opens the links.
      const fallback = await run(query.fallback.command)
      const command = /REG_SZ\s+(.+)$/m.exec(fallback.stdout)?.[1]?.trim()
      if (command) {
        results.push({
          scheme: query.scheme,
          handler: `${query.fallback.name}: ${command}`,
          callctl: command.includes(query.fallback.ours),
        })
        continue
      }
    }

    results.push({
      scheme: query.scheme,
      handler,
      callctl: handler === query.ours,
      ...(result.exitCode === 0 ? {} : {detail: result.stderr.trim() || `exit code ${result.exitCode}`}),
    })
  }

  return {platform: plan.platform, installed, file: plan.file, schemes: results}
}
