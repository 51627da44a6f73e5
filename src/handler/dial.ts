import {ListenerClient} from '../client.js'
import type {Call} from '../engine/call.js'
import {CallctlError} from '../errors.js'
import {type DialTarget, parseDialLink} from '../dialing/link.js'
import {applyDialingRules} from '../dialing/rules.js'
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
  /** The number sent to the listener (its dialing rules make `dialled` of it). */
  number: string
  /** The number the phone dials, after the dialing rules, and the rules that changed it. */
  dialled: string
  rules: string[]
  /** `;ext=`: kept for keying it in after answer, which no driver can do yet. */
  ext?: string
  warnings: string[]
  /** How the listener was started when none was running. */
  started?: 'service' | 'process'
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
    if (options.configDir) process.env.CALLCTL_CONFIG_DIR = options.configDir
    config = loadConfig()
    const target = parseDialLink(link)
    const {number: dialled, rules} = applyDialingRules(target.number, config.dialing)
    const warnings = [
      ...(target.ext ? [`extension ${target.ext} not sent: the driver cannot send DTMF`] : []),
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
    const why = rules.length === 0 ? ['no dialing rule changed it'] : rules
    if (options.dryRun) {
      return {
        data: {...result, dryRun: true},
        lines: [`Would dial ${dialled}`, ...why.map((rule) => `  ${rule}`)],
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

    let call: Call
    try {
      call = await client.make(target.number)
    } catch (error) {
      if (!(error instanceof CallctlError) || error.code !== 'ERR_NO_LISTENER') throw error
      const {startListenerFor} = await import('./autostart.js')
      const started = await startListenerFor(client, {port: options.port})
      result.started = started.how
      call = await client.make(target.number)
    }

    if (options.notify && warnings.length > 0) {
      const {reportDialWarnings} = await import('./report.js')
      await reportDialWarnings(link, warnings)
    }

    return {
      data: {...result, call},
      lines: [
        ...(result.started
          ? [`Started the listener (${result.started === 'service' ? 'the callctl service' : 'callctl listen'})`]
          : []),
        `Dialing ${call.number} (call ${call.id})`,
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
