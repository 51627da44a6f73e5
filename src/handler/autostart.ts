import path from 'node:path'

import type {ListenerClient} from '../client.js'
import {configDir} from '../config/paths.js'
import {CallctlError, ExitCode, isCallctlError} from '../errors.js'

const {closeSync, existsSync, mkdirSync, openSync, rmSync, statSync} = process.getBuiltinModule('node:fs')

/** How long `dial` waits for a listener it started (the issue's budget on this machine). */
export const START_WAIT_MS = 3000

export interface StartedListener {
  /**
   * `service`: the installed background service was started; `process`: a detached `callctl listen`; `other`:
   * another click was starting one already, and this one waited for it.
   */
  how: 'service' | 'process' | 'other'
  ms: number
}

/**
 * No listener answers: start one, the installed service if there is one (it has the user's settings and keeps
 * running), else a detached `callctl listen` with this process's config folder, and wait until it answers.
 */
export async function startListenerFor(
  client: ListenerClient,
  {port, waitMs = START_WAIT_MS}: {port?: number; waitMs?: number} = {},
): Promise<StartedListener> {
  const started = performance.now()
  const deadline = started + waitMs
  let how: StartedListener['how'] = 'other'
  let exited: string | undefined
  let busy = false
  // Many clicks at once with no listener: one of them starts it (holding the lock), the others wait for it; a start
  // per click would have every listener but one fail, and slow the winner down.
  const lock = startLock(client.port)
  let owner = false
  const start = async () => {
    // A --port other than the configured one is not what the service listens on.
    if (port === undefined && (await startService())) {
      how = 'service'
      return
    }

    how = 'process'
    const {execa} = await import('execa')
    const {packageRoot} = await import('../wrappers/install.js')
    const runJs = path.join(packageRoot(), 'bin', 'run.js')
    const child = execa(process.execPath, [runJs, 'listen', ...(port === undefined ? [] : ['--port', String(port)])], {
      detached: true,
      stdio: 'ignore',
      reject: false,
      // The listener outlives this command: it must not carry the link handler's console or working folder.
      cwd: path.dirname(runJs),
    })
    child.nodeChildProcess.unref()
    void child.then((result) => {
      exited = `callctl listen exited at once (exit code ${result.exitCode ?? result.signal}); run it in a terminal to see why`
      // Exit 6 is a port or config folder in use: a listener started otherwise (by hand, a service) may have won.
      busy = result.exitCode === ExitCode.cannotListen
    })
  }

  try {
    while (performance.now() < deadline) {
      if (await answers(client)) return {how, ms: Math.round(performance.now() - started)}
      if (!owner && takeLock(lock, waitMs)) {
        owner = true
        // The click that held the lock until now has its listener up: nothing to start.
        if (await answers(client)) return {how, ms: Math.round(performance.now() - started)}
        await start()
        continue
      }

      if (exited && !busy) break
      await new Promise((resolve) => setTimeout(resolve, 40))
    }
  } finally {
    if (owner) rmSync(lock, {force: true})
  }

  throw new CallctlError(
    exited ??
      `${how === 'other' ? 'Another click started callctl listen' : `Started ${how === 'service' ? 'the callctl service' : 'callctl listen'}`}, but it did not answer on ${client.host}:${client.port} within ${waitMs / 1000} s`,
    {
      code: 'ERR_LISTENER_START',
      // A listener that exited could not start (its own reason is the message); one that is silent is not running.
      exit: exited ? ExitCode.cannotListen : ExitCode.noListener,
      suggestions: ['Start the listener yourself (`callctl listen`) and look at what it says', 'callctl doctor'],
    },
  )
}

/** Starts the installed background service; false when none is installed or it would not start. */
async function startService(): Promise<boolean> {
  const {hostWhere, execaRunner} = await import('../service/index.js')
  const {servicePlan} = await import('../service/plan.js')
  const plan = servicePlan(hostWhere())
  if (!existsSync(plan.file)) return false
  for (const [file, args, options] of plan.start.commands) {
    const result = await execaRunner(file, args)
    if (result.exitCode !== 0 && !options?.mayFail) return false
  }

  return true
}

/** Whether a callctl listener answers now; another program on the port is an error at once. */
async function answers(client: ListenerClient): Promise<boolean> {
  try {
    await client.status()
    return true
  } catch (error) {
    if (isCallctlError(error) && error.code === 'ERR_NOT_CALLCTL') throw error
    return false
  }
}

/** The lock of starting a listener on `port`, in the config folder (one listener per folder and port). */
function startLock(port: number): string {
  return path.join(configDir(), `listener-start-${port}.lock`)
}

/**
 * Takes the start lock; false when another click holds it. A lock older than a start can take (its holder was
 * killed) is taken over.
 */
function takeLock(lock: string, waitMs: number): boolean {
  try {
    // As the config store creates it: readable by its owner only.
    mkdirSync(path.dirname(lock), {recursive: true, mode: 0o700})
    closeSync(openSync(lock, 'wx'))
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return true
  }

  try {
    if (Date.now() - statSync(lock).mtimeMs < waitMs + 2000) return false
    rmSync(lock, {force: true})
    closeSync(openSync(lock, 'wx'))
    return true
  } catch {
    return false
  }
}
