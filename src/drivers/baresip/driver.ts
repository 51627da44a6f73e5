import {type Call, type CallState, shownId} from '../../engine/call.js'
import type {Capability, Driver, DriverContext, DriverReachability} from '../../engine/driver.js'
import {normalizeNumber} from '../../engine/number.js'
import {isSipAddress, sipAddress} from '../../engine/sip-address.js'
import {CallStateError, DriverError} from '../../errors.js'
import {BARESIP_CAPABILITIES, type BaresipSettings} from './index.js'
import {type BaresipEvent, type BaresipResponse, CtrlConnection, CtrlConnectError, type CtrlDown} from './ctrl.js'
import {otherClients} from './other-clients.js'
import {type BaresipLine, type SpawnedBaresip, spawnBaresip, writeHeadlessConfig} from './spawn.js'

/** Retry delays: a baresip that is starting answers within a second; a port held by something else does not change fast. */
const RECONNECT_MS = {first: 100, max: 500, notCtrlTcp: 5000}
/** What a `,` in DTMF waits, as on a phone's dial string. */
const DTMF_PAUSE_MS = 1000
/** While another ctrl_tcp client holds baresip: how often to look whether it left (Linux), or to try again (elsewhere). */
const TAKEOVER_MS = {watch: 1000, retry: 30_000, maxRetry: 300_000}
/**
 * After a make answered 504, how long a call to its URI that appears still is that dial's (and is hung up): baresip
 * retransmits an INVITE for 32 s (SIP timer B), so a peer that comes back within that time still gets the call.
 */
const LATE_DIAL_MS = 40_000
/** Garbage twice within this window: the peer is broken, retry slowly. */
const GARBLED_WINDOW_MS = 60_000
/** Two losses to a live baresip within this window: another client takes it over each time callctl returns. */
const KICK_WINDOW_MS = 10_000

/** `<sip:alice@example.com:5070>;regint=0` → `example.com:5070`. */
export function accountDomain(account: string): string {
  return /sip:(?:[^@>;]*@)?([^>;]+)/.exec(account)?.[1] ?? '127.0.0.1'
}

/**
 * The URI baresip 1.0 calls for a `dial` of `uri`: its ua_uri_complete prepends `sip:` to one that holds no `sip:`
 * (a template without a scheme; `sips:bob@host` would become `sip:sips:bob@host`), and ua_connect appends the
 * account's URI parameters (sameUri allows those). Its events name this URI, not the one sent in the command.
 */
export function baresipDials(uri: string): string {
  return uri.includes('sip:') ? uri : `sip:${uri}`
}

/** Whether a peer URI baresip reports is the one dialled (baresip may add `;params` or `>`). */
function sameUri(dialled: string, reported: string): boolean {
  return reported === dialled || (reported.startsWith(dialled) && /[;>]/.test(reported.charAt(dialled.length)))
}

/**
 * The other party's number, as callctl names it for an outgoing call too: the user part when it is a number
 * (`sip:0612345678@host;user=phone` → `0612345678`; `tel:+3120…` → `+3120…`), else the address itself as sipAddress
 * writes it (`sip:alice@pbx.example.com`), else, for one callctl would not dial (`sip:al%0Aice@host`), the URI as
 * reported: never a part of it (`alice`, the host dropped and the %0A silently gone) that reads as someone else.
 */
export function peerNumber(uri: string | undefined): string {
  if (!uri) return ''
  const bare = uri.replace(/^<|>$/g, '')
  const raw = /^(?:sips?:|tel:)?([^@;>]*)/.exec(bare)?.[1] ?? ''
  let user = raw
  try {
    user = decodeURIComponent(raw)
  } catch {}

  if (!isSipAddress(bare)) return user
  try {
    normalizeNumber(user)
    return user
  } catch {}

  try {
    return sipAddress(bare).uri
  } catch {
    return bare
  }
}

/** One `make` waiting for baresip to report its call; removed by identity, whichever way it ends. */
interface Dial {
  uri: string
  number: string
  resolve(id: string): void
  fail(error: DriverError): void
}

/**
 * A real SIP softphone: baresip driven over its ctrl_tcp socket. Events become call events; commands check
 * callctl's own call state first, because baresip answers `accept` and `hangup` with ok even when there is no call.
 * baresip's ctrl_tcp serves one client: a second one silently replaces the first, so a lost connection to a
 * baresip that still runs is another program's, and callctl stays off instead of taking it back.
 */
export function createBaresipDriver({reporter, settings, log}: DriverContext<BaresipSettings>): Driver {
  const where = `ctrl_tcp at ${settings.host}:${settings.port}`
  const ctrl = new CtrlConnection(settings.host, settings.port)
  /** Calls baresip told us about, with the peer's URI (how `listcalls` names them). */
  const known = new Map<string, string>()
  /** baresip's own ids of the calls whose id callctl replaced (see callIdOf). */
  const rawIds = new Map<string, string>()
  const dials = new Set<Dial>()
  /** Dials whose make answered 504: a call of theirs that appears after all is hung up, not left up unasked. */
  const lateDials = new Set<{uri: string; number: string; until: number}>()
  /** Late calls callctl is hanging up: their close says so. */
  const hangingUpLate = new Set<string>()
  const waiters = new Map<string, Set<{states: string[]; resolve: () => void}>>()
  /**
   * baresip's own call list, oldest first as it keeps it: a new call is appended, `callfind` moves one to the end.
   * When a call closes, baresip 1.0 resumes the held call nearest the end by itself (ua.c resume_call), sending
   * the re-INVITE without any event: the driver reports that `resumed` from this order.
   */
  const baresipOrder: string[] = []
  const moveToEnd = (id: string) => {
    const at = baresipOrder.indexOf(id)
    if (at !== -1) baresipOrder.splice(at, 1)
    baresipOrder.push(id)
  }

  /** Calls being rejected: their CALL_CLOSED ends them `rejected`, not `missed`. */
  const rejecting = new Set<string>()
  /** Calls being transferred: baresip closes them once the transfer target answers the REFER's NOTIFY with 2xx. */
  const transfers = new Map<string, {number: string; failed: (reason: string) => void}>()
  let reachability: DriverReachability = {state: 'connecting', detail: `connecting to ${where}`}
  let spawned: SpawnedBaresip | undefined
  /** The spawned baresip has not opened ctrl_tcp yet. */
  let starting = false
  /** While the spawned baresip starts: called when it prints a ctrl_tcp error. */
  let ctrlTcpFailed: (() => void) | undefined
  /** Why the spawned baresip is gone, once it is. */
  let spawnedExit: string | undefined
  const baresipErrors: string[] = []
  let retryTimer: NodeJS.Timeout | undefined
  let connecting = false
  let closed = false
  /** When a live baresip closed callctl's connection lately (another client connecting does that). */
  let kicks: number[] = []
  /** baresip announced that it quits: the coming close is its own. */
  let quitting = false
  /** When a verified connection last sent garbage. */
  let garbledAt: number | undefined
  /** A command timed out on a connection that is still open. */
  let stalled = false
  let takeoverRetryMs = TAKEOVER_MS.retry

  const fail = (message: string, status = 502, cause?: unknown) => new DriverError('baresip', message, {status, cause})

  /** Logs each change of state or reason once, not each retry. */
  function setReachability(state: DriverReachability['state'], reason: string): void {
    // Once the baresip callctl started has exited, that is the reason for whatever fails after.
    const detail = state !== 'connected' && spawnedExit ? spawnedExit : reason
    if (state === reachability.state && detail === reachability.detail) return
    reachability = {state, detail}
    log(`[driver:baresip] ${detail}`)
  }

  /** What baresip itself printed last as an error (spawned only): often the actual reason. */
  function baresipSaid(): string {
    return baresipErrors.length > 0 ? `; baresip said: ${baresipErrors.at(-1)}` : ''
  }

  function dialUriFor(number: string): string {
    return settings.dialUri
      .replaceAll('{NUMBER}', number.replaceAll('#', '%23'))
      .replaceAll('{DOMAIN}', accountDomain(settings.account))
  }

  function settle(id: string): void {
    const set = waiters.get(id)
    if (!set) return
    const call = reporter.calls().find((c) => c.id === id)
    for (const waiter of set) {
      if (!call || waiter.states.includes(call.state)) {
        set.delete(waiter)
        waiter.resolve()
      }
    }

    if (set.size === 0) waiters.delete(id)
  }

  /** The dial an outgoing call belongs to: the one that dialled its URI, else the oldest. */
  /**
   * The pending dial an outgoing call's first event belongs to: the one to its peer URI. Only an event that names no
   * peer is given the oldest dial; a call to another URI (dialled from baresip itself) completes none.
   */
  function dialFor(event: BaresipEvent): Dial | undefined {
    const all = [...dials]
    const uri = event.peeruri
    if (!uri) return all[0]
    return all.find((dial) => sameUri(dial.uri, uri))
  }

  /** The timed-out dial a call that appears now belongs to, if any: one to its peer URI, within LATE_DIAL_MS. */
  function lateDialFor(event: BaresipEvent): {uri: string; number: string} | undefined {
    for (const late of lateDials) if (late.until < Date.now()) lateDials.delete(late)
    const uri = event.peeruri
    const late = uri ? [...lateDials].find((candidate) => sameUri(candidate.uri, uri)) : undefined
    if (late) lateDials.delete(late)
    return late
  }

  /** A call that appeared after its make had answered 504: the user was told it failed, so it does not stay up. */
  async function hangUpLate(id: string, uri: string): Promise<void> {
    log(`[driver:baresip] call ${shownId(id)} to ${uri} appeared after its make had answered 504: hanging it up`)
    hangingUpLate.add(id)
    try {
      const call = reporter.calls().find((other) => other.id === id)
      if (!call) return
      await aim(call, 'end', ['ringing', 'dialing', 'active', 'held'])
      await command('hangup')
    } catch (error) {
      hangingUpLate.delete(id)
      log(`[driver:baresip] could not hang up the late call ${shownId(id)}: ${(error as Error).message}`)
    }
  }

  /**
   * baresip's call id is the SIP Call-ID, which the caller chooses: one that is long or holds control characters
   * (it goes into URLs, logs and templates) is replaced by a short digest of itself, the same for every event.
   */
  function callIdOf(raw: string): string {
    // eslint-disable-next-line no-control-regex -- control characters are what makes an id unsafe
    if (raw.length <= 128 && !/[\u0000-\u001F\u007F-\u009F\s]/.test(raw)) return raw
    const {createHash} = process.getBuiltinModule('node:crypto')
    const id = `baresip-${createHash('sha256').update(raw).digest('hex').slice(0, 24)}`
    // `callfind` needs baresip's own id back.
    rawIds.set(id, raw)
    return id
  }

  function onEvent(event: BaresipEvent): void {
    if (event.type === 'SHUTDOWN' || event.type === 'EXIT') quitting = true
    if (event.class !== 'call' || !event.id) return
    const id = callIdOf(event.id)
    try {
      if (!known.has(id)) {
        if (event.type === 'CALL_INCOMING') {
          known.set(id, event.peeruri ?? '')
          moveToEnd(id)
          reporter.incoming({id, number: peerNumber(event.peeruri), name: event.peerdisplayname ?? ''})
        } else if (event.direction === 'outgoing') {
          // The first event with an id of a call we dialled (baresip gives none on the first LOCAL_SDP).
          const dial = dialFor(event)
          const late = dial ? undefined : lateDialFor(event)
          // Closed before callctl knew it, and none of its dials: nothing to report.
          if (event.type === 'CALL_CLOSED' && !dial) return
          known.set(id, event.peeruri ?? '')
          moveToEnd(id)
          reporter.outgoing({id, number: dial?.number ?? late?.number ?? peerNumber(event.peeruri)})
          dial?.resolve(id)
          if (late) void hangUpLate(id, late.uri)
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
          rawIds.delete(id)
          const transfer = transfers.get(id)
          transfers.delete(id)
          // "Call transfered" (sic, baresip 1.0): the NOTIFY said the target answered. Anything else ended it first.
          if (transfer && /transfer/i.test(event.param ?? '')) reporter.transferred(id, transfer.number)
          else transfer?.failed(`the call ended first (${event.param ?? 'no reason given'})`)
          const reason = hangingUpLate.delete(id)
            ? 'appeared after its make had answered 504; callctl hung it up'
            : (event.param ?? '')
          reporter.ended(id, reason, rejecting.delete(id) ? 'rejected' : undefined)
          if (baresipOrder.includes(id)) baresipOrder.splice(baresipOrder.indexOf(id), 1)
          resumedByBaresip()
          break
        }

        case 'CALL_TRANSFER_FAILED': {
          transfers.get(id)?.failed(event.param ?? 'no reason given')
          transfers.delete(id)
          break
        }

        default:
      }
    } catch (error) {
      // A transition callctl already made through another route (e.g. `notify end`), or a call the engine refused:
      // one event is lost, the connection and the listener carry on.
      if (!(error instanceof CallStateError))
        log(`[driver:baresip] ignored ${event.type} of call ${id}: ${(error as Error).message}`)
    } finally {
      settle(id)
    }
  }

  /** After a (re)connect: calls baresip no longer has (it restarted, or another client ended them) are ended. */
  function forgetVanishedCalls(listing: BaresipResponse): void {
    // Whole URIs, each once: `sip:0601@127.0.0.1` is not in `sip:0601@127.0.0.10`, and two calls to one URI are
    // both kept only if baresip still lists it twice.
    const listed = listing.data.split(/[\s<>]+/).filter((token) => /^sips?:/.test(token))
    const same = (token: string, uri: string) =>
      token === uri || (token.startsWith(uri) && /[;,)]/.test(token.charAt(uri.length)))
    for (const call of reporter.calls()) {
      const uri = known.get(call.id)
      if (uri === undefined) continue
      const at = uri ? listed.findIndex((token) => same(token, uri)) : -1
      if (at !== -1) {
        listed.splice(at, 1)
        continue
      }

      endQuietly(call.id, 'vanished while baresip was unreachable')
    }
  }

  function endQuietly(id: string, reason: string): void {
    known.delete(id)
    rawIds.delete(id)
    try {
      reporter.ended(id, reason)
    } catch (error) {
      if (!(error instanceof CallStateError)) throw error
    }
  }

  /** Throws 409 unless callctl still has the call in one of `states`: it ended, or left that state, meanwhile. */
  function stillIn(call: Call, action: string, states: readonly CallState[]): void {
    const now = reporter.calls().find((other) => other.id === call.id)
    if (!now) throw new CallStateError(`Cannot ${action} call ${shownId(call.id)}: it has ended`)
    if (!states.includes(now.state))
      throw new CallStateError(`Cannot ${action} call ${shownId(call.id)}: it is ${now.state} now`)
  }

  /**
   * baresip's commands act on its current call, and `callfind` of an id it no longer has leaves another call current
   * (answering ok, "call not found"). So every command is aimed with `callfind` at a call callctl still has in the
   * needed state, and goes ahead only if baresip found it; baresip reports a close before its answer to the next
   * command, so the state is checked again after. What is left is the time between that answer and the command.
   */
  async function aim(call: Call, action: string, states: readonly CallState[]): Promise<void> {
    stillIn(call, action, states)
    const found = await command('callfind', rawIds.get(call.id) ?? call.id)
    if (!/^setting current call/.test(found.data.trim()))
      throw new CallStateError(`Cannot ${action} call ${shownId(call.id)}: baresip no longer has it`, 'ERR_CALL_GONE')
    moveToEnd(call.id)
    stillIn(call, action, states)
  }

  /** A `,` in DTMF: a second, cut short when the call leaves `active` (the caller then stops). */
  async function pause(call: Call): Promise<void> {
    await new Promise<void>((resolve) => {
      const waiter = {
        states: ['ringing', 'dialing', 'held', 'ended'],
        resolve() {
          clearTimeout(timer)
          resolve()
        },
      }
      const timer = setTimeout(() => {
        waiters.get(call.id)?.delete(waiter)
        resolve()
      }, DTMF_PAUSE_MS)
      waiters.set(call.id, (waiters.get(call.id) ?? new Set()).add(waiter))
      settle(call.id)
    })
  }

  /** After a call closed: the held call baresip took off hold by itself, if any (see baresipOrder). */
  function resumedByBaresip(): void {
    const held = new Set(
      reporter
        .calls()
        .filter((call) => call.state === 'held')
        .map((call) => call.id),
    )
    const id = baresipOrder.findLast((candidate) => held.has(candidate))
    if (id) reporter.resumed(id)
  }

  async function connect(): Promise<void> {
    if (connecting || ctrl.connected || closed) return
    connecting = true
    try {
      const listing = await ctrl.connect(settings.commandTimeoutMs)
      if (closed) {
        ctrl.close()
        return
      }

      takeoverRetryMs = TAKEOVER_MS.retry
      setReachability('connected', `connected to ${where}`)
      forgetVanishedCalls(listing)
      ctrl.release()
    } finally {
      connecting = false
    }
  }

  function retry(delay: number, next: () => void): void {
    clearTimeout(retryTimer)
    if (closed) return
    retryTimer = setTimeout(next, delay)
    retryTimer.unref()
  }

  /** Keeps trying; how often depends on what the last attempt found. */
  function reconnect(delay = RECONNECT_MS.first): void {
    retry(delay, () => void attempt(delay))
  }

  /** One try; when it fails, the next one is scheduled by what it found. `delay` is the wait that led here. */
  async function attempt(delay: number): Promise<void> {
    // A program already using ctrl_tcp would be pushed off by connecting: leave it alone (seen only on Linux).
    const others = otherClients(settings.host, settings.port)
    if (others !== undefined && others > 0) {
      backOff(others)
      return
    }

    try {
      await connect()
    } catch (error) {
      if (closed) return
      if (error instanceof CtrlConnectError && error.reason === 'refused') {
        // Nothing listens: baresip is gone, so the losses before were not another client's doing.
        kicks = []
        setReachability(
          'down',
          `${where} is not reachable: is baresip running? Commands answer 503; callctl reconnects as soon as it answers${baresipSaid()}`,
        )
        reconnect(Math.min(Math.max(delay * 2, RECONNECT_MS.first), RECONNECT_MS.max))
      } else {
        setReachability(
          'down',
          `${(error as Error).message}${baresipSaid()}; commands answer 503, callctl tries again every ${RECONNECT_MS.notCtrlTcp / 1000} s`,
        )
        reconnect(RECONNECT_MS.notCtrlTcp)
      }
    }
  }

  /** Another program holds ctrl_tcp: stay off it, and come back once it has gone (without a fight). */
  function backOff(others: number | undefined): void {
    const because = `another program is connected to ${where} and baresip serves one client at a time`
    if (others === undefined) {
      // This system cannot show who is connected: come back rarely, and less often each time it happens again.
      setReachability(
        'down',
        `${because}; callctl stays off for ${Math.round(takeoverRetryMs / 1000)} s instead of taking it back (commands answer 503)`,
      )
      retry(takeoverRetryMs, () => reconnect(0))
      takeoverRetryMs = Math.min(takeoverRetryMs * 2, TAKEOVER_MS.maxRetry)
      return
    }

    setReachability(
      'down',
      `${because}; callctl stays off until that program disconnects, then reconnects (commands answer 503)`,
    )
    const watch = () =>
      retry(TAKEOVER_MS.watch, () => {
        const still = otherClients(settings.host, settings.port)
        if (still === 0) reconnect(0)
        else watch()
      })
    watch()
  }

  ctrl.on('event', onEvent)
  ctrl.on('alive', () => {
    if (!stalled) return
    stalled = false
    setReachability('connected', `connected to ${where}: baresip answers again`)
  })
  ctrl.on('down', ({reason, peerClosed, garbled}: CtrlDown) => {
    stalled = false
    if (closed) return
    const lost = fail(
      `lost ${where} before the call appeared (${reason}): the call may or may not have been placed`,
      503,
    )
    for (const dial of dials) dial.fail(lost)
    const others = peerClosed && !quitting ? otherClients(settings.host, settings.port) : 0
    if (peerClosed && !quitting) {
      const now = Date.now()
      kicks = [...kicks.filter((at) => now - at < KICK_WINDOW_MS), now]
    }

    quitting = false
    if (others !== undefined && others > 0) {
      backOff(others)
    } else if (kicks.length >= 2) {
      // Pushed off twice in a row by a baresip that still runs, by a client this machine cannot see.
      backOff(undefined)
    } else if (garbled && garbledAt !== undefined && Date.now() - garbledAt < GARBLED_WINDOW_MS) {
      // Garbage again soon after the last: a broken peer, not a glitch. Reconnecting at once would be a loop.
      garbledAt = Date.now()
      setReachability(
        'down',
        `${where} keeps sending what baresip does not (${reason}); commands answer 503, callctl tries again every ${RECONNECT_MS.notCtrlTcp / 1000} s`,
      )
      reconnect(RECONNECT_MS.notCtrlTcp)
    } else {
      if (garbled) garbledAt = Date.now()
      setReachability('connecting', `lost ${where} (${reason}); reconnecting`)
      reconnect()
    }
  })

  async function command(name: string, params?: string): Promise<BaresipResponse> {
    if (!ctrl.connected) {
      const why =
        reachability.state === 'down'
          ? reachability.detail
          : `${where} is not reachable: is baresip running? Commands work again once it is back`
      throw fail(why.startsWith(where) ? why : `${where} is not reachable: ${why}`, 503)
    }

    let response
    try {
      response = await ctrl.command(name, params, settings.commandTimeoutMs)
    } catch (error) {
      if (ctrl.connected && /^no answer/.test((error as Error).message)) {
        // Connected but silent (hung, or stopped): not reachable in any way that matters, until it speaks again.
        stalled = true
        setReachability(
          'down',
          `${where} stopped answering (no answer to "${name}" within ${settings.commandTimeoutMs} ms); commands answer 503 until baresip answers again`,
        )
      }

      throw fail(`${name} failed: ${(error as Error).message}`, 503, error)
    }

    if (!response.ok) throw fail(`${name} refused: ${response.data || 'no reason given'}`)
    return response
  }

  async function until(call: Call, states: string[]): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const waiter = {
        states,
        resolve() {
          clearTimeout(timer)
          resolve()
        },
      }
      const timer = setTimeout(() => {
        waiters.get(call.id)?.delete(waiter)
        // Never a success that did not happen: baresip said ok (it does so even with no call) but nothing followed.
        reject(
          fail(
            `baresip took the command but call ${call.id} did not become ${states.join(' or ')} within ${settings.commandTimeoutMs} ms`,
            504,
          ),
        )
      }, settings.commandTimeoutMs)
      const set = waiters.get(call.id) ?? new Set()
      set.add(waiter)
      waiters.set(call.id, set)
      settle(call.id)
    })
  }

  function heard(line: BaresipLine): void {
    if (!line.error) return
    baresipErrors.push(line.text)
    baresipErrors.splice(0, baresipErrors.length - 5)
    log(`[driver:baresip] baresip: ${line.text}`)
    if (/ctrl_tcp/.test(line.text)) ctrlTcpFailed?.()
  }

  async function startBaresip(): Promise<void> {
    const dir = writeHeadlessConfig({
      sipListen: settings.sipListen,
      ctrlHost: settings.host,
      ctrlPort: settings.port,
      account: settings.account,
      rtpPorts: settings.rtpPorts,
      modulePath: settings.modulePath,
    })
    let child: SpawnedBaresip
    try {
      child = await spawnBaresip(settings.binary, dir, heard)
    } catch (error) {
      throw new DriverError('baresip', `cannot start ${settings.binary}: ${(error as Error).message}`, {
        status: 503,
        suggestions: [
          'Install baresip (Debian: apt-get install baresip-core; macOS: brew install baresip) or set driver.baresip.binary',
        ],
      })
    }

    spawned = child
    void child.exited.then(({how}) => {
      // While starting, the start-up's own error says it; the listener does not run.
      if (closed || starting) return
      const last = baresipErrors.at(-1)
      spawnedExit = `the baresip callctl started exited (${how})${last ? `: ${last}` : ''}; commands answer 503, restart the listener to start it again`
      setReachability('down', spawnedExit)
      // Its calls went with it: no baresip of callctl's can still have them.
      for (const call of reporter.calls()) endQuietly(call.id, 'baresip exited')
    })
    const deadline = Date.now() + 5000
    starting = true
    for (;;) {
      try {
        // What holds a taken port may accept the connection and never answer: baresip's own error ends the wait.
        const failed = new Promise<void>((resolve) => {
          ctrlTcpFailed = resolve
        })
        await Promise.race([
          connect(),
          failed.then(() => {
            throw new Error('baresip could not open ctrl_tcp')
          }),
        ])
        if (ctrl.connected) {
          starting = false
          return
        }
      } catch (error) {
        // baresip runs on without ctrl_tcp when its port is taken: waiting would not help.
        const ctrlError = baresipErrors.find((text) => /ctrl_tcp/.test(text))
        const exited = await Promise.race([
          child.exited,
          new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 50)),
        ])
        if (ctrlError || exited || Date.now() > deadline) {
          // The listener does not start: its driver is closed, and baresip's exit is no news.
          closed = true
          await child.stop()
          const reason = ctrlError
            ? `: baresip said: ${ctrlError}`
            : exited
              ? `: it exited (${exited.how}): ${baresipErrors.length > 0 ? baresipErrors.slice(-3).join(' / ') : (exited.output.trim().split('\n').at(-1) ?? '')}`
              : ` within 5 s (${(error as Error).message})`
          throw new DriverError('baresip', `baresip did not open ${where}${reason}`, {
            status: 503,
            cause: error,
            suggestions: ctrlError
              ? [`Another program uses port ${settings.port}: stop it or set driver.baresip.port to a free port`]
              : [],
          })
        }
      }
    }
  }

  /** Dials `uri` for `make` (its number) or `dialSip` (the address itself) and waits for baresip's call. */
  async function placeCall(uri: string, number: string): Promise<Call> {
    let dial!: Dial
    // Its events, and those of a call that appears after the 504, name the URI baresip made of it.
    const calledUri = baresipDials(uri)
    const reported = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        lateDials.add({uri: calledUri, number, until: Date.now() + LATE_DIAL_MS})
        dial.fail(
          fail(
            `no call appeared within ${settings.dialTimeoutMs / 1000} s of dialling ${uri}; if it appears later, callctl hangs it up`,
            504,
          ),
        )
      }, settings.dialTimeoutMs)
      const done = () => {
        clearTimeout(timer)
        dials.delete(dial)
      }

      dial = {
        uri: calledUri,
        number,
        resolve(id) {
          done()
          resolve(id)
        },
        fail(error) {
          done()
          reject(error)
        },
      }
    })
    // Settled and awaited below only when the dial command went through; never left to reject unobserved.
    reported.catch(() => {})
    // Before the command: baresip may report the call before it answers the command.
    dials.add(dial)
    try {
      await command('dial', uri)
    } catch (error) {
      dial.fail(error as DriverError)
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
  }

  return {
    name: 'baresip',
    capabilities: new Set<Capability>(BARESIP_CAPABILITIES),

    reachability: () => ({...reachability}),

    async init() {
      if (settings.spawn) {
        await startBaresip()
        return
      }

      // The first try before the listener says it is ready, so that a `make` right after start finds baresip.
      await attempt(0)
    },

    make: async (number) => placeCall(dialUriFor(number), number),

    // The address is the call's number: what events, the journal and webhooks show of the other party.
    dialSip: async (uri) => {
      // baresip 1.0 dials `sips:bob@host` as `sip:sips:bob@host` (user "sips", password "bob"), over UDP: not the
      // address asked for, and not over TLS. Refused before anything is sent.
      if (/^sips:/i.test(uri))
        throw new DriverError(
          'baresip',
          `cannot dial ${uri}: baresip 1.0 does not dial sips: addresses (it would call sip:${uri} instead)`,
          {status: 501, suggestions: ['Dial its sip: form if a call without TLS will do']},
        )
      return placeCall(uri, uri)
    },

    async answer(call) {
      // baresip 1.0's `accept` answers the call that rang first, whatever `callfind` made current (hostile test,
      // real baresip): a later one is refused rather than left ringing after a 504.
      const first = reporter.calls().find((other) => other.direction === 'incoming' && other.state === 'ringing')
      if (first && first.id !== call.id)
        throw fail(
          `cannot answer call ${call.id} while call ${first.id} rang before it: baresip answers the call that rang first; answer that one, or use baresip itself`,
          409,
        )
      // With a call already up (call waiting), `accept` answers baresip's current call and holds the one before it
      // (ua_hold_answer): this one is made current first.
      await aim(call, 'answer', ['ringing'])
      await command('accept')
      await until(call, ['active', 'ended'])
    },

    async end(call) {
      try {
        await aim(call, 'end', ['ringing', 'dialing', 'active', 'held'])
      } catch (error) {
        // Gone from baresip without callctl hearing of it: ending it is all there is left to do.
        if (!(error instanceof CallStateError) || error.code !== 'ERR_CALL_GONE') throw error
        endQuietly(call.id, 'baresip no longer has it')
        return
      }

      await command('hangup')
      await until(call, ['ended'])
    },

    // baresip 1.0 has no decline of its own: `hangup` of a ringing call answers the caller 486.
    async reject(call) {
      rejecting.add(call.id)
      try {
        await aim(call, 'reject', ['ringing'])
        await command('hangup')
        await until(call, ['ended'])
      } finally {
        rejecting.delete(call.id)
      }
    },

    // `hold` and `resume` send the re-INVITE and report no event: the transition is callctl's once baresip took it.
    async hold(call) {
      await aim(call, 'hold', ['active'])
      await command('hold')
      reporter.held(call.id)
      settle(call.id)
    },

    async resume(call) {
      await aim(call, 'resume', ['held'])
      await command('resume')
      reporter.resumed(call.id)
      settle(call.id)
    },

    /**
     * `transfer` sends a REFER; baresip closes the call ("Call transfered") when the NOTIFY says the target
     * answered, or reports CALL_TRANSFER_FAILED. Waits for either, so that a refused transfer is an error.
     */
    async transfer(call, number) {
      const uri = dialUriFor(number)
      const outcome = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          transfers.delete(call.id)
          reject(
            fail(`transfer to ${uri}: no answer from the other side within ${settings.dialTimeoutMs / 1000} s`, 504),
          )
        }, settings.dialTimeoutMs)
        timer.unref()
        transfers.set(call.id, {
          number,
          failed: (reason) => {
            clearTimeout(timer)
            reject(fail(`transfer to ${uri} failed: ${reason}`))
          },
        })
        const waiter = {
          states: ['ended'],
          resolve() {
            clearTimeout(timer)
            resolve()
          },
        }
        waiters.set(call.id, (waiters.get(call.id) ?? new Set()).add(waiter))
      })
      outcome.catch(() => {})
      try {
        await aim(call, 'transfer', ['active', 'held'])
        await command('transfer', uri)
      } catch (error) {
        transfers.delete(call.id)
        throw error
      }

      await outcome
    },

    /**
     * `sndcode` sends RFC 4733 events; a `,` is a pause of a second between the groups of digits. Each group is aimed
     * at the call anew: a call that ended or went on hold meanwhile stops the rest (409), which never goes elsewhere.
     */
    async dtmf(call, digits) {
      const groups = digits.split(',')
      let sent = ''
      for (const [index, group] of groups.entries()) {
        if (index > 0) await pause(call)
        if (group === '') continue
        try {
          await aim(call, 'send DTMF to', ['active'])
        } catch (error) {
          if (!(error instanceof CallStateError)) throw error
          const now = reporter.calls().find((other) => other.id === call.id)
          const rest = groups.slice(index).join(',').replace(/^,+/, '')
          throw new CallStateError(
            `Call ${shownId(call.id)} ${now ? `is ${now.state}` : 'ended'} while DTMF was being sent: sent "${sent}", not "${rest}"`,
          )
        }

        await command('sndcode', group)
        sent += group
      }
    },

    // baresip's `mute` toggles: sent only when the state is to change.
    async mute(call, muted) {
      if (Boolean(call.muted) === muted) return
      await aim(call, muted ? 'mute' : 'unmute', ['active', 'held'])
      await command('mute')
      reporter.muted(call.id, muted)
    },

    async close() {
      closed = true
      clearTimeout(retryTimer)
      const closing = fail('the listener is stopping', 503)
      for (const dial of dials) dial.fail(closing)
      for (const transfer of transfers.values()) transfer.failed('the listener is stopping')
      transfers.clear()
      for (const [id] of waiters) {
        for (const waiter of waiters.get(id) ?? []) waiter.resolve()
      }

      waiters.clear()
      ctrl.close()
      await spawned?.stop()
    },
  }
}
