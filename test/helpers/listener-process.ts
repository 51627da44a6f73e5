import {execa, type ResultPromise} from 'execa'
import {createInterface} from 'node:readline'

import {setConfig} from './config.js'
import {RUN_JS, tempConfigDir} from './paths.js'

export interface ListenerProcess {
  url: string
  port: number
  /** Every JSON line the listener printed so far (`--json`). */
  lines: Array<Record<string, unknown>>
  /** Resolves with the first printed line that matches. */
  waitForLine(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>
  stop(): Promise<void>
  process: ResultPromise
}

/** Starts `bin/run.js listen --port 0 --json` as a real process and waits for its ready line. */
export async function startListenerProcess(
  configDir: string,
  args: string[] = [],
  env: Record<string, string> = {},
  {cwd}: {cwd?: string} = {},
): Promise<ListenerProcess> {
  // Port 0 (a free one) unless the test names its own.
  const port = args.includes('--port') ? [] : ['--port', '0']
  const child = execa(process.execPath, [RUN_JS, 'listen', ...port, '--json', ...args], {
    env: {CALLCTL_CONFIG_DIR: configDir, NO_COLOR: '1', ...env},
    ...(cwd === undefined ? {} : {cwd}),
    reject: false,
    buffer: false,
    forceKillAfterDelay: 3000,
  })
  const lines: Array<Record<string, unknown>> = []
  const waiters = new Set<() => void>()
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  createInterface({input: child.stdout!}).on('line', (text) => {
    try {
      lines.push(JSON.parse(text) as Record<string, unknown>)
    } catch {
      lines.push({kind: 'text', text})
    }

    for (const wake of waiters) wake()
  })

  async function waitForLine(match: (line: Record<string, unknown>) => boolean, timeoutMs = 10_000) {
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const found = lines.find(match)
        if (!found) return false
        cleanup()
        resolve(found)
        return true
      }

      const timer = setTimeout(() => {
        cleanup()
        reject(
          new Error(
            `listener printed no matching line in ${timeoutMs} ms; stdout: ${JSON.stringify(lines)} stderr: ${stderr}`,
          ),
        )
      }, timeoutMs)
      const exited = () => {
        cleanup()
        reject(new Error(`listener exited: ${stderr}`))
      }

      const cleanup = () => {
        clearTimeout(timer)
        waiters.delete(check)
        child.nodeChildProcess.off('exit', exited)
      }

      if (check()) return
      waiters.add(check)
      child.nodeChildProcess.once('exit', exited)
    })
  }

  const ready = await waitForLine((line) => line.kind === 'ready', 15_000)
  const url = String(ready.url)
  return {
    url,
    port: Number(new URL(url).port),
    lines,
    waitForLine,
    process: child,
    async stop() {
      if (child.nodeChildProcess.exitCode === null) {
        child.kill('SIGTERM')
        await child
      }
    },
  }
}

/**
 * A listener for a whole describe block, on a fresh config folder holding `settings` (each set as `callctl config
 * set` does, in process: see setConfig). The fields are filled in before the block's first test.
 */
export function useListener(settings: Record<string, string>): {listener: ListenerProcess; configDir: string} {
  const running = {} as {listener: ListenerProcess; configDir: string}
  beforeAll(async () => {
    running.configDir = tempConfigDir()
    await setConfig(running.configDir, settings)

    running.listener = await startListenerProcess(running.configDir)
  })
  afterAll(async () => {
    await running.listener?.stop()
  })
  return running
}
