// 2. Listener throughput and latency, 3. event → webhook latency, 4. memory.
import autocannon from 'autocannon'

import {
  configFolder,
  median,
  percentile,
  post,
  rssMb,
  sleep,
  startBareServer,
  startListener,
  startReceiver,
} from '../lib.js'

const cannon = (options) => autocannon({connections: 50, ...options})
/** A call cycle: what the cycles rows run. */
export const MAKE_END = [
  {method: 'POST', path: '/make/0201234567'},
  {method: 'POST', path: '/end'},
]

/**
 * The listener the throughput rows load (the sim answering at once, no rate limit), in the state its `/status` is
 * measured in: ten recent calls. Resolves with it and that `/status` body, which the bare server copies.
 */
export async function loadedListener(options = {}) {
  const configDir = configFolder({driver: {sim: {answerAfterMs: 0}}, security: {makeRateLimit: 0}})
  const listener = await startListener(configDir, {quiet: true, ...options})
  await cannon({url: listener.url, connections: 1, amount: 40, requests: MAKE_END})
  return {listener, statusBody: await (await fetch(`${listener.url}/status`)).text()}
}

export async function throughput({rounds, seconds}) {
  const {listener, statusBody} = await loadedListener()
  const bare = await startBareServer(statusBody)
  const runs = {bare: [], status: [], cycles: []}
  try {
    for (let round = 0; round < rounds; round++) {
      runs.bare.push(await cannon({url: `${bare.url}/status`, duration: seconds}))
      // The same body as the bare server's, or the two are not compared: 50 connections' cycles leave calls up
      // (an /end ends the current call, which another connection's /make may have just replaced), and each one
      // is some 600 bytes more of /status (a 9 KB answer against the bare 3 KB halved the ratio).
      const answered = await (await fetch(`${listener.url}/status`)).text()
      if (answered.length !== statusBody.length) {
        throw new Error(
          `/status answers ${answered.length} bytes, the bare server ${statusBody.length}: not the same state`,
        )
      }

      runs.status.push(await cannon({url: `${listener.url}/status`, duration: seconds}))
      runs.cycles.push(await cannon({url: listener.url, duration: seconds, requests: MAKE_END}))
      await endEveryCall(listener.url)
    }
  } finally {
    await listener.stop()
    await bare.stop()
  }

  // Answered requests only (2xx): a cheap refusal must not count as throughput.
  const rate = (results) =>
    median(results.map((result) => (result.requests.total - (result.non2xx ?? 0)) / result.duration))
  const p99 = (results) => median(results.map((result) => result.latency.p99))
  const failures = (results) =>
    results.reduce((sum, result) => sum + result.errors + result.timeouts + (result.non2xx ?? 0), 0)
  const bareRate = rate(runs.bare)
  const statusRate = rate(runs.status)
  const cycleRate = rate(runs.cycles)
  return [
    {
      id: 'http.bare',
      measure: `bare \`node:http\` server answering the same JSON (${statusBody.length} bytes), 50 connections`,
      value: bareRate,
      unit: 'req/s',
      note: `p99 ${p99(runs.bare)} ms`,
    },
    {
      id: 'http.status',
      measure: '`GET /status` throughput',
      value: statusRate,
      unit: 'req/s',
      ratio: statusRate / bareRate,
      target: '≥ 0.8× bare',
      met: statusRate / bareRate >= 0.8 && failures(runs.status) === 0,
      note: failures(runs.status) ? `${failures(runs.status)} failed` : undefined,
    },
    {
      id: 'http.status.p99',
      measure: '`GET /status` p99 latency',
      value: p99(runs.status),
      unit: 'ms',
      target: '≤ 5 ms',
      met: p99(runs.status) <= 5,
    },
    {
      id: 'http.cycles',
      measure: 'call cycles (`/make` then `/end`, sim answers at once)',
      value: cycleRate,
      unit: 'req/s',
      ratio: cycleRate / bareRate,
      target: '≥ 0.5× bare',
      met: cycleRate / bareRate >= 0.5,
      note: `${Math.round(cycleRate / 2)} calls/s; p99 ${p99(runs.cycles)} ms; ${failures(runs.cycles)} non-2xx (an /end finding no call another connection ended)`,
    },
  ]
}

export async function webhookLatency({calls}) {
  const arrivals = new Map()
  const receiver = await startReceiver((url, at) => arrivals.get(new URL(url, 'http://x').searchParams.get('n'))?.(at))
  const configDir = configFolder({
    driver: {sim: {answerAfterMs: -1}},
    security: {makeRateLimit: 0},
    notifications: {outgoing: `${receiver.url}/outgoing?n=$callerid`},
  })
  const listener = await startListener(configDir, {quiet: true})
  const latencies = []
  const warmUp = 20
  try {
    for (let i = 0; i < calls + warmUp; i++) {
      const number = String(1_000_000 + i)
      const arrived = new Promise((resolve) => arrivals.set(number, resolve))
      const sent = performance.now()
      const status = await post(`${listener.url}/make/${number}`)
      if (status !== 200) throw new Error(`/make answered ${status}`)
      const at = await arrived
      arrivals.delete(number)
      if (i >= warmUp) latencies.push(at - sent)
      await post(`${listener.url}/end`)
    }
  } finally {
    await listener.stop()
    await receiver.close()
  }

  const p50 = percentile(latencies, 50)
  const p99 = percentile(latencies, 99)
  return [
    {
      id: 'webhook.p50',
      measure: `command → webhook arrival, p50 (${calls} calls, durable outbox)`,
      value: p50,
      unit: 'ms',
      target: '≤ 2 ms',
      met: p50 <= 2,
    },
    {
      id: 'webhook.p99',
      measure: 'command → webhook arrival, p99',
      value: p99,
      unit: 'ms',
      target: '≤ 10 ms',
      met: p99 <= 10,
    },
  ]
}

export async function memory({requests, calls, samples = 12}) {
  const receiver = await startReceiver(() => {})
  const configDir = configFolder({
    driver: {sim: {answerAfterMs: 0}},
    security: {makeRateLimit: 0},
    notifications: {outgoing: `${receiver.url}/o?n=$callerid`, end: `${receiver.url}/e?n=$callerid`},
  })
  const listener = await startListener(configDir, {quiet: true})
  const load = async (share) => {
    await cannon({url: `${listener.url}/status`, amount: Math.round(requests * share)})
    await cannon({url: listener.url, amount: Math.round(calls * share) * 2, requests: MAKE_END})
    await endEveryCall(listener.url)
  }

  try {
    const idle = await restingRss(listener, samples)
    // A first round sets the high-water mark (V8 keeps the heap it grew for the burst and its 20,000 queued
    // notifications); a leak in the call table, the outbox or the subscribers shows as growth over a second round.
    await load(1)
    const warm = await restingRss(listener, samples)
    await load(1)
    const after = await restingRss(listener, samples)
    return [
      {id: 'memory.idle', measure: 'listener idle RSS', value: idle, unit: 'MB', target: '≤ 60 MB', met: idle <= 60},
      {
        id: 'memory.growth',
        measure: `RSS growth over ${requests.toLocaleString('en')} requests and ${calls.toLocaleString('en')} calls (with notifications)`,
        value: after - warm,
        unit: 'MB',
        target: '≤ 10 MB',
        met: after - warm <= 10,
        note: `from ${warm.toFixed(1)} MB after a first round of that load to ${after.toFixed(1)} MB after a second; ${(after - idle).toFixed(1)} MB over idle`,
      },
    ]
  } finally {
    await listener.stop()
    await receiver.close()
  }
}

/** Ends the calls that concurrent cycles left up: an /end ends the current call until none is left (404). */
async function endEveryCall(url) {
  while ((await post(`${url}/end`)) === 200);
}

/**
 * RSS at rest: once every notification is delivered and no call is up, the least of `count` samples 250 ms apart
 * (12 in a real run: three seconds). One sample right after a load lands anywhere in V8's garbage-collection cycle
 * (±25 MB seen here), which would hide a leak or invent one.
 */
async function restingRss({url, pid}, count) {
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(200)) {
    const status = await (await fetch(`${url}/status`)).json()
    if (status.deliveries.pending === 0 && status.calls.length === 0) break
  }

  const samples = []
  for (let i = 0; i < count; i++) {
    await sleep(250)
    samples.push(await rssMb(pid))
  }

  return Math.min(...samples)
}
