// 6. baresip: command → SIP INVITE on the wire, callctl's `POST /make` side by side with baresip's own httpd, in the
// same rounds against one baresip. The callee is a UDP socket here that stamps each INVITE as it arrives.
import {spawn} from 'node:child_process'
import {createSocket} from 'node:dgram'
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {stripVTControlCharacters} from 'node:util'

import {configFolder, freePort, median, post, sleep, startListener} from '../lib.js'

const MODULE_PATH = '/usr/lib/baresip/modules'
const INVITE_TIMEOUT_MS = 5000
// A baresip that stops answering must fail the section, not hang the whole bench.
const get = (url, signal = AbortSignal.timeout(5000)) => fetch(url, {signal})

export async function baresipPair({rounds}) {
  const missing =
    (await startsAtAll()) ??
    (existsSync(path.join(MODULE_PATH, 'httpd.so')) ? undefined : `${MODULE_PATH}/httpd.so not found`)
  if (missing)
    return [
      {
        id: 'baresip.skipped',
        measure: 'baresip httpd and `POST /make` → INVITE on the wire',
        unit: 'ms',
        note: `skipped: ${missing}`,
      },
    ]

  const callee = await startCallee()
  const dialUri = (number) => `sip:${number}@127.0.0.1:${callee.port}`
  let baresip
  let listener
  try {
    baresip = await startBaresip()
    const configDir = configFolder({
      driver: {
        name: 'baresip',
        baresip: {
          host: '127.0.0.1',
          port: baresip.ctrlPort,
          dialUri: dialUri('{NUMBER}'),
          account: '<sip:bench@127.0.0.1>;regint=0',
        },
      },
      security: {makeRateLimit: 0},
    })
    listener = await startListener(configDir, {quiet: true})
    const idle = async () => {
      // Both must have let go of the last call: baresip, and the listener, which mirrors httpd's calls from ctrl_tcp events.
      for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(5)) {
        const calls = await (await get(`${baresip.httpUrl}/raw/?l`)).text()
        const status = await (await get(`${listener.url}/status`)).json()
        if (calls.includes('Active calls (0)') && status.calls.length === 0) return
      }

      throw new Error('baresip still has a call 10 s after hanging up')
    }

    let serial = 0
    const cases = {
      httpd: async () => {
        const number = String(8_000_000 + ++serial)
        const invite = callee.invite(number)
        // Escaped: baresip's httpd unescapes the query and refuses a bare `@` ("uric: unescape: illegal '@'").
        const url = `${baresip.httpUrl}/?d${encodeURIComponent(dialUri(number))}`
        // The timeout's timer is set before the clock starts: the `/make` request below sets none.
        const signal = AbortSignal.timeout(5000)
        const sent = performance.now()
        const response = await get(url, signal)
        await response.arrayBuffer()
        if (!response.ok) throw new Error(`baresip httpd answered ${response.status}`)
        const ms = (await invite) - sent
        await (await get(`${baresip.httpUrl}/?b`)).arrayBuffer()
        await idle()
        return ms
      },
      callctl: async () => {
        const number = String(8_000_000 + ++serial)
        const invite = callee.invite(number)
        const sent = performance.now()
        const status = await post(`${listener.url}/make/${number}`)
        if (status !== 200) throw new Error(`/make answered ${status}`)
        const ms = (await invite) - sent
        await post(`${listener.url}/end`)
        await idle()
        return ms
      },
    }
    const times = {httpd: [], callctl: []}
    const warmUp = 2
    for (let round = 0; round < rounds + warmUp; round++) {
      // Alternating which goes first, so that neither always runs right after the other's hang-up.
      const order = round % 2 === 0 ? ['httpd', 'callctl'] : ['callctl', 'httpd']
      for (const name of order) {
        const ms = await cases[name]()
        if (round >= warmUp) times[name].push(ms)
      }
    }

    const httpd = median(times.httpd)
    const callctl = median(times.callctl)
    const spread = (values) =>
      `${rounds} rounds, ${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)} ms`
    return [
      {
        id: 'baresip.httpd',
        measure: 'baresip httpd `/?d` → INVITE on the wire',
        value: httpd,
        unit: 'ms',
        note: spread(times.httpd),
      },
      {
        id: 'baresip.callctl',
        measure: '`POST /make` with the baresip driver → INVITE on the wire',
        value: callctl,
        unit: 'ms',
        ratio: callctl / httpd,
        target: '≤ 1.1× baresip httpd',
        met: callctl / httpd <= 1.1,
        note: spread(times.callctl),
      },
    ]
  } finally {
    await listener?.stop()
    await baresip?.stop()
    callee.close()
  }
}

/** Undefined when `baresip` runs; otherwise why not. */
async function startsAtAll() {
  return new Promise((resolve) => {
    const child = spawn('baresip', ['-h'], {stdio: 'ignore'})
    child.once('error', (error) => resolve(error.code === 'ENOENT' ? 'baresip not installed' : error.message))
    child.once('exit', () => resolve(undefined))
  })
}

/**
 * A free port can be taken again before baresip binds it, or still be held in TIME_WAIT, which baresip's binds
 * (without SO_REUSEADDR) refuse where Node's did not: seen on this busy shared machine. New ports, then.
 */
async function startBaresip() {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchBaresip()
    } catch (error) {
      if (attempt === 3 || !error.message.includes('Address already in use')) throw error
    }
  }
}

/**
 * baresip headless, as src/drivers/baresip/spawn.ts configures it, with the httpd module beside ctrl_tcp. Resolves
 * once httpd answers; ctrl_tcp opens before it (modules load in config order).
 */
async function launchBaresip() {
  const dir = mkdtempSync(path.join(tmpdir(), 'callctl-bench-baresip-'))
  const [sipPort, ctrlPort, httpPort, rtpPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ]
  const config = [
    `sip_listen 127.0.0.1:${sipPort}`,
    'net_interface 127.0.0.1',
    'audio_source ausine,440',
    'ausrc_srate 48000',
    'ausrc_channels 2',
    'audio_player none',
    'audio_alert none',
    `rtp_ports ${rtpPort}-${Math.min(65_535, rtpPort + 99)}`,
    'dns_server 127.0.0.1:53',
    'poll_method epoll',
    'statmode_default off',
    `module_path ${MODULE_PATH}`,
    'module g711.so',
    'module ausine.so',
    'module_tmp account.so',
    'module_app menu.so',
    'module_app ctrl_tcp.so',
    `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
    'module_app httpd.so',
    `http_listen 127.0.0.1:${httpPort}`,
    '',
  ]
  writeFileSync(path.join(dir, 'config'), config.join('\n'))
  writeFileSync(path.join(dir, 'accounts'), '<sip:bench@127.0.0.1>;regint=0\n')
  const child = spawn('baresip', ['-4', '-f', dir], {stdio: ['ignore', 'pipe', 'pipe']})
  let output = ''
  const keep = (chunk) => (output = (output + chunk).slice(-2000))
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  const exited = new Promise((resolve) => child.once('exit', resolve))
  // A bench that dies mid-way must not leave baresip running.
  const kill = () => child.kill('SIGKILL')
  process.once('exit', kill)
  const stop = async () => {
    process.off('exit', kill)
    if (child.exitCode === null && child.signalCode === null) {
      // A second SIGTERM: the first waits for pending SIP transactions to finish.
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGTERM'), 1000)
      const last = setTimeout(() => child.kill('SIGKILL'), 3000)
      await exited
      clearTimeout(timer)
      clearTimeout(last)
    }

    rmSync(dir, {recursive: true, force: true})
  }

  const httpUrl = `http://127.0.0.1:${httpPort}`
  for (const deadline = Date.now() + 5000; ; await sleep(20)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop()
      // Its last lines say why (e.g. "Address already in use"), in colour.
      const why = stripVTControlCharacters(output).trim().split('\n').slice(-3).join(' / ')
      throw new Error(`baresip did not start (sip ${sipPort}, ctrl ${ctrlPort}, http ${httpPort}): ${why}`)
    }

    try {
      await (await get(`${httpUrl}/raw/?l`)).arrayBuffer()
      break
    } catch {}
  }

  return {ctrlPort, httpUrl, stop}
}

/**
 * The SIP callee: stamps the first INVITE for each number (retransmissions and later datagrams are ignored). It
 * answers as a phone would: 100 Trying and 180 Ringing (the driver's `make` resolves on the first call event with an
 * id, which baresip 1.0 sends no sooner than the ringing), then 200 to a CANCEL and 487 to its INVITE, so that a
 * hung-up call closes at once instead of retransmitting into later rounds for 32 s.
 */
async function startCallee() {
  const socket = createSocket('udp4')
  const waiting = new Map()
  const invites = new Map()
  socket.on('message', (message, from) => {
    const at = performance.now()
    const text = message.toString('latin1')
    const [requestLine] = text.split('\r\n', 1)
    const [method, uri] = requestLine.split(' ')
    const callId = header(text, 'call-id|i')
    const reply = (request, status, tagged = true) => {
      const copied = request.split('\r\n').filter((line) => /^(via|v|from|f|to|t|call-id|i|cseq)\s*:/i.test(line))
      const lines = copied.map((line) =>
        tagged && /^(to|t)\s*:/i.test(line) && !/;tag=/i.test(line) ? `${line};tag=bench` : line,
      )
      const contact = tagged ? `Contact: <sip:callee@127.0.0.1:${socket.address().port}>\r\n` : ''
      socket.send(
        `SIP/2.0 ${status}\r\n${lines.join('\r\n')}\r\n${contact}Content-Length: 0\r\n\r\n`,
        from.port,
        from.address,
      )
    }

    if (method === 'INVITE') {
      const number = /^sip:([^@]+)@/.exec(uri)?.[1]
      waiting.get(number)?.(at)
      waiting.delete(number)
      if (!invites.has(callId)) invites.set(callId, text)
      reply(text, '100 Trying', false)
      reply(text, '180 Ringing')
    } else if (method === 'CANCEL') {
      reply(text, '200 OK', false)
      const invite = invites.get(callId)
      invites.delete(callId)
      if (invite) reply(invite, '487 Request Terminated')
    }
  })
  await new Promise((resolve) => socket.bind(0, '127.0.0.1', resolve))
  return {
    port: socket.address().port,
    /** Resolves with the arrival time of the INVITE for `number`. */
    invite(number) {
      const arrived = new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no INVITE for ${number} within ${INVITE_TIMEOUT_MS} ms`)),
          INVITE_TIMEOUT_MS,
        )
        waiting.set(number, (at) => {
          clearTimeout(timer)
          resolve(at)
        })
      })
      // Handled here too: a round that fails before awaiting it must not end the process with an unhandled rejection.
      arrived.catch(() => {})
      return arrived
    },
    close: () => socket.close(),
  }
}

function header(text, names) {
  return new RegExp(`^(?:${names})\\s*:\\s*(.*)$`, 'im').exec(text)?.[1]
}
