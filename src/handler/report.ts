import {isCallctlError} from '../errors.js'
import {SHOWN_LINK_CHARS} from '../dialing/link.js'
import {LogFile} from '../logs/log-file.js'
import {onPath} from '../os/probe.js'
import {type AlertCommand, notifyCommand} from './alert.js'

/**
 * A clicked link has no terminal to print to: what went wrong (or was left out) is shown as a desktop notification
 * and written to the listener's log (`callctl logs`), so that a click never silently does nothing.
 */
export async function reportDialFailure(link: string, error: unknown): Promise<void> {
  const message = error instanceof Error ? error.message : String(error)
  const hint = isCallctlError(error) ? error.suggestions[0] : undefined
  log({
    kind: 'dial',
    outcome: 'failed',
    link: clip(link),
    error: clip(message, 1000),
    code: (error as {code?: string}).code,
  })
  await show('callctl: the call was not placed', hint ? `${message}\n${hint}` : message)
}

/** Something the call goes without (an extension it cannot key in): shown, and logged, but the call is placed. */
export async function reportDialWarnings(link: string, warnings: string[]): Promise<void> {
  if (warnings.length === 0) return
  log({kind: 'dial', outcome: 'warning', link: clip(link), warnings: warnings.map((warning) => clip(warning, 1000))})
  await show('callctl', warnings.join('\n'))
}

function log(record: Record<string, unknown>): void {
  const file = new LogFile()
  file.append({time: new Date().toISOString(), ...record})
  file.flush()
}

/** A link of 100 kB must not make a 100 kB log line (log rotation would push real records out). */
function clip(text: string, max = SHOWN_LINK_CHARS): string {
  return text.length > max ? `${text.slice(0, max)}…` : text
}

/**
 * What a notification may show: at most 1000 characters (a longer argument fails with E2BIG or is cut by the
 * desktop anyway), no control characters but line breaks, no Unicode direction overrides (which would make a
 * number read backwards).
 */
export function alertText(message: string): string {
  return clip(message, 1000).replaceAll(
    // eslint-disable-next-line no-control-regex -- control characters are what this replaces
    /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069\u2028\u2029]/g,
    '\uFFFD',
  )
}

async function show(title: string, message: string): Promise<void> {
  const command = notifyCommand(title, alertText(message), process.platform, onPath)
  if (command) await runAlert(command)
}

/** Runs an alert program; its own failure (no notification daemon) must not hide the error being reported. */
export async function runAlert({
  argv: [file, args],
  env,
}: AlertCommand): Promise<{exitCode?: number; stderr: string; timedOut: boolean}> {
  const {execa} = await import('execa')
  const result = await execa(file, args, {reject: false, timeout: 120_000, stdin: 'ignore', env})
  return {exitCode: result.exitCode, stderr: String(result.stderr ?? ''), timedOut: result.timedOut}
}
