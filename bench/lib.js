// Helpers shared by the bench sections: processes, timing and statistics.
import {spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:http'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {createInterface} from 'node:readline'
import {fileURLToPath} from 'node:url'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const RUN_JS = path.join(ROOT, 'bin', 'run.js')

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

/** A config folder holding exactly these settings; removed at exit. */
export function configFolder(settings) {
  const dir = mkdtempSync(path.join(tmpdir(), 'callctl-bench-'))
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(settings))
  process.once('exit', () => rmSync(dir, {recursive: true, force: true}))
  return dir
}

/** Wall time of one process run, from spawn to exit, in ms. */
export async function timeProcess(command, args, env = {}) {
  return (await timeRun(command, args, env)).exitMs
}

/**
 * One process run: `exitMs` from spawn to exit and, given a listener's `events` stream and the event its command
 * causes, `arrivalMs` from spawn to that event reaching this process (the listener got the command and acted on it).
 */
export async function timeRun(command, args, env = {}, {events, event} = {}) {
  const started = performance.now()
  const child = spawn(command, args, {env: {...process.env, ...env}, stdio: 'ignore'})
  const arrived = events?.next(event, started)
  const code = await new Promise((resolve, reject) => {
    child.on('exit', resolve)
    child.on('error', reject)
  })
  const exitMs = performance.now() - started
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}`)
  return {exitMs, arrivalMs: arrived && (await arrived) - started}
}

/**
 * A listener's `/events` stream read in this process: `next(type, since)` resolves with the arrival time
 * (performance.now()) of the first event of that type that arrived at or after `since`.
 */
export async function subscribeEvents(url) {
  const arrivals = []
  const waiting = []
  const stop = new AbortController()
  const response = await fetch(`${url}/events`, {signal: stop.signal})
  const decoder = new TextDecoder()
  let buffer = ''
  const read = (async () => {
    for await (const chunk of response.body) {
      const at = performance.now()
      buffer += decoder.decode(chunk, {stream: true})
      let end
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const type = /^event: (.+)$/m.exec(buffer.slice(0, end))?.[1]
        buffer = buffer.slice(end + 2)
        if (!type) continue
        arrivals.push({type, at})
        for (const wait of waiting.splice(0)) {
          if (wait.type === type && at >= wait.since) wait.resolve(at)
          else waiting.push(wait)
        }
      }
    }
  })().catch(() => {})
  return {
    next(type, since) {
      const seen = arrivals.find((arrival) => arrival.type === type && arrival.at >= since)
      return seen ? Promise.resolve(seen.at) : new Promise((resolve) => waiting.push({type, since, resolve}))
    },
    async close() {
      stop.abort()
      await read
    },
  }
}

/**
 * `callctl listen --json` as a real process; resolves once it accepts commands. Its lines are read only for the
 * start-up figure (the ready line is exact); under load they go to /dev/null, as a service's output would go to a
 * log, so that this process, which also runs the load, does not pay for reading them.
 */
export async function startListener(configDir, {quiet = false, env = process.env} = {}) {
  const started = performance.now()
  const port = quiet ? String(await freePort()) : '0'
  const child = spawn(process.execPath, [RUN_JS, 'listen', '--port', port, '--json'], {
    env: {...env, CALLCTL_CONFIG_DIR: configDir, NO_COLOR: '1'},
    stdio: ['ignore', quiet ? 'ignore' : 'pipe', 'inherit'],
  })
  const exited = new Promise((_, reject) =>
    child.on('exit', (code) => reject(new Error(`callctl listen exited with ${code} before it was ready`))),
  )
  const url = await Promise.race([exited, quiet ? waitForStatus(port) : readyLine(child)])
  return {
    url,
    port: Number(new URL(url).port),
    pid: child.pid,
    readyMs: performance.now() - started,
    async stop() {
      child.kill('SIGTERM')
      await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve()))
    },
  }
}

async function readyLine(child) {
  return new Promise((resolve) => {
    const lines = createInterface({input: child.stdout})
    lines.on('line', (text) => {
      if (!text.includes('"kind":"ready"')) return
      resolve(JSON.parse(text).url)
      // Keep draining, without parsing, so the listener never blocks on a full pipe.
      lines.close()
      child.stdout.resume()
    })
  })
}

async function waitForStatus(port) {
  const url = `http://127.0.0.1:${port}`
  for (;;) {
    try {
      const response = await fetch(`${url}/status`)
      await response.arrayBuffer()
      if (response.ok) return url
    } catch {}
    await sleep(20)
  }
}

/** A TCP port on loopback that was free a moment ago. */
export async function freePort() {
  const server = createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** A bare node:http server in its own process, answering every request with `body`: the throughput baseline. */
export async function startBareServer(body, {env = process.env} = {}) {
  const child = spawn(process.execPath, [path.join(ROOT, 'bench', 'bare-server.js')], {
    env: {...env, BARE_BODY: body},
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const port = await new Promise((resolve) =>
    createInterface({input: child.stdout}).once('line', (line) => resolve(Number(line))),
  )
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM')
      await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve()))
    },
  }
}

/** A webhook receiver in this process: calls `onRequest(url, arrivedAt)` for each request. */
export async function startReceiver(onRequest) {
  const server = createServer((req, res) => {
    onRequest(req.url, performance.now())
    req.resume()
    res.writeHead(204).end()
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

export async function post(url) {
  const response = await fetch(url, {method: 'POST'})
  await response.arrayBuffer()
  return response.status
}

/** Resident set size of a process, in MB (Linux: /proc; elsewhere: ps). */
export async function rssMb(pid) {
  if (process.platform === 'linux') {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1])
    return kb / 1024
  }

  const {execFileSync} = await import('node:child_process')
  return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], {encoding: 'utf8'}).trim()) / 1024
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
