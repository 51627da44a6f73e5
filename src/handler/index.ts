import {homedir} from 'node:os'
import path from 'node:path'

import {CallctlError, ExitCode} from '../errors.js'
import {handsOffTo} from '../drivers/uri.js'
import {type Config, loadConfig} from '../settings.js'
import {DIAL_SCHEMES, type DialScheme} from '../dialing/link.js'
import {describeCommand, execaRunner, runCommands, type Runner, type ServiceCommand} from '../service/index.js'
import {packageRoot} from '../wrappers/install.js'
import {
  DESKTOP_ID,
  desktopEntry,
  type HandlerAction,
  type HandlerPlan,
  handlerPlan,
  type HandlerWhere,
  plainForGenericXdg,
} from './plan.js'

const {chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync} =
  process.getBuiltinModule('node:fs')

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
  if (action === 'install' && plan.mimeApps) refuseWordsXdgSplits(where)
  if (action === 'install') refuseHandoffLoop(unique)
  const steps = plan.mimeApps ? keepOtherSchemes(plan, action, where, unique) : plan[action]
  const lines = dryRun ? describe(steps, plan.platform) : await apply(steps, plan, action, unique, runner)
  return {
    action,
    platform: plan.platform,
    schemes: unique,
    dryRun,
    lines: [...lines, ...steps.notes.map((note) => (dryRun ? `Then: ${note}` : note))],
  }
}

/**
 * The uri driver hands each call to the handler of its template's scheme: with callctl that handler, every call would
 * come back to callctl (dial refuses such a link at its first return, see src/handler/dial.ts). Refused at install,
 * naming what to do instead. A config that cannot be read is dial's to report, not a reason to refuse here.
 */
function refuseHandoffLoop(schemes: DialScheme[]): void {
  let config: Config
  try {
    config = loadConfig()
  } catch {
    return
  }

  const scheme = handsOffTo(config.driver)
  if (scheme === undefined || !(schemes as string[]).includes(scheme)) return
  const others = schemes.filter((other) => other !== scheme)
  throw new CallctlError(
    `Cannot make callctl the handler of ${scheme}: links: the uri driver hands calls to the ${scheme}: handler (driver.uri.template ${JSON.stringify(config.driver.uri.template)}), so each call would come back to callctl`,
    {
      code: 'ERR_HANDOFF_LOOP',
      exit: ExitCode.usage,
      suggestions: [
        ...(others.length > 0
          ? [
              `Install for the other schemes: callctl handler install ${others.map((other) => `--scheme ${other}`).join(' ')}`,
            ]
          : []),
        'or let callctl drive the phone itself: callctl config set driver.name baresip (or another driver)',
      ],
    },
  )
}

/**
 * Debian's xdg-open without a desktop (its generic mode) splits a desktop entry's Exec at spaces and keeps quotes
 * and `%%` as they are: a path that needs quoting reaches dial as several words, or as another (relative) folder.
 * Refused at install, with what to change, rather than a click that silently does nothing.
 */
function refuseWordsXdgSplits(where: HandlerWhere): void {
  const names = ['the Node program', "callctl's bin/run.js", 'the config folder (CALLCTL_CONFIG_DIR)']
  const paths = [where.nodePath, where.runJs, where.configDir]
  const bad = paths.findIndex((word) => word !== undefined && !plainForGenericXdg(word))
  if (bad === -1) return
  throw new CallctlError(
    `Cannot install the link handler: the path of ${names[bad]}, ${JSON.stringify(paths[bad])}, holds a character other than letters, digits and _ @ + = : , . / -, which xdg-open without a desktop cannot pass on (it splits at spaces and keeps quotes)`,
    {
      code: 'ERR_HANDLER_PATH',
      suggestions: [
        bad === 2
          ? 'Use a config folder whose path has none (e.g. CALLCTL_CONFIG_DIR=~/.config/callctl-work), then run handler install again'
          : 'Install Node and callctl in a folder whose path has none, then run handler install again',
      ],
    },
  )
}

/** The schemes an installed desktop entry declares (its MimeType=). */
function declaredSchemes(file: string): DialScheme[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return []
  }

  const types = /^MimeType=(.*)$/m.exec(text)?.[1]?.split(';') ?? []
  return DIAL_SCHEMES.filter((scheme) => types.includes(`x-scheme-handler/${scheme}`))
}

/**
 * One desktop entry serves every scheme: `install --scheme tel` adds tel to the schemes it declares, and
 * `uninstall --scheme tel` takes tel out of it, keeping the file (and the others' defaults) while any scheme is left.
 */
function keepOtherSchemes(
  plan: HandlerPlan,
  action: 'install' | 'uninstall',
  where: HandlerWhere,
  schemes: DialScheme[],
): HandlerAction {
  const declared = declaredSchemes(plan.file)
  if (action === 'install') {
    const all = DIAL_SCHEMES.filter((scheme) => declared.includes(scheme) || schemes.includes(scheme))
    return {...plan.install, files: [{path: plan.file, content: desktopEntry(where, all)}]}
  }

  const left = declared.filter((scheme) => !schemes.includes(scheme))
  if (left.length === 0) return plan.uninstall
  const text = readFileSync(plan.file, 'utf8')
    .replace(/^MimeType=.*$/m, `MimeType=${left.map((scheme) => `x-scheme-handler/${scheme};`).join('')}`)
    .replace(
      /^Comment=.*$/m,
      `Comment=Dial phone links (${left.map((scheme) => `${scheme}:`).join(', ')}) with callctl`,
    )
  return {
    ...plan.uninstall,
    files: [{path: plan.file, content: text}],
    remove: [],
    notes: [`${left.map((scheme) => `${scheme}:`).join(', ')} links still run callctl dial.`],
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
  return runCommands(commands, platform, runner, (line, result) => {
    const reason = (result.stderr || result.stdout).trim() || 'no output'
    return new CallctlError(`\`${line}\` failed (exit code ${result.exitCode}): ${reason}`, {
      code: 'ERR_HANDLER_COMMAND',
      suggestions: ['`callctl handler install --dry-run` shows every step: run the failed one by hand to see more'],
    })
  })
}

function write(file: string, content: string, mode = 0o644): void {
  const temporary = `${file}.${process.pid}.tmp`
  try {
    mkdirSync(path.dirname(file), {recursive: true})
    writeFileSync(temporary, content, {mode})
    // writeFileSync's mode is filtered by the umask; the file gets exactly the mode asked for.
    chmodSync(temporary, mode)
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
    // `tel = a.desktop ; callctl-dial.desktop`: spaces around = and ; are allowed by the spec.
    const listed = match[2].split(';').map((app) => app.trim())
    if (!listed.includes(DESKTOP_ID)) return [line]
    const apps = listed.filter((app) => app && app !== DESKTOP_ID)
    return apps.length === 0 ? [] : [`${match[1].trim()}=${apps.join(';')};`]
  })
  const next = kept.join('\n')
  if (next === text) return false
  // mimeapps.list may be private (0600): it stays as readable as it was.
  write(file, next, statSync(file).mode & 0o777)
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
  /** Why a click would not reach callctl although it is the default (a moved program, a path xdg-open splits). */
  problems: string[]
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

  const problems = installed && plan.mimeApps ? desktopEntryProblems(plan.file) : []
  return {platform: plan.platform, installed, file: plan.file, schemes: results, problems}
}

/**
 * What would make the installed desktop entry fail on a click although it is the default: words that Debian's
 * generic xdg-open splits or keeps quoted, and programs or folders it names that are gone.
 */
function desktopEntryProblems(file: string): string[] {
  let exec: string | undefined
  try {
    exec = /^Exec=(.*)$/m.exec(readFileSync(file, 'utf8'))?.[1]
  } catch (error) {
    return [`${file} cannot be read: ${(error as Error).message}`]
  }

  const fix = 'run `callctl handler install` again'
  if (exec === undefined) return [`${file} has no Exec line: ${fix}`]
  if (/["'\\`$]|%%/.test(exec))
    return [
      `${file} runs a command with quoted words, which xdg-open without a desktop splits: install from paths of letters, digits and _ @ + = : , . / - (see callctl handler install)`,
    ]
  const [node, runJs, ...rest] = exec.split(' ')
  const configDir = rest.indexOf('--config-dir')
  const named = [
    ['the Node program', node],
    ["callctl's bin/run.js", runJs],
    ...(configDir === -1 ? [] : [['the config folder', rest[configDir + 1]]]),
  ]
  return named
    .filter(([, target]) => !target || !existsSync(target))
    .map(([what, target]) => `${file} runs ${what} ${target ?? '(none)'}, which does not exist: ${fix}`)
}
