import path from 'node:path'

import {ListenerClient} from '../client.js'
import type {Call} from '../engine/call.js'
import {CallctlError, ExitCode} from '../errors.js'
import {type DialTarget, parseDialLink} from '../dialing/link.js'
import {applyDialingRules, numberMatching} from '../dialing/rules.js'
import {cannotDialSip} from '../engine/control.js'
import {compileNumberPolicy} from '../engine/number-policy.js'
import {driverModule, driversThatCan} from '../drivers/registry.js'
import {handsOffTo} from '../drivers/uri.js'
import {isSipAddress} from '../engine/sip-address.js'
import {type Config, loadConfig} from '../settings.js'

export interface DialOptions {
  port?: number
  /** Print the number that would be dialled and the rules that made it; dial nothing. */
  dryRun?: boolean
  /** Show a failure as a desktop notification too: a clicked link has no terminal (the link handler sets it). */
  notify?: boolean
  /** The config folder the handler was installed with (as CALLCTL_CONFIG_DIR; a listener it starts gets it too). */
  configDir?: string
}

/** What `callctl dial` did (its `--json` output). */
export interface DialResult {
  /** The link or number as given. */
  link: string
  scheme: DialTarget['scheme']
  /** The number sent to the listener (its dialing rules make `dialled` of it), or the SIP address. */
  number: string
  /** The number the phone dials, after the dialing rules, and the rules that changed it. */
  dialled: string
  rules: string[]
  /** `;ext=`: keyed in by the listener once the call is answered, where its driver can send DTMF. */
  ext?: string
  /** The listener will key `ext` in after answer (false: its driver cannot send DTMF; a warning says so). */
  extKeyed?: boolean
  warnings: string[]
  /** How the listener was started when none was running (`other`: another click started it; this one waited). */
  started?: 'service' | 'process' | 'other'
  /** The status page asks first (handler.confirm with no native prompt on this system). */
  confirmation?: string
  /** The native prompt of handler.confirm was answered no. */
  declined?: true
  dryRun?: true
  call?: Call
}

/**
 * `callctl dial <link-or-number>`: what a click on a tel:, callto: or sip: link runs. Parses the link, applies the
 * dialing rules (for `--dry-run`; the listener applies the same ones to what it is sent), starts a listener when none
 * answers, and dials. A failure is also shown as a desktop notification with `notify`, and logged.
 */
export async function dial(
  link: string,
  options: DialOptions = {},
): Promise<{data: DialResult; lines: string[]; warnings: string[]}> {
  let config: Config | undefined
  try {
    // Absolute before anything reads it: the listener dial may start runs in another working folder, where a
    // relative path (or one xdg-open passed on with its quotes) would be another config, with no token and no lists.
    const configDir = options.configDir ?? process.env.CALLCTL_CONFIG_DIR
    if (configDir) process.env.CALLCTL_CONFIG_DIR = path.resolve(configDir)
    config = loadConfig()
    const target = parseDialLink(link)
    if (options.notify) refuseHandoffLoop(link, target.scheme, config)
    const {number: dialled, rules} = applyDialingRules(target.number, config.dialing)
    // The listener refuses these too; checked here first, so that no prompt asks about (and no --dry-run shows as
    // dialled) a number that will be refused, and a broken entry is named before any listener is started.
    compileNumberPolicy(config.numbers, numberMatching(config.dialing))(dialled)
    const warnings = [
      ...(target.isub ? [`subaddress ${target.isub} not sent: no driver can send an ISDN subaddress`] : []),
    ]
    const result: DialResult = {
      link,
      scheme: target.scheme,
      number: target.number,
      dialled,
      rules,
      ...(target.ext ? {ext: target.ext} : {}),
      warnings,
    }
    const why = isSipAddress(dialled)
      ? ['dialing rules do not apply to SIP addresses; a driver that speaks SIP (baresip) dials it as it is']
      : rules.length === 0
        ? ['no dialing rule changed it']
        : rules
    if (options.dryRun) {
      if (isSipAddress(dialled)) {
        const running = await new ListenerClient({port: options.port}, config)
          .status<RunningDriver>()
          .catch(() => undefined)
        refuseUndialableSip(dialled, config, running)
      }
      return {
        data: {...result, dryRun: true},
        lines: [
          `Would dial ${dialled}`,
          ...why.map((rule) => `  ${rule}`),
          ...(target.ext ? [`Then key in ${target.ext} once answered (where the driver can send DTMF)`] : []),
        ],
        warnings,
      }
    }

    const client = new ListenerClient({port: options.port}, config)
    if (config.handler.confirm) {
      const {confirmDial} = await import('./confirm.js')
      const answer = await confirmDial(client, {dialled, number: target.number, token: config.security.token})
      if (answer.kind === 'page') {
        return {
          data: {...result, confirmation: answer.url},
          lines: [`Asking in the browser whether to call ${dialled} (handler.confirm)`],
          warnings,
        }
      }

      if (answer.kind === 'declined') {
        return {data: {...result, declined: true}, lines: [`Not dialled: ${dialled} was declined`], warnings}
      }
    }

    const make = async (): Promise<Call> => {
      if (!target.ext) return client.make(target.number)
      const {call, keyed} = await client.makeWithExtension(target.number, target.ext)
      result.extKeyed = keyed
      if (!keyed) warnings.push(`extension ${target.ext} not sent: the driver cannot send DTMF`)
      return call
    }

    let call: Call
    try {
      call = await make()
    } catch (error) {
      if (!(error instanceof CallctlError) || error.code !== 'ERR_NO_LISTENER') throw error
      // A listener started with the configured driver would only answer 501: said before starting one.
      if (isSipAddress(dialled)) refuseUndialableSip(dialled, config)
      const {startListenerFor} = await import('./autostart.js')
      const started = await startListenerFor(client, {port: options.port})
      result.started = started.how
      call = await make()
    }

    if (options.notify && warnings.length > 0) {
      const {reportDialWarnings} = await import('./report.js')
      await reportDialWarnings(link, warnings)
    }

    return {
      data: {...result, call},
      lines: [
        ...(result.started === 'other' ? ['Waited for the listener another click started'] : []),
        ...(result.started && result.started !== 'other'
          ? [`Started the listener (${result.started === 'service' ? 'the callctl service' : 'callctl listen'})`]
          : []),
        `Dialing ${call.number} (call ${call.id})`,
        ...(result.extKeyed ? [`Extension ${target.ext} will be keyed in once the call is answered`] : []),
      ],
      warnings,
    }
  } catch (error) {
    if (options.notify) {
      const {reportDialFailure} = await import('./report.js')
      await reportDialFailure(link, error)
    }

    throw error
  }
}

/**
 * A clicked link (`--notify`: the installed handler runs dial) of the scheme the uri driver hands calls to: the OS gave
 * that scheme's links to callctl, so the hand-off of this call would come straight back here, and the next, until the
 * rate limit stopped it (20 handed-off calls and as many webhooks from one click, measured). Refused at the first
 * return, with what to change.
 */
function refuseHandoffLoop(link: string, scheme: string, config: Config): void {
  if (handsOffTo(config.driver) !== scheme) return
  throw new CallctlError(
    `Not dialled: ${link} came back to callctl. The uri driver hands calls to the system's ${scheme}: handler, and that is callctl itself, so each call would open another`,
    {
      code: 'ERR_HANDOFF_LOOP',
      exit: ExitCode.usage,
      suggestions: [
        `Make your phone app the handler of ${scheme}: links again (callctl handler uninstall --scheme ${scheme})`,
        'or let callctl drive the phone itself: callctl config set driver.name baresip (or another driver)',
      ],
    },
  )
}

/** What `/status` says of the listener's driver. */
type RunningDriver = {driver?: {name?: string}; capabilities?: string[]}

/**
 * A SIP address is refused when the driver cannot dial one, as the listener would: before a listener is started for
 * it, and in `--dry-run`. The running listener's driver when one answers (it may run another than the config names:
 * `listen --driver`), else the configured one.
 */
function refuseUndialableSip(address: string, config: Config, running?: RunningDriver): void {
  const name = running?.driver?.name ?? config.driver.name
  const capabilities = running?.capabilities ?? driverModule(config.driver.name)?.capabilities ?? []
  if (!capabilities.includes('sip')) throw cannotDialSip(name, address, driversThatCan('sip'))
}
