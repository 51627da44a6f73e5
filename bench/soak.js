#!/usr/bin/env node
// `npm run soak -- --minutes N`: a chaos soak of a real listener driving a real baresip, sipp as the other party.
//   node bench/soak.js [--minutes N | --seconds N] [--seed N] [--json]
// Random calls in and out, answers and ends, with faults injected among them: baresip kill -9 and restart, the
// webhook receiver down and up, the listener kill -9 and restart, damaged records written into its store. Then it
// checks what the README's Reliability section promises, prints the figures, and exits 1 if one check fails.
import {spawn} from 'node:child_process'
import {createSocket} from 'node:dgram'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:http'
import {createServer as createTcpServer} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {createInterface} from 'node:readline'
import {DatabaseSync} from 'node:sqlite'
import {parseArgs} from 'node:util'
import {Worker} from 'node:worker_threads'

import {writeHeadlessConfig} from '../dist/src/drivers/baresip/spawn.js'
import {percentile, ROOT, RUN_JS, sleep} from './lib.js'
import {GENERATION, STOP, UP} from './status-probe.js'

const {values: flags} = parseArgs({
  options: {
    minutes: {type: 'string'},
    seconds: {type: 'string'},
    seed: {type: 'string'},
    json: {type: 'boolean', default: false},
  },
})
const durationMs = 1000 * (flags.seconds ? Number(flags.seconds) : 60 * Number(flags.minutes ?? 1))
const seed = Number(flags.seed ?? Math.floor(Math.random() * 1e9))
const SIPP = path.join(ROOT, 'test', 'fixtures', 'sipp')
/** What the checks allow: `/status` p99 while the listener is up, and its resident memory at any time. */
const LIMITS = {statusP99Ms: 50, rssMb: 200}

/** mulberry32: the run can be replayed with the seed it prints. */
const random = (() => {
  let state = seed
  return () => {
    state = (state + 0x6d_2b_79_f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
})()
const between = (low, high) => low + Math.floor(random() * (high - low))
const log = (message) => flags.json || process.stderr.write(`${message}\n`)

const ports = await portBlock(40)
const p = {sip: ports, ctrl: ports + 3, peer: ports + 5, media: ports + 7, listener: ports + 9, receiver: ports + 10}
const uacPorts = (n) => ports + 20 + (n % 10) * 2
const work = mkdtempSync(path.join(tmpdir(), 'callctl-soak-'))
const configDir = path.join(work, 'config')
const children = new Set()
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL')
  rmSync(work, {recursive: true, force: true})
})

const counts = {made: 0, refused: 0, incoming: 0, answered: 0, ended: 0}
const injected = {baresipKills: 0, receiverDowns: 0, listenerKills: 0, damagedRecords: 0}

// --- the webhook receiver: records each request by its event id, and can be taken down and brought back ---
const received = []
const receiver = createServer((req, res) => {
  const query = new URL(req.url, 'http://x').searchParams
  received.push({id: req.headers['x-callctl-event-id'], call: query.get('call'), event: query.get('event')})
  req.resume()
  res.writeHead(204).end()
})
const receiverUp = () => new Promise((resolve) => receiver.listen(p.receiver, '127.0.0.1', resolve))
const receiverDown = () =>
  new Promise((resolve) => {
    receiver.close(resolve)
    receiver.closeAllConnections()
  })
await receiverUp()

// --- the config: baresip attached over ctrl_tcp, every event to the receiver ---
mkdirSync(configDir)
writeFileSync(
  path.join(configDir, 'config.json'),
  JSON.stringify({
    driver: {
      name: 'baresip',
      baresip: {
        port: p.ctrl,
        account: '<sip:alice@127.0.0.1>;regint=0',
        dialUri: `sip:{NUMBER}@127.0.0.1:${p.peer}`,
      },
    },
    security: {makeRateLimit: 0},
    callbacks: [
      {url: `http://127.0.0.1:${p.receiver}/ev?call={CALLID}&event={EVENT}`, events: ['new', 'updated', 'ended']},
    ],
  }),
)

// --- baresip, and sipp answering every call baresip places ---
mkdirSync(path.join(work, 'baresip'))
const baresipDir = writeHeadlessConfig(
  {
    sipListen: `127.0.0.1:${p.sip}`,
    ctrlHost: '127.0.0.1',
    ctrlPort: p.ctrl,
    account: '<sip:alice@127.0.0.1>;regint=0',
    rtpPorts: `${ports + 100}-${ports + 199}`,
    modulePath: '/usr/lib/baresip/modules',
  },
  path.join(work, 'baresip'),
)
let baresip = await startBaresip()
const callee = start('sipp', [
  ...sippArgs('uas-answer.xml', p.peer, p.media),
  '-m',
  '1000000',
  // A call whose BYE never comes (baresip killed mid-call) is dropped after this, not kept for ever.
  '-recv_timeout',
  '15000',
])

// --- the listener: its lines are read for events; an exit the soak did not cause is a death ---
const events = []
let maxRss = 0
let deaths = 0
// /status is asked from a worker thread (bench/status-probe.js) every 25 ms: about 1,100 answers in 30 s, so that the
// p99 is a percentile and not, as with 250 answers, the third-slowest single answer (a cold first answer after each
// injected restart was enough to decide it).
const probeFlags = new Int32Array(new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT))
const prober = new Worker(new URL('status-probe.js', import.meta.url), {
  workerData: {port: p.listener, intervalMs: 25, flags: probeFlags.buffer},
})
const probed = new Promise((resolve, reject) => {
  prober.once('message', resolve)
  prober.once('error', reject)
})
/** What the soak was doing, for the report's slowest answers: [name, from, to] in epoch ms. */
const timeline = []
const listenerStarts = []
let listener = await startListener()

const deadline = Date.now() + durationMs
const monitor = (async () => {
  while (Date.now() < deadline) {
    await sleep(100)
    if (listener.expectedUp) maxRss = Math.max(maxRss, rssMb(listener.child.pid))
  }
})()

log(`soak: ${durationMs / 1000} s, seed ${seed}`)
const pending = new Set()
let n = 0
while (Date.now() < deadline) {
  const roll = random() * 100
  const action =
    roll < 40
      ? outgoing
      : roll < 70
        ? incoming
        : roll < 77
          ? killBaresip
          : roll < 84
            ? receiverOutage
            : roll < 91
              ? killListener
              : damageStore
  const entry = [`${action.name} #${n}`, Date.now(), Infinity]
  timeline.push(entry)
  const task = action(n++)
    .catch((error) => log(`soak: ${action.name}: ${error.message}`))
    .finally(() => (entry[2] = Date.now()))
  pending.add(task)
  task.finally(() => pending.delete(task))
  await sleep(between(300, 800))
}

await Promise.all(pending)
await monitor
Atomics.store(probeFlags, STOP, 1)
const {samples, failures: statusFailures} = await probed
log('soak: draining')
// Everything back up, every call ended, every delivery out.
if (!listener.expectedUp) await sleep(100)
await ensureBaresip()
const drained = await until(async () => {
  const current = await status()
  // A caller killed before its CANCEL leaves baresip ringing: the soak hangs up whatever is still live.
  for (const call of current.calls ?? []) await post(`/end?call=${encodeURIComponent(call.id)}`)
  // Damaged rows written while the listener ran are found by its next look at the store (every 10 s).
  return (
    current.calls?.length === 0 &&
    current.deliveries?.pending === 0 &&
    current.deliveries?.quarantined === injected.damagedRecords
  )
}, 60_000)
const final = await status()
await listener.stop()
callee.kill('SIGKILL')
await stopBaresip()
await receiverDown()

// --- the checks ---
// A receiver tells deliveries apart by X-Callctl-Event-Id (one per event and target, the same on every retry); the
// listener's lines name each event. Per call, the events the listener announced must all have arrived, in the order
// announced. (An event of a listener killed before it printed the line may arrive unannounced: that is allowed.)
const firstArrival = new Map()
for (const request of received) if (!firstArrival.has(request.id)) firstArrival.set(request.id, request)
const arrivedByCall = groupBy([...firstArrival.values()], (request) => request.call)
let missing = 0
const outOfOrder = []
for (const [callId, callEvents] of groupBy(events, (event) => event.callId)) {
  const arrived = (arrivedByCall.get(callId) ?? []).map((request) => request.event)
  let at = 0
  for (const {type} of callEvents) {
    const found = arrived.indexOf(type, at)
    if (found === -1) {
      if (arrived.includes(type)) outOfOrder.push(callId)
      else missing++
      continue
    }

    at = found + 1
  }
}

const statusTimes = samples.map((sample) => sample.ms)
const p99 = statusTimes.length > 0 ? percentile(statusTimes, 99) : 0
const checks = [
  {check: 'listener deaths other than the injected ones', value: deaths, pass: deaths === 0},
  {check: 'events announced but never delivered', value: missing, pass: missing === 0},
  {check: 'calls whose events arrived out of order', value: outOfOrder.length, pass: outOfOrder.length === 0},
  {check: 'outbox drained after the faults', value: drained ? 'yes' : 'no', pass: drained},
  {check: '/status failures while the listener was up', value: statusFailures, pass: statusFailures === 0},
  {check: `/status p99 (≤ ${LIMITS.statusP99Ms} ms)`, value: `${p99.toFixed(1)} ms`, pass: p99 <= LIMITS.statusP99Ms},
  {
    check: `listener RSS at most (≤ ${LIMITS.rssMb} MB)`,
    value: `${maxRss.toFixed(0)} MB`,
    pass: maxRss <= LIMITS.rssMb,
  },
  {
    check: 'damaged records quarantined, none sent',
    value: `${final.deliveries?.quarantined ?? '?'} of ${injected.damagedRecords}`,
    pass: final.deliveries?.quarantined === injected.damagedRecords,
  },
]
const report = {
  seed,
  seconds: durationMs / 1000,
  calls: counts,
  injected,
  events: events.length,
  deliveries: received.length,
  duplicates: received.length - firstArrival.size,
  statusSamples: statusTimes.length,
  // The slowest answers, each with how long after a listener start it came and what the soak was doing meanwhile.
  slowest: samples
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 5)
    .map(({at, ms}) => ({
      ms: Number(ms.toFixed(1)),
      afterStartMs: Math.round(at - listenerStarts.findLast((started) => started <= at)),
      during: timeline.filter(([, from, to]) => from <= at && at <= to).map(([name]) => name),
    })),
  checks,
  outOfOrder: outOfOrder.slice(0, 10),
  // What the listener said last: which calls or deliveries were left when the drain did not finish.
  final: {driver: final.driver, calls: final.calls, deliveries: final.deliveries},
  ok: checks.every((check) => check.pass),
}
if (flags.json) process.stdout.write(`${JSON.stringify(report)}\n`)
else {
  process.stdout.write(
    `calls: ${JSON.stringify(counts)}\ninjected: ${JSON.stringify(injected)}\nevents ${report.events}, deliveries ${report.deliveries} (${report.duplicates} repeated, dropped by event id), /status samples ${report.statusSamples}\n\n`,
  )
  for (const {check, value, pass} of checks) process.stdout.write(`${pass ? 'ok  ' : 'FAIL'} ${check}: ${value}\n`)
  process.stdout.write(report.ok ? '\nEvery check passed.\n' : `\nFailed. Replay with --seed ${seed}\n`)
}

process.exit(report.ok ? 0 : 1)

// --- the actions ---

async function outgoing(i) {
  const answer = await post(`/make/02012${String(i).padStart(5, '0')}`)
  if (answer.status !== 200) {
    counts.refused++
    return
  }

  counts.made++
  await sleep(between(300, 2000))
  if ((await post(`/end?call=${encodeURIComponent(answer.body.call.id)}`)).status === 200) counts.ended++
}

async function incoming(i) {
  counts.incoming++
  const [port, media] = [uacPorts(i), uacPorts(i) + 1]
  const caller = start('sipp', [...sippArgs('uac-call-bye.xml', port, media), `127.0.0.1:${p.sip}`, '-m', '1'])
  await sleep(between(200, 600))
  if ((await post('/answer')).status === 200) counts.answered++
  await Promise.race([new Promise((resolve) => caller.once('exit', resolve)), sleep(10_000)])
  caller.kill('SIGKILL')
}

async function killBaresip() {
  if (!baresip) return
  injected.baresipKills++
  await stopBaresip()
  await sleep(between(500, 2000))
  await ensureBaresip()
}

async function receiverOutage() {
  if (!receiver.listening) return
  injected.receiverDowns++
  await receiverDown()
  await sleep(between(500, 2000))
  await receiverUp()
}

async function killListener() {
  if (!listener.expectedUp) return
  injected.listenerKills++
  listener.expectedUp = false
  Atomics.store(probeFlags, UP, 0)
  listener.child.kill('SIGKILL')
  await listener.exited
  await sleep(between(100, 500))
  listener = await startListener()
}

async function damageStore() {
  if (!listener.expectedUp) return
  const db = new DatabaseSync(path.join(configDir, 'callctl.db'))
  db.exec('PRAGMA busy_timeout = 5000')
  const damaged = ['{}', 'null', '{"id": "trunc', JSON.stringify({id: 'x', attempts: 'many'})][between(0, 4)]
  db.prepare("INSERT INTO deliveries (state, data) VALUES ('pending', ?)").run(damaged)
  db.close()
  injected.damagedRecords++
}

// --- the parts ---

async function startListener() {
  const child = start(process.execPath, [RUN_JS, 'listen', '--port', String(p.listener), '--json'], {
    env: {...process.env, CALLCTL_CONFIG_DIR: configDir, NO_COLOR: '1'},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const running = {child, expectedUp: false, exited: new Promise((resolve) => child.once('exit', resolve))}
  const stderr = []
  child.stderr.on('data', (chunk) => stderr.push(chunk))
  const ready = new Promise((resolve, reject) => {
    createInterface({input: child.stdout}).on('line', (text) => {
      let line
      try {
        line = JSON.parse(text)
      } catch {
        return
      }

      if (line.kind === 'ready') resolve()
      if (line.kind === 'event') events.push({id: line.id, type: line.type, callId: line.call.id})
    })
    child.once('exit', (code) => reject(new Error(`listener exited (${code}) before ready: ${Buffer.concat(stderr)}`)))
  })
  child.once('exit', (code, signal) => {
    if (running.expectedUp) {
      deaths++
      Atomics.store(probeFlags, UP, 0)
      log(`soak: the listener died (${signal ?? code}): ${Buffer.concat(stderr).toString().slice(-500)}`)
      running.expectedUp = false
    }
  })
  await ready
  running.expectedUp = true
  listenerStarts.push(Date.now())
  Atomics.add(probeFlags, GENERATION, 1)
  Atomics.store(probeFlags, UP, 1)
  running.stop = async () => {
    running.expectedUp = false
    Atomics.store(probeFlags, UP, 0)
    child.kill('SIGTERM')
    await running.exited
  }

  return running
}

async function startBaresip() {
  const child = start('baresip', ['-4', '-f', baresipDir], {stdio: 'ignore'})
  // Up once its ctrl_tcp port takes connections.
  await until(async () => !(await tcpFree(p.ctrl)), 5000)
  return child
}

async function ensureBaresip() {
  if (!baresip) baresip = await startBaresip()
}

async function stopBaresip() {
  const child = baresip
  baresip = undefined
  if (!child) return
  child.kill('SIGKILL')
  if (child.exitCode === null && child.signalCode === null) await new Promise((resolve) => child.once('exit', resolve))
}

function start(command, args, options = {stdio: 'ignore'}) {
  const child = spawn(command, args, options)
  children.add(child)
  child.once('exit', () => children.delete(child))
  child.on('error', (error) => log(`soak: ${command}: ${error.message}`))
  return child
}

function sippArgs(scenario, port, media) {
  return [
    '-sf',
    path.join(SIPP, scenario),
    '-i',
    '127.0.0.1',
    '-mi',
    '127.0.0.1',
    '-p',
    String(port),
    '-mp',
    String(media),
    '-nostdin',
  ]
}

async function post(route) {
  try {
    const response = await fetch(`http://127.0.0.1:${p.listener}${route}`, {
      method: 'POST',
      signal: AbortSignal.timeout(15_000),
    })
    return {status: response.status, body: await response.json().catch(() => ({}))}
  } catch {
    return {status: 0, body: {}}
  }
}

async function status() {
  try {
    return await (await fetch(`http://127.0.0.1:${p.listener}/status`, {signal: AbortSignal.timeout(5000)})).json()
  } catch {
    return {}
  }
}

async function until(check, timeoutMs) {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await sleep(100)) if (await check()) return true
  return false
}

function rssMb(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024
  } catch {
    return 0
  }
}

function groupBy(items, key) {
  const groups = new Map()
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item])
  return groups
}

/** `count` consecutive ports free for TCP and UDP (baresip opens SIP on both, and TCP on port + 1). */
async function portBlock(count) {
  for (let attempt = 0; attempt < 50; attempt++) {
    // Below Linux's ephemeral ports (32768 on), which the kernel hands to outgoing connections meanwhile.
    const base = 20_000 + Math.floor(Math.random() * 1100) * 10
    const checks = await Promise.all(
      Array.from({length: count}, async (_, i) => (await tcpFree(base + i)) && (await udpFree(base + i))),
    )
    if (checks.every(Boolean)) return base
  }

  throw new Error('no free block of ports')
}

async function tcpFree(port) {
  const server = createTcpServer()
  return new Promise((resolve) => {
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

async function udpFree(port) {
  const socket = createSocket('udp4')
  return new Promise((resolve) => {
    socket.once('error', () => resolve(false))
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)))
  })
}
