import {type Infer, s} from '../../config/schema.js'
import {CAPABILITIES, type Capability, type DriverContext} from '../../engine/driver.js'
import {defineDriver} from '../driver-module.js'
import {checkPlaceholders} from '../placeholders.js'

const settings = s.object({
  /** ctrl_tcp address of the baresip to drive. */
  host: s.string({minLength: 1, default: '127.0.0.1', description: "baresip's ctrl_tcp host"}),
  port: s.integer({minimum: 1, maximum: 65_535, default: 4444, description: "baresip's ctrl_tcp port"}),
  /** What `make` dials: `{NUMBER}` and `{DOMAIN}` (the account's domain) are filled in. */
  dialUri: s.string({
    pattern: '\\{NUMBER\\}',
    default: 'sip:{NUMBER}@{DOMAIN}',
    description: 'SIP URI template with {NUMBER} and {DOMAIN}',
  }),
  /** The SIP account, as a line of baresip's `accounts` file. */
  account: s.string({
    pattern: '^<sips?:',
    default: '<sip:callctl@127.0.0.1>;regint=0',
    description: 'account line, e.g. <sip:alice@example.com>;regint=0',
  }),
  /** Start baresip with a generated headless config (`callctl listen --spawn`) instead of attaching. */
  spawn: s.boolean({default: false, description: 'start baresip with a generated headless config'}),
  binary: s.string({minLength: 1, default: 'baresip', description: 'the baresip executable'}),
  sipListen: s.string({
    pattern: '^[^\\s]+:\\d+$',
    default: '127.0.0.1:5060',
    description: 'host:port for SIP when spawned',
  }),
  rtpPorts: s.string({
    pattern: '^\\d+-\\d+$',
    default: '10000-10099',
    description: 'RTP port range when spawned, e.g. 10000-10099',
  }),
  modulePath: s.string({
    minLength: 1,
    default: process.platform === 'darwin' ? '/opt/homebrew/lib/baresip/modules' : '/usr/lib/baresip/modules',
    description: "folder of baresip's modules",
  }),
  commandTimeoutMs: s.integer({minimum: 100, default: 3000, description: 'how long to wait for baresip to answer'}),
  /** How long `make` waits for baresip to report the call it dialled (its first event with a call id). */
  dialTimeoutMs: s.integer({
    minimum: 100,
    default: 10_000,
    description: 'how long make waits for baresip to report the dialled call',
  }),
})

export type BaresipSettings = Infer<typeof settings>

/**
 * All of them, each a baresip 1.0 ctrl_tcp command of its menu module: accept, hangup (also reject: 486 to the
 * caller), hold, resume, transfer (REFER), sndcode (RFC 4733 DTMF), mute (a toggle), with callfind to pick the call;
 * and `sip`: its `dial` takes a whole SIP URI.
 */
export const BARESIP_CAPABILITIES: readonly Capability[] = [...CAPABILITIES, 'sip']

/** A real SIP softphone driven over baresip's ctrl_tcp socket; the driver itself (src/drivers/baresip/driver.ts) loads with the listener. */
export const baresipDriver = defineDriver({
  name: 'baresip',
  settings,
  checks: {dialUri: (value) => checkPlaceholders(value as string, 'driver.baresip.dialUri', ['NUMBER', 'DOMAIN'])},
  capabilities: BARESIP_CAPABILITIES,
  async check(options, listening, running) {
    const where = `${options.host}:${options.port}`
    // A running listener holds ctrl_tcp, which serves one client: connecting to it here would push the listener off.
    if (running) {
      if (running.state === 'connected') return {verdict: 'ok', message: `baresip: the listener is ${running.detail}`}
      return {
        verdict: running.state === 'down' ? 'fail' : 'warn',
        message: `baresip (${running.state}): ${running.detail}`,
        fix:
          options.spawn || running.detail.includes('the baresip callctl started')
            ? 'See callctl logs for what baresip printed (a port in its error is taken: change driver.baresip.port or .sipListen), then restart the listener'
            : 'Start baresip with the ctrl_tcp module loaded (module ctrl_tcp.so, ctrl_tcp_listen in its config), or let callctl start it: callctl listen --spawn',
      }
    }

    const {onPath, reachable} = await import('../../os/probe.js')
    if (options.spawn) {
      if (!onPath(options.binary))
        return {
          verdict: 'fail',
          message: `baresip: ${options.binary} not found`,
          fix: 'Install baresip (apt-get install baresip-core, brew install baresip) or set driver.baresip.binary',
        }
      // The spawned baresip could not open ctrl_tcp on a taken port ("ctrl_tcp: failed to listen").
      if (await reachable(options.host, options.port))
        return {
          verdict: 'fail',
          message: `baresip: ${options.binary} found, but another program already listens on ${where}, where the spawned baresip's ctrl_tcp would`,
          fix: 'Stop that program, or set driver.baresip.port to a free port',
        }
      return {verdict: 'ok', message: `baresip: ${options.binary} found; callctl starts it`}
    }

    // No listener: connecting (and pushing off any other client) is the only way to tell ctrl_tcp from another server.
    const {CtrlConnection} = await import('./ctrl.js')
    const ctrl = new CtrlConnection(options.host, options.port)
    try {
      await ctrl.connect(Math.min(options.commandTimeoutMs, 2000))
      return {verdict: 'ok', message: `baresip: ctrl_tcp answers on ${where}`}
    } catch (error) {
      const refused = (error as {reason?: string}).reason === 'refused'
      return {
        verdict: 'fail',
        message: refused
          ? `baresip: nothing answers on ${where} (ctrl_tcp)${listening ? '; the listener will report 503 until it does' : ''}`
          : `baresip: ${(error as Error).message}`,
        fix: 'Start baresip with the ctrl_tcp module loaded (module ctrl_tcp.so, ctrl_tcp_listen in its config), or let callctl start it: callctl listen --spawn',
      }
    } finally {
      ctrl.close()
    }
  },
  create: async (context: DriverContext<BaresipSettings>) => (await import('./driver.js')).createBaresipDriver(context),
})
