import {createServer} from 'node:net'
import path from 'node:path'

import {configDir, configFile, storeFile} from '../config/paths.js'
import {hideUrlSecrets} from '../config/schema.js'
import {ListenerClient, listenerElsewhere} from '../client.js'
import {driverModule} from '../drivers/registry.js'
import type {DriverReachability} from '../engine/driver.js'
import type {CallctlError} from '../errors.js'
import {isLoopbackHost} from '../listener/security/origin.js'
import {lastRecords} from '../logs/read-log.js'
import {enableName, type Outbox, openOutbox} from '../delivery/outbox.js'
import {optionLikeArguments, README_SH_EXAMPLE, unsafeAppLines} from '../delivery/popups.js'
import {compileTargets, configuredTargetIds} from '../delivery/targets.js'
import {createLookup} from '../lookup/lookup.js'
import {type Config, loadConfig, SETTINGS} from '../settings.js'
import {serviceStatus} from '../service/index.js'
import {readHolder} from '../store/database.js'
import {handlerStatus} from '../handler/index.js'
import {installPlan} from '../wrappers/install.js'

const {existsSync, statSync} = process.getBuiltinModule('node:fs')

export type Verdict = 'ok' | 'warn' | 'fail'

export interface Check {
  name: string
  verdict: Verdict
  message: string
  /** What to do about a warn or fail. */
  fix?: string
}

/** `driver` is {name, state, detail}; older listeners sent the name alone. */
type Listener = {pid: number; driver: string | ({name: string} & DriverReachability); version: string} | undefined

const driverName = (listener: NonNullable<Listener>) =>
  typeof listener.driver === 'string' ? listener.driver : listener.driver.name

const ok = (name: string, message: string): Check => ({name, verdict: 'ok', message})
const warn = (name: string, message: string, fix: string): Check => ({name, verdict: 'warn', message, fix})
const fail = (name: string, message: string, fix: string): Check => ({name, verdict: 'fail', message, fix})

/**
 * `callctl doctor`: every check a user would otherwise do by hand when "the CRM gets no notifications" or "the
 * link does nothing", each with its fix. Checks never throw: a check that cannot tell says so as a warning.
 */
export async function diagnose({port}: {port?: number} = {}): Promise<Check[]> {
  let config: Config
  try {
    config = loadConfig()
    config.port = port ?? config.port
  } catch (error) {
    return [
      fail('config', (error as Error).message, (error as CallctlError).suggestions?.[0] ?? 'Edit the file by hand'),
    ]
  }

  // Beyond the schema: what `config set` would refuse and `listen` would stop on (a template's unknown placeholder).
  const problems = await SETTINGS.problems(config)
  const checks: Check[] = [
    problems.length > 0
      ? fail('config', problems.join('; '), 'Fix it with callctl config set (it says what each key takes)')
      : ok(
          'config',
          existsSync(configFile()) ? `valid (${configFile()})` : `no file yet: the defaults apply (${configFile()})`,
        ),
  ]
  const listener = await probeListener(config)
  checks.push(
    await checkPort(config, listener),
    await checkListener(config, listener),
    await checkDriver(config, listener),
    checkExposure(config),
    ...checkConfigFolder(),
    ...checkPopupApps(config),
  )
  checks.push(...(await checkTargets(config)), ...checkDeliveries(config), ...(await checkLookup(config)))
  checks.push(checkWrappers(), await checkService(), await checkLinkHandler())
  return checks
}

async function probeListener(config: Config): Promise<Listener> {
  try {
    return await new ListenerClient({timeoutMs: 2000}, config).status()
  } catch {
    return undefined
  }
}

async function checkPort(config: Config, listener: Listener): Promise<Check> {
  if (listener) return ok('port', `${config.port} is held by callctl (pid ${listener.pid})`)
  const problem = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    const server = createServer()
    server.once('error', resolve)
    server.listen(config.port, isLoopbackHost(config.host) ? config.host : '0.0.0.0', () =>
      server.close(() => resolve(undefined)),
    )
  })
  if (!problem) return ok('port', `${config.port} is free`)
  return problem.code === 'EADDRINUSE'
    ? fail(
        'port',
        `${config.port} is used by another program (or a callctl with another token)`,
        "Pick another port: callctl config set port 5679 (and use it in your CRM's URLs)",
      )
    : fail(
        'port',
        `cannot listen on ${config.host}:${config.port}: ${problem.message}`,
        'Check the host and port settings: callctl config get host',
      )
}

async function checkListener(config: Config, listener: Listener): Promise<Check> {
  // The listener that answers may be another config folder's (its port set to this one's): it runs with its own
  // settings, so this folder's number lists and templates do not apply to what is sent to it.
  if (listener && readHolder(storeFile())?.pid !== listener.pid)
    return warn(
      'listener',
      `callctl ${listener.version} answers on ${config.host}:${config.port} (pid ${listener.pid}), but it runs with another config folder than ${configDir()}: these settings do not apply to it`,
      "Stop it and start this folder's: callctl listen; or give this folder another port: callctl config set port 5679",
    )
  return listener
    ? ok(
        'listener',
        `callctl ${listener.version} answers on ${config.host}:${config.port} (driver ${driverName(listener)})`,
      )
    : await noListener(config)
}

/** Nothing on the configured port: this folder's listener may run on another (a port change waiting for a restart). */
async function noListener(config: Config): Promise<Check> {
  const elsewhere = await listenerElsewhere(config.port)
  return elsewhere
    ? warn(
        'listener',
        `nothing answers on ${config.host}:${config.port}; this config folder's listener (pid ${elsewhere.pid}) runs on port ${elsewhere.port}`,
        `Restart it to move it to port ${config.port}: stop it and run callctl listen again (or callctl service stop; callctl service start)`,
      )
    : warn(
        'listener',
        `nothing answers on ${config.host}:${config.port}`,
        'Start it: callctl listen (or in the background: callctl service install)',
      )
}

async function checkDriver(config: Config, listener: Listener): Promise<Check> {
  // The driver the running listener uses (`listen --driver` may differ from the config), else the configured one.
  const name = listener ? driverName(listener) : config.driver.name
  const running = listener && typeof listener.driver === 'object' ? listener.driver : undefined
  const module = driverModule(name)
  if (!module?.check) {
    if (running && running.state !== 'connected')
      return fail(
        'driver',
        `${name}: ${running.state}: ${running.detail}`,
        'See callctl logs for what the driver reported',
      )
    return ok('driver', name)
  }

  // Merged over the driver's defaults when the config was read.
  const {verdict, message, fix} = await module.check(
    (config.driver as unknown as Record<string, object>)[module.name],
    Boolean(listener),
    running && {state: running.state, detail: running.detail},
  )
  return {name: 'driver', verdict, message, ...(fix && {fix})}
}

function checkExposure(config: Config): Check {
  if (isLoopbackHost(config.host))
    return ok(
      'security',
      `listening on ${config.host} only (this computer)${config.security.token ? ', with a token' : ''}`,
    )
  return config.security.token
    ? ok('security', `listening on ${config.host} with a token`)
    : fail(
        'security',
        `host ${config.host} is reachable from other machines and no token is set (the listener refuses to start)`,
        'callctl config set security.token --generate, or callctl config set host 127.0.0.1',
      )
}

/**
 * The folder holds the token, callback secrets and the outbox. callctl creates it 0700; one that existed before (or
 * was changed) is the user's to fix: doctor says so rather than changing the mode of a folder it did not create.
 */
function checkConfigFolder(): Check[] {
  if (process.platform === 'win32') return []
  const dir = configDir()
  let mode: number
  try {
    mode = statSync(dir).mode & 0o777
  } catch {
    return []
  }

  return mode & 0o077
    ? [
        warn(
          'config folder',
          `${dir} can be read by other users of this computer (mode ${mode.toString(8)}); it holds the token, callback secrets and the outbox`,
          `chmod 700 '${dir}'`,
        ),
      ]
    : [ok('config folder', `${dir} is readable by its owner only`)]
}

/** A caller's name must not become an option of a popup app (README "Notifications, callbacks and popups"). */
function checkPopupApps(config: Config): Check[] {
  const unsafe = unsafeAppLines(config).map((problem) =>
    fail(
      'popups',
      `${problem}: a caller's name such as "$(rm -rf ~)" would run as commands`,
      `Pass each value as a whole argument of its own after the code: ${README_SH_EXAMPLE}`,
    ),
  )
  return [
    ...unsafe,
    ...optionLikeArguments(config).map((problem) =>
      warn(
        'popups',
        problem,
        'Put -- before it if the app takes it ("app": "crm-app -- {CALLERNAME}"), or join it to its option ("--name={CALLERNAME}")',
      ),
    ),
  ]
}

/** Every notification and callback host must resolve, or nothing ever arrives. */
async function checkTargets(config: Config): Promise<Check[]> {
  try {
    compileTargets(config)
  } catch (error) {
    return [fail('notifications', (error as Error).message, 'Fix the template with callctl config set')]
  }

  const targets = [
    // The URLs only: `includeInternal` is a setting of them, not a target.
    ...Object.entries(config.notifications)
      .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
      .map(([event, url]) => ({key: `notifications.${event}`, url})),
    ...config.callbacks.map((callback, index) => ({key: `callbacks[${index}]`, url: callback.url})),
  ]
  if (targets.length === 0)
    return [
      warn(
        'notifications',
        'no notification URLs or callbacks are set',
        "Set one: callctl config set notifications.incoming 'https://crm.example.com/call?number=$callerid'",
      ),
    ]
  const {lookup} = await import('node:dns/promises')
  const hosts = new Map<string, string[]>()
  for (const target of targets) {
    const host = hostOf(target.url)
    if (host) hosts.set(host, [...(hosts.get(host) ?? []), target.key])
  }

  return Promise.all(
    [...hosts].map(async ([host, keys]) => {
      try {
        await lookup(host)
        return ok('notifications', `${host} resolves (${keys.join(', ')})`)
      } catch (error) {
        return fail(
          'notifications',
          `${host} does not resolve (${keys.join(', ')}): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
          'Check the URL with callctl config get, and the network or VPN',
        )
      }
    }),
  )
}

/** What the outbox and the log say about deliveries: the usual answer to "why does my CRM get nothing?". */
function checkDeliveries(config: Config): Check[] {
  let outbox: Outbox
  try {
    outbox = openOutbox()
  } catch (error) {
    return [
      fail(
        'store',
        `cannot read callctl's store: ${(error as Error).message}`,
        (error as CallctlError).suggestions?.[0] ??
          'Check that the config folder is readable and writable by you (callctl config path shows it)',
      ),
    ]
  }

  const pending = outbox.pending().length
  const failed = outbox.failedCount()
  const damaged = outbox.store.quarantineCount()
  // Only targets in the config now: a callback removed (or given another URL) is fixed, whatever the log says of it.
  const ids = configuredTargetIds(config)
  const keys = new Set([
    ...Object.keys(config.notifications)
      .filter((event) => event !== 'includeInternal')
      .map((event) => `notifications.${event}`),
    ...config.callbacks.map((_callback, index) => `callbacks[${index}]`),
  ])
  // Records and rows of an older callctl have no identity: their key is all there is.
  const current = (target: unknown, targetId: unknown) =>
    typeof targetId === 'string' ? ids.has(targetId) : keys.has(String(target))
  const allDisabled = outbox.disabled()
  const disabled = allDisabled.filter((off) => current(off.target, off.targetId))
  outbox.store.close()
  const errors = new Map<string, string>()
  const checks: Check[] = []
  let records: ReturnType<typeof lastRecords> = []
  try {
    records = lastRecords(1000)
  } catch (error) {
    // The deliveries' last outcomes are in the log: one that cannot be read is a finding, not the end of doctor.
    checks.push(fail('log', (error as Error).message, (error as CallctlError).suggestions?.[0] ?? 'callctl logs'))
  }

  for (const record of records) {
    if (record.kind !== 'delivery' || !current(record.target, record.targetId)) continue
    if (record.outcome === 'delivered') errors.delete(String(record.target))
    else
      errors.set(String(record.target), `${String(record.error)} (${String(record.url)}, ${String(record.time ?? '')})`)
  }

  for (const off of disabled)
    checks.push(
      fail(
        'delivery',
        `${off.target} is switched off: ${off.url} answered ${off.reason} at ${off.at}; nothing is sent to it`,
        `Once the receiver wants callbacks again: callctl outbox --enable ${enableName(off, allDisabled)}`,
      ),
    )
  if (damaged > 0)
    checks.push(
      fail(
        'store',
        `${damaged} damaged stored record(s) were set aside (quarantined), not sent`,
        'callctl outbox lists them with their raw contents; callctl outbox --purge-damaged deletes them',
      ),
    )
  for (const [target, error] of errors)
    checks.push(
      fail(
        'delivery',
        `${target}: the last attempt failed: ${error}`,
        'Check that the receiver is up and accepts the request; callctl logs -f shows each attempt',
      ),
    )
  if (failed > 0)
    checks.push(
      warn(
        'outbox',
        `${failed} notification(s) failed: refused by the receiver, or still failing after ${config.delivery.maxAgeHours} h`,
        'Once the receiver is fixed: callctl outbox --retry',
      ),
    )
  else if (pending > 0)
    checks.push(
      warn(
        'outbox',
        `${pending} notification(s) waiting to be delivered`,
        'They are retried while the listener runs; callctl outbox shows them',
      ),
    )
  else if (errors.size === 0) checks.push(ok('outbox', 'nothing waiting, nothing failed'))
  return checks
}

function labelOf(source: Config['lookup']['sources'][number]): string {
  return source.url === undefined ? (source.csv ?? source.vcard ?? '') : hideUrlSecrets(source.url)
}

/** Each caller-name source, asked for a number no one has: a missing file or a CRM that fails shows here. */
async function checkLookup(config: Config): Promise<Check[]> {
  if (config.lookup.sources.length === 0) return []
  const problems: string[] = []
  const waitMs = Math.max(config.lookup.timeoutMs, 2000)
  // Each source on its own, so that one that does not answer is named.
  await Promise.all(
    config.lookup.sources.map(async (source, index) => {
      const lookup = createLookup({
        settings: {...config.lookup, sources: [source], cacheSeconds: 0, timeoutMs: waitMs},
        userAgent: 'callctl-doctor',
        onFailure: (message) => problems.push(`lookup.sources[${index}]: ${message.replace(/^lookup: /, '')}`),
      })
      const result = await lookup.resolve('+0000000000')
      if (result.outcome === 'timeout')
        problems.push(`lookup.sources[${index}] (${labelOf(source)}) gave no answer within ${waitMs} ms`)
    }),
  )
  return problems.length === 0
    ? [ok('lookup', `${config.lookup.sources.length} caller-name source(s) answer`)]
    : problems.map((problem) =>
        warn('lookup', problem, 'Calls still go out, without a name from this source; fix the path, URL or token'),
      )
}

function checkWrappers(): Check {
  try {
    const {copies} = installPlan()
    const missing = copies.filter(({to}) => !existsSync(to))
    return missing.length === 0
      ? ok('scripts', `installed in ${path.dirname(copies[0].to)}`)
      : warn(
          'scripts',
          'the AppleScript/PowerShell wrappers are not installed',
          'callctl scripts install (optional: only for scripts and the Script menu)',
        )
  } catch (error) {
    return warn('scripts', `cannot tell: ${(error as Error).message}`, 'callctl scripts shows where they are')
  }
}

async function checkService(): Promise<Check> {
  try {
    const status = await serviceStatus()
    if (!status.installed)
      return warn('service', 'not installed: the listener does not start at login', 'callctl service install')
    return status.running === false
      ? warn(
          'service',
          `installed (${status.file}) but not running${status.detail ? `: ${status.detail}` : ''}`,
          'callctl service start; then callctl logs',
        )
      : ok('service', `installed (${status.file})${status.running ? ', running' : ''}`)
  } catch (error) {
    return warn('service', `cannot tell: ${(error as Error).message}`, 'callctl service status')
  }
}

/** Whether a clicked tel:, callto: or sip: link reaches callctl (README "Click-to-dial from any app"). */
async function checkLinkHandler(): Promise<Check> {
  try {
    const status = await handlerStatus()
    const ours = status.schemes.filter((scheme) => scheme.callctl).map((scheme) => `${scheme.scheme}:`)
    const others = status.schemes
      .filter((scheme) => !scheme.callctl)
      .map((scheme) => `${scheme.scheme}: ${scheme.handler ?? 'no default'}`)
    if (!status.installed)
      return warn(
        'links',
        'callctl is not the handler of phone links',
        'callctl handler install (optional: click-to-dial)',
      )
    // The default, but a click would still fail (a moved program, a path xdg-open splits).
    if (status.problems.length > 0)
      return warn('links', status.problems[0], 'callctl handler install again (callctl handler status)')
    if (others.length === 0) return ok('links', `${ours.join(', ')} links open callctl dial`)
    return warn(
      'links',
      `installed, but not the default for ${others.join(', ')}`,
      'callctl handler install again, or choose callctl in your system settings (callctl handler status)',
    )
  } catch (error) {
    return warn('links', `cannot tell: ${(error as Error).message}`, 'callctl handler status')
  }
}

function hostOf(template: string): string | undefined {
  return /^https?:\/\/(\[[^\]]+\]|[^/:?#]+)/i.exec(template)?.[1].replace(/^\[|\]$/g, '')
}
