import type {Call} from '../../engine/call.js'
import type {Capability, Driver, DriverContext} from '../../engine/driver.js'
import {CallStateError, DriverError} from '../../errors.js'
import type {BaresipSettings} from './index.js'
import {type BaresipEvent, CtrlConnection} from './ctrl.js'
import {type SpawnedBaresip, spawnBaresip, writeHeadlessConfig} from './spawn.js'

/** How long `make` waits for baresip to report the new call. */
const DIAL_TIMEOUT_MS = 10_000
const MAX_RECONNECT_DELAY_MS = 500

/** `<sip:alice@example.com:5070>;regint=0` → `example.com:5070`. */
export function accountDomain(account: string): string {
  return /sip:(?:[^@>;]*@)?([^>;]+)/.exec(account)?.[1] ?? '127.0.0.1'
}

/** `sip:0612345678@host;user=phone` → `0612345678`; `tel:+3120…` → `+3120…`. */
export function peerNumber(uri: string | undefined): string {
  if (!uri) return ''
  const match = /^(?:sips?:|tel:)?([^@;>]*)/.exec(uri.replace(/^<|>$/g, ''))
  try {
    return decodeURIComponent(match?.[1] ?? '')
  } catch {
    return match?.[1] ?? ''
  }
}

/**
 * A real SIP softphone: baresip driven over its ctrl_tcp socket. Events become call events; commands check
 * callctl's own call state first, because baresip answers `accept` and `hangup` with ok even when there is no call.
 */
export function createBaresipDriver({reporter, settings, log}: DriverContext<BaresipSettings>): Driver {
  const where = `ctrl_tcp at ${settings.host}:${settings.port}`
  const ctrl = new CtrlConnection(settings.host, settings.port)
  const known = new Set<string>()
  const dials: Array<(event: BaresipEvent) => boolean> = []
  const waiters = new Map<string, {states: string[]; resolve: () => void}>()
  let spawned: SpawnedBaresip | undefined
  let reconnectTimer: NodeJS.Timeout | undefined
  let closed = false

  const fail = (message: string, status = 502, cause?: unknown) => new DriverError('baresip', message, {status, cause})

  function settle(id: string): void {
    const waiter = waiters.get(id)
    const call = reporter.calls().find((c) => c.id === id)
    if (waiter && (!call || waiter.states.includes(call.state))) {
      waiters.delete(id)
      waiter.resolve()
    }
  }

  function onEvent(event: BaresipEvent): void {
    if (event.class !== 'call' || !event.id) return
    const id = event.id
    try {
      if (!known.has(id)) {
        if (event.type === 'CALL_INCOMING') {
          known.add(id)
          reporter.incoming({id, number: peerNumber(event.peeruri), name: event.peerdisplayname ?? ''})
        } else if (event.direction === 'outgoing' && (event.type !== 'CALL_CLOSED' || dials.length > 0)) {
          // The first event with an id of a call we dialled (baresip gives none on the first LOCAL_SDP).
          known.add(id)
          reporter.outgoing({id, number: peerNumber(event.peeruri)})
          const index = dials.findIndex((resolveDial) => resolveDial(event))
          if (index !== -1) dials.splice(index, 1)
        } else {
          return
        }
      }

      switch (event.type) {
        case 'CALL_ESTABLISHED': {
          reporter.active(id)
          break
        }

        case 'CALL_CLOSED': {
          known.delete(id)
          reporter.ended(id, event.param ?? '')
          break
        }

        default:
      }
    } catch (error) {
      // A transition callctl already made through another route (e.g. `notify end`): nothing to do.
      if (!(error instanceof CallStateError)) throw error
    } finally {
      settle(id)
    }
  }

  async function connect(): Promise<void> {
    await ctrl.connect()
    log(`[driver:baresip] connected to ${where}`)
    await forgetVanishedCalls()
  }

  /** After a reconnect: calls baresip no longer has (it restarted meanwhile) are ended. */
  async function forgetVanishedCalls(): Promise<void> {
    const live = reporter.calls().filter((call) => known.has(call.id))
    if (live.length === 0) return
    const listing = await ctrl.command('listcalls', undefined, settings.commandTimeoutMs).catch(() => undefined)
    for (const call of live) {
      if (listing && !(listing.data ?? '').includes(call.id)) {
        known.delete(call.id)
        reporter.ended(call.id, 'vanished while baresip was unreachable')
      }
    }
  }

  function scheduleReconnect(delay = 100): void {
    if (closed) return
    clearTimeout(reconnectTimer)
    reconnectTimer = setTimeout(() => {
      connect().catch(() => scheduleReconnect(Math.min(delay * 2, MAX_RECONNECT_DELAY_MS)))
    }, delay)
    reconnectTimer.unref()
  }

  ctrl.on('event', onEvent)
  ctrl.on('down', () => {
    log(`[driver:baresip] lost ${where}; reconnecting`)
    scheduleReconnect()
  })

  async function command(name: string, params?: string) {
    if (!ctrl.connected) {
      throw fail(`${where} is not reachable: is baresip running? Commands work again once it is back`, 503)
    }

    let response
    try {
      response = await ctrl.command(name, params, settings.commandTimeoutMs)
    } catch (error) {
      throw fail(`${name} failed: ${(error as Error).message}`, 503, error)
    }

    if (!response.ok) throw fail(`${name} refused: ${response.data ?? 'no reason given'}`)
    return response
  }

  async function until(call: Call, states: string[]): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, settings.commandTimeoutMs)
      waiters.set(call.id, {
        states,
        resolve() {
          clearTimeout(timer)
          resolve()
        },
      })
      settle(call.id)
    })
  }

  return {
    name: 'baresip',
    capabilities: new Set<Capability>(['make', 'answer', 'end']),

    async init() {
      if (settings.spawn) {
        const dir = writeHeadlessConfig({
          sipListen: settings.sipListen,
          ctrlHost: settings.host,
          ctrlPort: settings.port,
          account: settings.account,
          rtpPorts: settings.rtpPorts,
          modulePath: settings.modulePath,
        })
        try {
          spawned = await spawnBaresip(settings.binary, dir)
        } catch (error) {
          throw new DriverError('baresip', `cannot start ${settings.binary}: ${(error as Error).message}`, {
            status: 503,
            suggestions: [
              'Install baresip (Debian: apt-get install baresip-core; macOS: brew install baresip) or set driver.baresip.binary',
            ],
          })
        }

        void spawned.exited.then(({code, output}) => {
          if (!closed) log(`[driver:baresip] baresip exited (code ${code}): ${output.trim().split('\n').at(-1) ?? ''}`)
        })
        const deadline = Date.now() + 5000
        for (;;) {
          try {
            await connect()
            return
          } catch (error) {
            const exited = await Promise.race([
              spawned.exited,
              new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 50)),
            ])
            if (exited || Date.now() > deadline) {
              await spawned.stop()
              throw new DriverError(
                'baresip',
                `baresip did not open ${where}${exited ? `: it exited (code ${exited.code}) ${exited.output.trim().split('\n').at(-1) ?? ''}` : ' within 5 s'}`,
                {status: 503, cause: error},
              )
            }
          }
        }
      }

      try {
        await connect()
      } catch {
        log(`[driver:baresip] ${where} is not reachable yet: commands answer 503 until baresip runs`)
        scheduleReconnect()
      }
    },

    async make(number) {
      const uri = settings.dialUri
        .replaceAll('{NUMBER}', number.replaceAll('#', '%23'))
        .replaceAll('{DOMAIN}', accountDomain(settings.account))
      const reported = new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          const index = dials.indexOf(match)
          if (index !== -1) dials.splice(index, 1)
          reject(fail(`no call appeared within ${DIAL_TIMEOUT_MS / 1000} s of dialling ${uri}`, 504))
        }, DIAL_TIMEOUT_MS)
        function match(event: BaresipEvent): boolean {
          clearTimeout(timer)
          resolve(event.id!)
          return true
        }

        dials.push(match)
      })
      try {
        await command('dial', uri)
      } catch (error) {
        dials.pop()
        throw error
      }

      const id = await reported
      return (
        reporter.calls().find((call) => call.id === id) ??
        ({
          id,
          direction: 'outgoing',
          number,
          name: '',
          state: 'ended',
          createdAt: new Date().toISOString(),
          tags: [],
          channel: '',
        } as Call)
      )
    },

    async answer(call) {
      await command('accept')
      await until(call, ['active', 'ended'])
    },

    async end(call) {
      await command('hangup')
      await until(call, ['ended'])
    },

    async close() {
      closed = true
      clearTimeout(reconnectTimer)
      ctrl.close()
      await spawned?.stop()
    },
  }
}
