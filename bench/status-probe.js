// The soak's /status prober, a worker thread: on its own event loop, the soak's spawning of sipp and baresip and its
// parsing of the listener's lines do not count in the listener's figure (the main thread's event loop lagged up to
// 14 ms at a spawn). It asks every `intervalMs` while the soak says the listener is up, over a kept-alive connection
// as a polling client would, and hands back each answer's time and when it was asked.
import {Agent, get} from 'node:http'
import {parentPort, workerData} from 'node:worker_threads'

import {sleep} from './lib.js'

/** The shared flags: [UP] the listener is expected to answer, [GENERATION] how many times it was started, [STOP]. */
export const UP = 0
export const GENERATION = 1
export const STOP = 2

const {port, intervalMs, flags: buffer} = workerData ?? {}
if (parentPort) await probe()

async function probe() {
  const flags = new Int32Array(buffer)
  const agent = new Agent({keepAlive: true, maxSockets: 1})
  const samples = []
  let failures = 0
  // The first request of this thread runs its own cold code: asked once before anything is counted.
  while (!Atomics.load(flags, UP) && !Atomics.load(flags, STOP)) await sleep(10)
  await status(port, agent).catch(() => {})
  while (!Atomics.load(flags, STOP)) {
    await sleep(intervalMs)
    const generation = Atomics.load(flags, GENERATION)
    if (!Atomics.load(flags, UP)) continue
    const at = performance.timeOrigin + performance.now()
    const started = performance.now()
    let ok = false
    try {
      ok = (await status(port, agent)) === 200
    } catch {}

    // An answer that spans a listener's kill or restart is the soak's doing, not the listener's.
    if (!Atomics.load(flags, UP) || Atomics.load(flags, GENERATION) !== generation) continue
    if (ok) samples.push({at, ms: performance.now() - started})
    else failures++
  }

  agent.destroy()
  parentPort.postMessage({samples, failures})
}

function status(port, agent) {
  return new Promise((resolve, reject) => {
    const request = get({host: '127.0.0.1', port, path: '/status', agent, timeout: 2000}, (response) => {
      response.resume()
      response.once('end', () => resolve(response.statusCode))
      response.once('error', reject)
    })
    request.once('timeout', () => request.destroy(new Error('timed out')))
    request.once('error', reject)
  })
}
