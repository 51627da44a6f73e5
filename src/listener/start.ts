import type {Server} from 'node:http'
import type {AddressInfo} from 'node:net'

import {DRIVER_NAMES, driverModule, driversThatCan} from '../drivers/registry.js'
import type {Driver} from '../engine/driver.js'
import {CallControl, type DriverStatus, reporterFor} from '../engine/control.js'
import {CallEngine} from '../engine/engine.js'
import {CallctlError, ExitCode, RequestError} from '../errors.js'
import {startNotifications} from '../delivery/notifications.js'
import {OUTBOX_SCHEMA, openOutbox} from '../delivery/outbox.js'
import {configDir, storeFile} from '../config/paths.js'
import {Store} from '../store/database.js'
import {LIVE_CALLS_SCHEMA, RESTART_REASON, STOP_REASON, endLeftoverCalls, recordLiveCalls} from './live-calls.js'
import {compileNumberPolicy} from '../engine/number-policy.js'
import {buildHandler, createListener} from './app.js'
import {eventStreamRoute} from './events.js'
import {keepMemoryLean} from './memory.js'
import {lookedUpNames} from './looked-up-names.js'
import {JsonText} from './http.js'
import type {ReportSink} from './report.js'
import {compatStep} from './compat.js'
import {isLoopbackHost} from './security/origin.js'
import {securityGuards} from './security/policy.js'
import {type ListenerSettings, RESTART_KEYS} from './settings.js'
import type {DeliverySettings} from '../delivery/settings.js'
import {JOURNAL_SCHEMA, startJournal} from '../journal/journal.js'
import {HTTP_MAX_LIMIT, queryJournal} from '../journal/history.js'
import type {JournalSettings} from '../journal/settings.js'
import {normalizeNumber} from '../engine/number.js'
import {applyDialingRules, numberMatching} from '../dialing/rules.js'
import type {DialingSettings} from '../dialing/settings.js'
import {isDialLink, parseDialLink} from '../dialing/link.js'
import {dialLinkStep} from './dial-links.js'
import {createLookup} from '../lookup/lookup.js'
import type {LookupSettings} from '../lookup/settings.js'

/** What the listener runs with: its own settings, outbound delivery's, and the driver's under `driver.<name>`. */
export type ListenerConfig = ListenerSettings &
  DeliverySettings &
  JournalSettings &
  LookupSettings & {driver: {name: string}; dialing: DialingSettings}

/** `numbers.allow` / `numbers.block` with the dialing settings, so that every way of writing a number matches. */
const numberPolicy = (config: ListenerConfig) => compileNumberPolicy(config.numbers, numberMatching(config.dialing))

export interface StartOptions {
  config: ListenerConfig
  version: string
  /** Where the listener's reports go: call events, requests, deliveries, popups, the driver's and start-up notes. */
  report?: ReportSink
}

export interface RunningListener {
  url: string
  control: CallControl
  /**
   * Takes a changed config without a restart: templates, callbacks, popups, URLs, security, number rules at once,
   * the driver once no call is live. Says what it applied, what needs a restart (port, host) and what waits.
   * Throws, changing nothing, when the new config does not compile.
   */
  reconfigure(next: ListenerConfig): Promise<{applied: string[]; restart: string[]; waiting: string[]}>
  close(): Promise<void>
}

/** The number a `/make` asks for, from a link or as typed; a number the rules then refuse keeps its own error. */
function dialTarget(raw: string): string {
  return isDialLink(raw.trim()) ? parseDialLink(raw).number : normalizeNumber(raw)
}

/** How long a stopping listener waits for requests in flight before it closes their connections. */
const STOP_GRACE_MS = 2000
/** How long it waits, at most, for what those requests set going (a driver's command) before it closes the store. */
const IN_FLIGHT_LIMIT_MS = 30_000

/** Loads the driver, wires the engine's subscribers, and starts accepting requests on the configured port. */
export async function startListener(options: StartOptions): Promise<RunningListener> {
  const {version, report = () => {}} = options
  let config = options.config
  if (!isLoopbackHost(config.host)) {
    if (!config.security.token) {
      throw new CallctlError(
        // An empty host is Node's "every address".
        `Refusing to listen on ${config.host || 'every address (an empty --host)'} without a token: anyone who can reach this machine could dial`,
        {
          code: 'ERR_TOKEN_REQUIRED',
          exit: ExitCode.usage,
          suggestions: ['Run `callctl config set security.token --generate` first, or listen on 127.0.0.1'],
        },
      )
    }

    report({
      kind: 'warning',
      message: `listening on ${config.host}: reachable from other machines; every request needs security.token`,
    })
  }

  const checkNumber = numberPolicy(config)
  const store = openStore(config.port)
  if (store.movedAside)
    report({
      kind: 'warning',
      message: `store: ${store.file} was not a readable database; moved aside to ${store.movedAside} and started anew`,
    })
  const engine = new CallEngine({
    atomically: (work) =>
      store.atomically(work, (error) =>
        report({kind: 'warning', message: `store: a call event could not be stored: ${error.message}`}),
      ),
  })
  engine.subscribe((event) => report({kind: 'event', ...event}))
  const names = lookedUpNames(() => config.lookup.overridePhoneName)
  const journal = startJournal(engine, store, {...config.journal, nameOf: names.nameOf})
  const lookupFor = (settings: ListenerConfig['lookup']) =>
    createLookup({
      settings,
      userAgent: `callctl/${version}`,
      onFailure: (message) => report({kind: 'warning', message}),
      onLookup: (callId, result) => {
        if (result.name) names.found(callId, result.name)
        report({kind: 'lookup', callId, ...result})
      },
    })
  let lookup = lookupFor(config.lookup)
  const notifications = startNotifications(engine, {
    // The caller's name from the lookup's sources, before popups and callbacks render.
    enrich: (event) => lookup.enrich(event),
    config,
    userAgent: `callctl/${version}`,
    outbox: openOutbox(store, (message) => report({kind: 'config', message})),
    onTrouble: (message) => report({kind: 'warning', message}),
    onDelivery: (record) => {
      if (record.outcome === 'delivered') {
        try {
          journal.delivered(record.callId, record.event, record.target)
        } catch (error) {
          report({kind: 'warning', message: `journal: a delivery could not be noted: ${(error as Error).message}`})
        }
      }

      report({kind: 'delivery', ...record})
    },
    onPopup: (record) => report({kind: 'popup', ...record}),
    onPopupLink: (callId, url) => report({kind: 'popup-link', callId, url}),
  })

  async function createDriver(settings: ListenerConfig['driver']): Promise<Driver> {
    const module = driverModule(settings.name)
    if (!module)
      throw new RequestError(
        `Unknown driver "${settings.name}"; available: ${DRIVER_NAMES.join(', ')}`,
        'ERR_UNKNOWN_DRIVER',
      )
    const created = await module.create({
      reporter: reporterFor(engine),
      // Merged over the driver's defaults when the config was read.
      settings: (settings as unknown as Record<string, object>)[module.name],
      log: (message) => report({kind: 'driver', message}),
    })
    await created.init?.()
    return created
  }

  const stopRecording = recordLiveCalls(engine, store)
  /** What a stopping (or failed) start lets go of, in order: nothing is written to the store once it is closed. */
  async function release(driver?: Driver): Promise<void> {
    stopRecording()
    journal.close()
    notifications.close()
    await driver?.close?.()
    store.close()
  }

  const driver = await createDriver(config.driver).catch(async (error: unknown) => {
    await release()
    throw error
  })

  const control = new CallControl(engine, driver, {
    checkNumber,
    holdOnAnswer: config.calls.holdOnAnswer,
    driversThatCan,
  })
  const events = eventStreamRoute(engine, () => config.user)
  const status = cachedStatus(
    engine,
    () => {
      const {calls, recent, ...rest} = control.status()
      const named = <C extends {id: string; name: string}>(call: C): C => ({...call, name: names.nameOf(call)})
      return {name: 'callctl', version, pid: process.pid, ...rest, calls: calls.map(named), recent: recent.map(named)}
    },
    () => ({
      ...notifications.deliveries(),
      subscribers: events.subscribers(),
      // Read per request and compared: keys, not a serialization. The driver object itself, for a driver replaced
      // live by one in the same state (new settings, other capabilities).
      shown: [
        names.revision(),
        config.lookup.overridePhoneName,
        reachabilityKey(control.reachability()),
        control.driver,
      ],
    }),
  )
  let port = config.port
  // Guards keep state (pending confirmations, the rate limit): new ones only when the security settings change.
  // The number rules as they are now: reconfigure replaces control.checkNumber.
  const numberRules = (number: string) => control.checkNumber(number)
  let guards = securityGuards({security: config.security, port: () => port, checkNumber: numberRules})
  const handlerFor = (next: ListenerConfig) =>
    buildHandler({
      control,
      config: next,
      version,
      routes: {
        status: async () => status(),
        history: async ({fields}) => ({ok: true, calls: queryJournal(store.db, fields, HTTP_MAX_LIMIT)}),
        events: events.route,
        popup: async ({fields}) => ({ok: true, popups: await notifications.openClickPopups(fields.call || undefined)}),
      },
      steps: [compatStep(next), dialLinkStep(next)],
      guards,
      // A body's number may be a link too (the step rewrote the URL's); the rules apply to the number in it.
      dialNumber: (raw) => applyDialingRules(dialTarget(raw), next.dialing).number,
      onRequest: report,
      stored: () => store.committed(),
      track: (work) => {
        inFlight.add(work)
        void work.finally(() => inFlight.delete(work))
      },
    })
  /** Requests being worked on, whatever handler took them: a stop lets them finish before the store closes. */
  const inFlight = new Set<Promise<void>>()
  let handler = handlerFor(config)
  const stopKeepingMemoryLean = keepMemoryLean()
  const server = createListener((req, res) => handler(req, res))
  try {
    await listen(server, config.port, config.host, config.security.token)
  } catch (error) {
    stopKeepingMemoryLean()
    await release(driver)
    throw error
  }

  // Calls the previous listener left live when it died: their end notifications go out now, once.
  const leftover = endLeftoverCalls(engine, store)
  journal.prune()
  notifications.refresh()
  if (leftover.length > 0)
    report({
      kind: 'warning',
      message: `${leftover.length} call(s) were live when the listener last stopped without ending them; ended now ("${RESTART_REASON}")`,
    })

  // A driver whose settings changed while calls were live: swapped once the last one has ended.
  let pendingDriver: ListenerConfig['driver'] | undefined
  let driverSettings = config.driver
  /**
   * The old driver is closed before the new one starts: a driver may hold what the next one needs (a spawned baresip
   * its SIP and ctrl ports, which a second baresip could not open while the first connected in its place). If the
   * new one fails, the old settings start again, so a failed change never leaves the listener without a phone.
   */
  async function swapDriver(settings: ListenerConfig['driver']): Promise<void> {
    const previous = control.driver
    await previous.close?.()
    try {
      control.driver = await createDriver(settings)
      driverSettings = settings
    } catch (error) {
      control.driver = await createDriver(driverSettings).catch((again: unknown) => {
        report({
          kind: 'warning',
          message: `config: the previous driver settings failed to start again too (${(again as Error).message}); restart the listener`,
        })
        return previous
      })
      throw error
    }
  }

  engine.subscribe((event) => {
    if (event.call.state !== 'ended' || !pendingDriver || engine.live().length > 0) return
    const settings = pendingDriver
    pendingDriver = undefined
    // The `end` that ended the last call may still wait for the driver's answer (baresip sends the event first):
    // the old driver goes once no command is in flight.
    void control
      .whenIdle()
      .then(async () => swapDriver(settings))
      .then(
        () => report({kind: 'config', message: `config: driver ${settings.name} started with the new settings`}),
        (error: unknown) =>
          report({
            kind: 'warning',
            message: `config: the new driver settings failed (${(error as Error).message}); the previous driver runs on`,
          }),
      )
  })

  // Port 0 asks the OS for a free port: report the one it gave.
  ;({port} = server.address() as AddressInfo)
  store.setHolderPort(port)
  return {
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    control,
    async reconfigure(next) {
      const changed = (Object.keys(next) as Array<keyof ListenerConfig>).filter(
        (key) => JSON.stringify(next[key]) !== JSON.stringify(config[key]),
      )
      const live = changed.filter((key) => !RESTART_KEYS.includes(key))
      const restart = changed.filter((key) => RESTART_KEYS.includes(key))
      // Everything is compiled before anything changes: a mistake throws and the listener runs on as it was.
      const nextCheckNumber = numberPolicy(next)
      const nextLookup = live.includes('lookup') ? lookupFor(next.lookup) : lookup
      const nextGuards = live.includes('security')
        ? securityGuards({security: next.security, port: () => port, checkNumber: numberRules})
        : guards
      const previousGuards = guards
      guards = nextGuards
      // The socket stays where it is: port and host as bound.
      const running = {...next, port: config.port, host: config.host}
      let nextHandler: typeof handler
      try {
        nextHandler = handlerFor(running)
        notifications.reconfigure(next)
      } catch (error) {
        guards = previousGuards
        throw error
      }

      if (live.includes('driver')) {
        if (engine.live().length > 0) {
          pendingDriver = next.driver
        } else {
          try {
            await swapDriver(next.driver)
          } catch (error) {
            guards = previousGuards
            notifications.reconfigure(config)
            throw error
          }
        }
      }

      control.checkNumber = nextCheckNumber
      control.holdOnAnswer = next.calls.holdOnAnswer
      journal.setRetentionDays(next.journal.retentionDays)
      lookup = nextLookup
      handler = nextHandler
      config = running
      const waiting = pendingDriver ? ['driver'] : []
      return {applied: live.filter((key) => !waiting.includes(key)), restart, waiting}
    },
    async close() {
      // Calls still live are no longer followed: they end now, so that `/events` subscribers hear it before their
      // stream ends, and their end goes to the outbox (sent at the next start if not before), rather than CRMs
      // showing them live for good.
      const endLiveCalls = () => {
        for (const call of engine.live()) engine.finish(call.id, STOP_REASON)
      }

      endLiveCalls()
      // No new requests; those in flight (a `make` waiting for the phone) get a moment to be answered.
      events.end()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections()
        setTimeout(() => server.closeAllConnections(), STOP_GRACE_MS).unref()
      })
      // A make whose driver is still dialling (a command driver's program) is recorded before the store closes,
      // even if its client is gone; drivers bound their work (driver.command.timeoutMs), and so does this.
      await new Promise<void>((resolve) => {
        const limit = setTimeout(resolve, IN_FLIGHT_LIMIT_MS)
        void Promise.allSettled([...inFlight]).then(() => {
          clearTimeout(limit)
          resolve()
        })
      })
      // What they made live ends as the others did.
      endLiveCalls()
      stopKeepingMemoryLean()
      await release(control.driver)
    },
  }
}

/**
 * The config folder's store, claimed for this listener: a second listener on the same folder would send the same
 * deliveries and end the first one's calls, so it is refused, naming the first.
 */
function openStore(port: number): Store {
  const store = new Store(storeFile(), [OUTBOX_SCHEMA, LIVE_CALLS_SCHEMA, JOURNAL_SCHEMA], {repair: true})
  const holder = store.claim(port)
  if (!holder) return store
  store.close()
  // Port 0 is any free port: two listeners asking for it (started at once) collide on the folder, not on a port.
  const samePort = port !== 0 && holder.port === port
  // A holder still starting has no port yet (it claims the folder before it listens).
  const first = `another callctl listener (pid ${holder.pid}, ${holder.port === 0 ? 'starting' : `port ${holder.port}`})`
  throw new CallctlError(
    samePort
      ? `Port ${port} is already used by another callctl listener (pid ${holder.pid})`
      : `The config folder ${configDir()} is already used by ${first}`,
    {
      code: samePort ? 'ERR_PORT_IN_USE' : 'ERR_STORE_IN_USE',
      exit: ExitCode.cannotListen,
      suggestions: [
        'Use that listener, or stop it first',
        'A second listener needs a config folder of its own: set CALLCTL_CONFIG_DIR',
      ],
    },
  )
}

/** The driver's reachability as one value, compared per request. */
const reachabilityKey = ({name, state, detail}: DriverStatus) => `${name}|${state}|${detail}`

/**
 * `/status` serialized once per change, not per request: monitors and status pages poll it, and building and
 * stringifying the calls was most of its cost (`npm run bench`). It changes with every call event and with the
 * outbox and subscriber counts, the driver (replaced live, or its reachability), the names looked up and whether they
 * win over the phone's, which are checked on each request.
 */
function cachedStatus(
  engine: CallEngine,
  build: () => object,
  counts: () => {
    pending: number
    failed: number
    quarantined: number
    /** Targets a 410 Gone switched off: listed only when there are any. */
    disabled: Array<{target: string}>
    subscribers: number
    /** What else the answer shows, as values or objects compared with `!==`. */
    shown: unknown[]
  },
): () => JsonText {
  let events = 0
  engine.subscribe(() => events++)
  // What the cached answer was made from, compared one by one: a key string made per request cost more than the rest.
  let made: unknown[] = []
  let cached = new JsonText('')
  return () => {
    const {pending, failed, quarantined, disabled, subscribers, shown} = counts()
    const off = disabled.length === 0 ? '' : disabled.map((target) => target.target).join(',')
    const current = [events, pending, failed, quarantined, off, subscribers, ...shown]
    if (current.some((value, index) => value !== made[index])) {
      made = current
      const deliveries = {pending, failed, quarantined, ...(disabled.length > 0 && {disabled})}
      cached = new JsonText(JSON.stringify({...build(), subscribers, deliveries}))
    }

    return cached
  }
}

async function listen(server: Server, port: number, host: string, token: string | undefined): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  }).catch(async (error: NodeJS.ErrnoException) => {
    throw await explainListenError(error, port, host, token)
  })
}

async function explainListenError(
  error: NodeJS.ErrnoException,
  port: number,
  host: string,
  token: string | undefined,
): Promise<CallctlError> {
  // callctl's own codes, stable across systems (the OS's errno stays in `cause`).
  const code =
    {
      EADDRINUSE: 'ERR_PORT_IN_USE',
      EACCES: 'ERR_PORT_FORBIDDEN',
      EADDRNOTAVAIL: 'ERR_NO_SUCH_ADDRESS',
      ENOTFOUND: 'ERR_NO_SUCH_ADDRESS',
    }[error.code ?? ''] ?? 'ERR_LISTEN'
  const fail = (message: string, suggestions: string[] = []) =>
    new CallctlError(message, {code, exit: ExitCode.cannotListen, suggestions, cause: error})
  switch (error.code) {
    case 'EADDRINUSE': {
      const other = await probeCallctl(port, host, token)
      return other
        ? fail(`Port ${port} is already used by another callctl listener (pid ${other.pid}, driver ${other.driver})`, [
            'Use that listener, stop it first, or pick another port with --port',
          ])
        : fail(`Port ${port} on ${host} is already in use by another program`, ['Pick another port with --port'])
    }

    case 'EACCES': {
      return fail(`Not allowed to listen on port ${port}`, ['Use a port above 1023 with --port'])
    }

    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND': {
      return fail(`Cannot listen on ${host}: no such address on this machine`, ['Use --host 127.0.0.1'])
    }

    default: {
      return fail(`Cannot listen on ${host}:${port}: ${error.message}`)
    }
  }
}

/** Asks whatever holds the port whether it is a callctl listener, so the error can say so. */
async function probeCallctl(
  port: number,
  host: string,
  token: string | undefined,
): Promise<{pid: number; driver: string} | undefined> {
  const probeHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host
  try {
    const response = await fetch(`http://${probeHost.includes(':') ? `[${probeHost}]` : probeHost}:${port}/status`, {
      signal: AbortSignal.timeout(1000),
      // With a token set, the other listener answers /status only to those who have it.
      headers: token ? {authorization: `Bearer ${token}`} : {},
    })
    const body = (await response.json()) as {name?: string; pid?: number; driver?: string | {name?: string}}
    // `driver` is {name, state, detail}; older listeners sent the name alone.
    const driver = typeof body.driver === 'string' ? body.driver : body.driver?.name
    return body.name === 'callctl' ? {pid: body.pid ?? 0, driver: driver ?? '?'} : undefined
  } catch {
    return undefined
  }
}
