import {connect, type Socket} from 'node:net'

import type {Call} from '../../src/engine/call.js'

import {type ListenerProcess, startListenerProcess} from '../helpers/listener-process.js'
import {tempConfigDir} from '../helpers/paths.js'

/** mulberry32: a seeded generator, so that a failure can be replayed with the seed it prints. */
function random(seed: number) {
  let state = seed
  return () => {
    state = (state + 0x6d_2b_79_f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000)
const rnd = random(SEED)
const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]
const bytes = (length: number) => Buffer.from(Array.from({length}, () => Math.floor(rnd() * 256)))

/**
 * Junk that always holds something a number may not: nothing is ever dialled. A phone's report (`/notify/incoming`)
 * takes any caller ID (`anonymous`, `sip:alice@pbx`), so junk there is an incoming call, with its caller ID cleaned.
 */
function junk(): string {
  // No '?', '#' or '&': they would cut the junk off and leave a well-formed request (`/make/..1?x` dials 1, an
  // empty `notify incoming?number=` is an anonymous caller).
  const pieces = [
    '%',
    '%zz',
    '%E0%A4%A',
    '%C0%AF',
    '%00',
    '%FF',
    'a',
    '..',
    '../',
    '//',
    '\\',
    '"',
    "'",
    '<',
    '{',
    '$(',
    '`',
    ';',
    '|',
    '\u00e9',
    '\ud83d\udcde',
  ]
  const parts = Array.from(
    {length: Math.floor(rnd() * 6)},
    () => pick(pieces) + (rnd() < 0.5 ? String(Math.floor(rnd() * 1000)) : ''),
  )
  parts.splice(Math.floor(rnd() * (parts.length + 1)), 0, pick(INVALID))
  return parts.join('')
}

/** Dots and dashes are mere decoration in a number ('..3' is 3): one of these makes sure junk is never dialable. */
const INVALID = ['%zz', 'a', '"', '<', '{', '$(', '`', ';', '|', '\u00e9', '%00', '%FF']

const PREFIXES = [
  '/make/',
  '/make/+',
  '/answer/',
  '/end?call=',
  '/notify/incoming?number=',
  '/notify/',
  '/status/',
  '/',
  '/%6dake/',
  '/servlet?key=',
]
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'BREW', 'G E T', '']

/** One malformed request, as raw bytes. */
function malformedRequest(port: number): Buffer {
  const kind = Math.floor(rnd() * 8)
  const host = `Host: 127.0.0.1:${port}\r\n`
  switch (kind) {
    case 0: {
      return Buffer.from(`${pick(METHODS)} ${pick(PREFIXES)}${junk()} HTTP/1.1\r\n${host}\r\n`, 'latin1')
    }

    case 1: {
      // Invalid UTF-8 straight in the request line.
      return Buffer.concat([
        Buffer.from(`GET ${pick(PREFIXES)}${pick(INVALID)}`),
        bytes(1 + Math.floor(rnd() * 40)),
        Buffer.from(` HTTP/1.1\r\n${host}\r\n`),
      ])
    }

    case 2: {
      return Buffer.from(
        `GET ${pick(PREFIXES)}${'9'.repeat(64)}${'%41'.repeat(2000 + Math.floor(rnd() * 8000))} HTTP/1.1\r\n${host}\r\n`,
      )
    }

    case 3: {
      return Buffer.from(
        `GET /status HTTP/1.1\r\n${host}X-Big: ${'a'.repeat(17_000 + Math.floor(rnd() * 20_000))}\r\n\r\n`,
      )
    }

    case 4: {
      return bytes(1 + Math.floor(rnd() * 400))
    }

    case 5: {
      const body = pick([
        '{',
        '[]',
        'null',
        '{"number": {"$gt": 1}}',
        '{"number":"12ab"}',
        bytes(50).toString('latin1'),
      ])
      return Buffer.from(
        `POST /notify/incoming HTTP/1.1\r\n${host}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body, 'latin1')}\r\n\r\n${body}`,
        'latin1',
      )
    }

    case 6: {
      return Buffer.from(
        `POST /make/1a HTTP/1.1\r\n${host}Content-Length: ${pick(['-1', 'abc', '99999999999', '5'])}\r\nTransfer-Encoding: ${pick(['chunked', 'gzip', 'x'])}\r\n\r\nzz`,
      )
    }

    default: {
      return Buffer.from(
        `GET ${pick(PREFIXES)}${junk()} HTTP/1.1\r\nHost: ${pick(['evil.example', '', '127.0.0.1:1', '[::1'])}\r\n${pick(['Origin: null\r\n', 'Sec-Fetch-Site: cross-site\r\n', 'Referer: %%%\r\n', ''])}\r\n`,
        'latin1',
      )
    }
  }
}

/** Sends raw bytes, returns the status line's code (0 when the listener closed without one). */
async function send(port: number, data: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let head = ''
    socket.setTimeout(5000, () => socket.destroy())
    socket.on('connect', () => socket.end(data))
    socket.on('data', (chunk) => {
      head += chunk.toString('latin1')
      if (head.includes('\r\n')) socket.destroy()
    })
    socket.on('error', () => {})
    socket.on('close', () => resolve(Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0)))
  })
}

describe(`fuzzing the listener (seed ${SEED}; rerun with FUZZ_SEED=${SEED})`, () => {
  let listener: ListenerProcess
  beforeAll(async () => {
    listener = await startListenerProcess(tempConfigDir())
  })
  afterAll(async () => {
    await listener?.stop()
  })

  test('10,000 malformed requests: never a 5xx, never a dial, still answering', async () => {
    const statuses = new Map<number, number>()
    let next = 0
    const total = 10_000
    const worker = async () => {
      while (next < total) {
        next++
        const status = await send(listener.port, malformedRequest(listener.port))
        statuses.set(status, (statuses.get(status) ?? 0) + 1)
      }
    }

    await Promise.all(Array.from({length: 32}, worker))
    const serverErrors = [...statuses].filter(([status]) => status >= 500)
    expect(serverErrors).toEqual([])
    expect([...statuses.values()].reduce((a, b) => a + b)).toBe(total)
    expect(listener.process.nodeChildProcess.exitCode).toBeNull()
    const status = (await (await fetch(`${listener.url}/status`)).json()) as {calls: Call[]; recent: Call[]}
    expect([...status.calls, ...status.recent].filter((call) => call.direction === 'outgoing')).toEqual([])
    const events = listener.lines.filter((line) => line.kind === 'event') as unknown as Array<{call: Call}>
    expect(events.filter((event) => event.call.direction === 'outgoing')).toEqual([])
    // What a phone reported reaches templates and logs clean: no control character, nothing longer than 128.
    for (const {call} of events) {
      for (const text of [call.number, call.name, call.channel]) {
        // eslint-disable-next-line no-control-regex -- control characters are what must not be there
        expect(text).not.toMatch(/[\u0000-\u001F\u007F-\u009F]/)
        expect([...text].length).toBeLessThanOrEqual(128)
      }
    }
  }, 120_000)

  test('slowloris: 200 connections sending headers byte by byte do not stop others being served', async () => {
    const sockets: Socket[] = []
    for (let i = 0; i < 200; i++) {
      const socket = connect(listener.port, '127.0.0.1')
      socket.on('error', () => {})
      socket.write('GET /make/020123456 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-a: ')
      sockets.push(socket)
    }

    const drip = setInterval(() => {
      for (const socket of sockets) if (!socket.destroyed) socket.write('a')
    }, 200)
    try {
      for (let i = 0; i < 5; i++) {
        const started = performance.now()
        const response = await fetch(`${listener.url}/status`)
        expect(response.status).toBe(200)
        expect(performance.now() - started).toBeLessThan(2000)
        await new Promise((resolve) => setTimeout(resolve, 300))
      }
    } finally {
      clearInterval(drip)
      for (const socket of sockets) socket.destroy()
    }

    const status = (await (await fetch(`${listener.url}/status`)).json()) as {calls: Call[]}
    expect(status.calls.filter((call) => call.direction === 'outgoing')).toEqual([])
  }, 60_000)
})
