import {configFile} from '../config/paths.js'
import {ConfigError} from '../errors.js'
import type {ListenerReport} from '../listener/report.js'
import {type RunningListener, startListener} from '../listener/start.js'
import {LogFile, logDir, MAX_LOG_BYTES} from '../logs/log-file.js'
import {type Config, SETTINGS} from '../settings.js'
import {isoNow} from '../engine/clock.js'
import {LineBatch} from '../os/line-batch.js'
import {readRegularFile} from '../os/regular-file.js'

/** For the fast path's check of `listen --driver`. */
export {DRIVER_NAMES} from '../drivers/registry.js'

const {existsSync, unwatchFile, watchFile} = process.getBuiltinModule('node:fs')

export interface ListenFlags {
  port?: number
  host?: string
  driver?: string
  json?: boolean
  spawn?: boolean
}

/**
 * `callctl listen`: the config with the flags over it, the listener, one line per event, until SIGINT or SIGTERM.
 * Shared by the oclif command and the fast path of bin/run.js.
 */
export async function runListen(
  flags: ListenFlags,
  {version, out = process.stdout}: {version: string; out?: NodeJS.WritableStream},
): Promise<void> {
  const file = configFile()
  const {stored, migrated} = SETTINGS.read(file)
  const config = withFlags(SETTINGS.effective(stored, file), flags)

  // One sink, two subscribers: the console (a line or a JSON object each) and the log file (with the time). Both
  // write in batches (LineBatch), so a burst of requests costs no write per request.
  // Its warnings are reported like any other: on the console (when it takes them again) and in the log.
  const screen = consoleWriter(out, (message) => report({kind: 'warning', message}))
  const lines = new LineBatch((text) => screen.write(text))
  // With --json the records are printed as they are: the lines for people, and chalk with them, are loaded only
  // without it (~2 MB of an idle listener's RSS).
  const print = (line: string) => lines.push(line)
  const terminal: (report: ListenerReport, serialized?: string) => void = flags.json
    ? (record, serialized) => print(serialized ?? JSON.stringify(record))
    : (await import('./console.js')).consoleSink(print)
  const log = new LogFile(logDir(), MAX_LOG_BYTES, (message) => terminal({kind: 'warning', message}))
  const report = (record: ListenerReport) => {
    // Serialized once: with --json the console's line is the log's without the time (a request costs one
    // JSON.stringify, not two; they were a tenth of a `/status` in the profile of `npm run bench`).
    const json = JSON.stringify(record)
    terminal(record, json)
    log.appendLine(`{"time":"${isoNow()}",${json.slice(1)}`)
  }

  // Whatever ends the process, what was reported is written.
  process.once('exit', () => {
    lines.flush()
    log.flush()
  })
  if (migrated.length > 0) {
    // An older file keeps working as it is; written back in the current shape, so that this happens (and is logged) once.
    let written = `written back to ${file}`
    try {
      SETTINGS.persist(file, stored)
    } catch (error) {
      written = `not written back (${(error as Error).message})`
    }

    // Only in the log: an old file works as it is, nobody has to act.
    log.append({time: isoNow(), kind: 'config', message: `config: ${migrated.join('; ')}; ${written}`})
  }

  const running = await startListener({config, version, report})
  report({kind: 'ready', url: running.url, driver: config.driver.name, pid: process.pid})
  const stopWatching = followConfig(file, running, flags, report)

  // Handlers stay on for the whole run: with `once`, a second handler that a child-process library keeps (execa's
  // signal-exit, while a command driver's program runs) would find ours gone and re-raise the signal, killing the
  // listener before it answered and flushed. A second signal while stopping ends it at once.
  let stopping = false
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      // The exit handler above writes what was reported.
      if (stopping) process.exit(signal === 'SIGINT' ? 130 : 143)

      stopping = true
      resolve()
    }

    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
  stopWatching()
  await running.close()
  report({kind: 'stopped'})
  lines.flush()
  log.flush()
  screen.release()
}

/** Past this much console output its reader has not taken, lines are left out (the log has them). */
const CONSOLE_BACKLOG_BYTES = 1024 * 1024
/** How long a stopped listener gives its console's reader to take the last lines. */
const CONSOLE_DRAIN_MS = 2000

/**
 * Writes the console's lines while somebody reads them. The listener outlives its reader (`listen | head -1`, a
 * closed terminal, a dead `tee`) and waits for none that stopped reading: that grew its memory without bound, and
 * kept a stopped listener alive. What the console misses is in the log, which says so.
 */
function consoleWriter(
  out: NodeJS.WritableStream,
  warn: (message: string) => void,
): {write: (text: string) => void; release: () => void} {
  let gone = false
  let left = 0
  const backlog = () => (out as {writableLength?: number}).writableLength ?? 0
  out.on('error', (error: NodeJS.ErrnoException) => {
    if (gone) return
    gone = true
    warn(
      `the console's reader went away (${error.code ?? error.message}); the listener runs on, its lines in this log only`,
    )
  })
  return {
    write(text) {
      if (gone) return
      if (backlog() > CONSOLE_BACKLOG_BYTES) {
        if (left === 0) warn("the console's reader is not reading: its lines are left out until it reads again")
        left += text.split('\n').length - 1
        return
      }

      if (left > 0) {
        warn(`${left} lines were left out: the console's reader was not reading (they are in the log)`)
        left = 0
      }

      out.write(text)
    },
    release() {
      // A write still waiting holds the process open; the timer alone does not.
      if (!gone && backlog() > 0) setTimeout(() => process.exit(process.exitCode ?? 0), CONSOLE_DRAIN_MS).unref()
    },
  }
}

/** The config with the command line over it: what `listen` was started with wins over the file, at start and on changes. */
function withFlags(config: Config, flags: ListenFlags): Config {
  config.port = flags.port ?? config.port
  config.host = flags.host ?? config.host
  config.driver.name = (flags.driver as Config['driver']['name'] | undefined) ?? config.driver.name
  if (flags.spawn) {
    if (config.driver.name !== 'baresip') throw new ConfigError('--spawn starts baresip: use it with --driver baresip')
    config.driver.baresip = {...config.driver.baresip, spawn: true}
  }

  return config
}

/** How often the config file is looked at. Polled, not watched: it works for a file that does not exist yet, and
 * across the rename by which `config set` and editors replace it, the same way on every OS. */
const CONFIG_POLL_MS = 250

/**
 * Settings reach the running listener: when the config file changes, what can change live is applied (and said in
 * the log), what needs a restart is reported, and a file that is now broken or gone is reported and ignored.
 */
function followConfig(
  file: string,
  running: RunningListener,
  flags: ListenFlags,
  report: (record: ListenerReport) => void,
): () => void {
  const read = () => {
    try {
      // A FIFO put in its place must not stop the listener: SETTINGS.read then reports it.
      return readRegularFile(file)
    } catch {
      return ''
    }
  }

  let last = read()
  let applying = Promise.resolve()
  const apply = async () => {
    // A file gone (an editor's save, a sync tool, a mistaken rm) is no order to drop the token, the number rules and
    // the callbacks (their pending deliveries would be given up): the listener keeps what it has.
    if (!existsSync(file)) {
      report({
        kind: 'warning',
        message: `config: ${file} is gone; the listener runs on with the settings it had (restart it to start from the defaults)`,
      })
      return
    }

    try {
      const next = withFlags(SETTINGS.effective(SETTINGS.read(file).stored, file), flags)
      const {applied, restart, waiting} = await running.reconfigure(next)
      if (applied.length > 0) report({kind: 'config', message: `config: applied ${applied.join(', ')} from ${file}`})
      if (restart.length > 0)
        report({
          kind: 'warning',
          message: `config: ${restart.join(' and ')} changed; restart the listener to use the new value`,
        })
      if (waiting.length > 0)
        report({kind: 'config', message: 'config: the new driver settings apply once the live calls have ended'})
    } catch (error) {
      report({
        kind: 'warning',
        message: `config: ${(error as Error).message}; the listener runs on with the settings it had`,
      })
    }
  }

  const check = () => {
    const text = read()
    if (text === last) return
    last = text
    // One change at a time, in the order they were seen.
    applying = applying.then(apply)
  }

  watchFile(file, {interval: CONFIG_POLL_MS, persistent: false}, check)
  return () => unwatchFile(file, check)
}
