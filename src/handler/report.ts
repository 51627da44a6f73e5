import {CallctlError} from '../errors.js'
import {LogFile} from '../logs/log-file.js'
import {onPath} from '../os/probe.js'
import {type AlertCommand, notifyCommand} from './alert.js'

/**
 * A clicked link has no terminal to print to: what went wrong (or was left out) is shown as a desktop notification
 * and written to the listener's log (`callctl logs`), so that a click never silently does nothing.
 */
export async function reportDialFailure(link: string, error: unknown): Promise<void> {
  const message = error instanceof Error ? error.message : String(error)
  const hint = error instanceof CallctlError ? error.suggestions[0] : undefined
  log({kind: 'dial', outcome: 'failed', link, error: message, code: (error as {code?: string}).code})
  await show('callctl: the call was not placed', hint ? `${message}\n${hint}` : message)
}

/** Something the call goes without (an extension it cannot key in): shown, and logged, but the call is placed. */
export async function reportDialWarnings(link: string, warnings: string[]): Promise<void> {
  if (warnings.length === 0) return
  log({kind: 'dial', outcome: 'warning', link, warnings})
  await show('callctl', warnings.join('\n'))
}

function log(record: Record<string, unknown>): void {
  const file = new LogFile()
  file.append({time: new Date().toISOString(), ...record})
  file.flush()
}

async function show(title: string, message: string): Promise<void> {
  const command = notifyCommand(title, message, process.platform, onPath)
  if (command) await runAlert(command)
}

/** Runs an alert program; its own failure (no notification daemon) must not hide the error being reported. */
export async function runAlert({argv: [file, args], env}: AlertCommand): Promise<number | undefined> {
  const {execa} = await import('execa')
  const result = await execa(file, args, {reject: false, timeout: 120_000, stdin: 'ignore', env})
  return result.exitCode
}
