import path from 'node:path'

import type {ListenerClient} from '../client.js'
import {CallctlError, ExitCode} from '../errors.js'

const {existsSync} = process.getBuiltinModule('node:fs')

/** How long `dial` waits for a listener it started (the budget on this machine). */
export const START_WAIT_MS = 3000

export interface StartedListener {
  /** `service`: the installed background service was started; `process`: a detached `callctl listen`. */
  how: 'service' | 'process'
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
  let how: StartedListener['how'] = 'process'
  let exited: string | undefined
  let busy = false
  // A --port other than the configured one is not what the service listens on.
  if (port === undefined && (await startService())) {
    how = 'service'
  } else {
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
      // Exit 6 is a port or config folder in use: when two clicks start a listener at once, one of them wins, and
      // the other click's call goes to it.
      busy = result.exitCode === ExitCode.cannotListen
    })
  }

  while (performance.now() < deadline) {
    try {
      await client.status()
      return {how, ms: Math.round(performance.now() - started)}
    } catch (error) {
      if (error instanceof CallctlError && error.code === 'ERR_NOT_CALLCTL') throw error
    }

    if (exited && !busy) break
    await new Promise((resolve) => setTimeout(resolve, 40))
  }

  throw new CallctlError(
    exited ??
      `Started ${how === 'service' ? 'the callctl service' : 'callctl listen'}, but it did not answer on ${client.host}:${client.port} within ${waitMs / 1000} s`,
    {
      code: 'ERR_LISTENER_START',
      exit: ExitCode.noListener,
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
