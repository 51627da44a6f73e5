import {createServer, type IncomingHttpHeaders} from 'node:http'
import type {AddressInfo} from 'node:net'

import {Webhook} from 'standardwebhooks'

import {runCli} from '../helpers/cli.js'
import {setConfig} from '../helpers/config.js'
import {startListenerProcess} from '../helpers/listener-process.js'
import {tempConfigDir} from '../helpers/paths.js'
import {type Answer, startWebhookReceiver} from '../helpers/webhook-receiver.js'
import {until} from '../helpers/wait.js'

interface Verified {
  path: string
  headers: IncomingHttpHeaders
  payload?: {
    type: string
    timestamp: string
    data: {event: string; eventId: string; call: {number: string; name: string; id: string}}
  }
  error?: string
}

/** A CRM's receiver written with the `standardwebhooks` library: it verifies every request as a CRM would. */
/** `refused`: the answer to a request that fails verification (400, permanent, unless a test needs it retried). */
async function startVerifyingReceiver(secret: () => string, answer: (n: number) => number = () => 204, refused = 400) {
  const verified: Verified[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('end', () => {
      const record: Verified = {path: req.url ?? '', headers: req.headers}
      try {
        record.payload = new Webhook(secret()).verify(
          body,
          req.headers as Record<string, string>,
        ) as Verified['payload']
      } catch (error) {
        record.error = (error as Error).message
      }

      verified.push(record)
      res.writeHead(record.error ? refused : answer(verified.length)).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    verified,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

async function secretFor(configDir: string, index: number): Promise<string> {
  const made = await runCli(['callbacks', 'secret', String(index), '--json'], configDir)
  expect(made.exitCode).toBe(0)
  return (JSON.parse(made.stdout) as {secret: string}).secret
}

describe('Standard Webhooks (real listener process, receiver verifying with the standardwebhooks library)', () => {
  test('`callbacks secret` makes a whsec_ secret; every event verifies; {type, timestamp, data}; webhook-id is the event id and the callback', async () => {
    const configDir = tempConfigDir()
    let secret = ''
    const receiver = await startVerifyingReceiver(() => secret)
    await setConfig(configDir, {
      'user.number': '201',
      callbacks: JSON.stringify([{url: `${receiver.url}/hook`, events: ['new', 'updated', 'ended']}]),
    })
    secret = await secretFor(configDir, 0)
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    // Shown once when made, hidden afterwards.
    expect((await runCli(['config', 'get', 'callbacks'], configDir)).stdout).not.toContain(secret.slice(6))
    const listener = await startListenerProcess(configDir)
    try {
      const post = async (path: string) => fetch(`${listener.url}${path}`, {method: 'POST'})
      const incoming = (await (await post('/notify/incoming?number=0612345678&name=Zo%C3%AB')).json()) as {
        call: {id: string}
      }
      await post(`/notify/active?call=${incoming.call.id}`)
      await post(`/notify/end?call=${incoming.call.id}`)
      await until(() => receiver.verified.length >= 3)
      expect(receiver.verified.map((r) => r.error)).toEqual([undefined, undefined, undefined])
      expect(receiver.verified.map((r) => r.payload?.type)).toEqual(['call.ringing', 'call.answered', 'call.ended'])
      const [first] = receiver.verified
      expect(first.headers['content-type']).toBe('application/json')
      expect(first.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/)
      expect(first.payload?.data.call).toMatchObject({number: '0612345678', name: 'Zoë', id: incoming.call.id})
      expect(Date.parse(first.payload?.timestamp ?? '')).not.toBeNaN()
      // The event id the listener reported for the event is the webhook-id.
      const event = await listener.waitForLine((line) => line.kind === 'event' && line.type === 'incoming')
      expect(first.headers['webhook-id']).toBe(`${String(event.id)}-callbacks0`)
      expect(first.payload?.data.eventId).toBe(event.id)
      expect(new Set(receiver.verified.map((r) => r.headers['webhook-id'])).size).toBe(3)
    } finally {
      await listener.stop()
      await receiver.close()
    }
  }, 60_000)

  test('a retried delivery keeps its webhook-id and is signed anew; a wrong secret fails verification', async () => {
    const configDir = tempConfigDir()
    let secret = ''
    // 503 first, then accepted.
    const receiver = await startVerifyingReceiver(
      () => secret,
      (n) => (n === 1 ? 503 : 200),
    )
    await setConfig(configDir, {callbacks: JSON.stringify([{url: `${receiver.url}/hook`, events: ['new']}])})
    secret = await secretFor(configDir, 0)
    const listener = await startListenerProcess(configDir)
    try {
      await fetch(`${listener.url}/notify/incoming?number=020123456`, {method: 'POST'})
      await until(() => receiver.verified.length >= 2, 15_000)
      // The 503 is repeated (200 ms later) with the same id, signed again.
      const ids = receiver.verified.map((r) => r.headers['webhook-id'])
      expect(new Set(ids).size).toBe(1)
      expect(receiver.verified.every((r) => r.error === undefined)).toBe(true)
      await listener.waitForLine((line) => line.kind === 'delivery' && line.outcome === 'delivered', 15_000)

      // The receiver holding another secret rejects what callctl signed.
      secret = 'whsec_' + Buffer.alloc(32, 7).toString('base64')
      await fetch(`${listener.url}/notify/incoming?number=020123457`, {method: 'POST'})
      await until(() => receiver.verified.length >= 3)
      expect(receiver.verified[2].error).toMatch(/signature/i)
    } finally {
      await listener.stop()
      await receiver.close()
    }
  }, 60_000)

  test('two callbacks to one receiver get distinct webhook-ids (a receiver deduplicating by id keeps both)', async () => {
    const configDir = tempConfigDir()
    let secret = ''
    const receiver = await startVerifyingReceiver(() => secret)
    await setConfig(configDir, {
      callbacks: JSON.stringify([
        {url: `${receiver.url}/hook`, events: ['new']},
        {url: `${receiver.url}/hook`, events: ['new'], body: '{"n": "{CALLERNUM}"}'},
      ]),
    })
    secret = await secretFor(configDir, 0)
    await setConfig(configDir, [
      [
        'callbacks',
        JSON.stringify([
          {url: `${receiver.url}/hook`, events: ['new'], secret},
          {url: `${receiver.url}/hook`, events: ['new'], body: '{"n": "{CALLERNUM}"}', secret},
        ]),
      ],
    ])
    const listener = await startListenerProcess(configDir)
    try {
      await fetch(`${listener.url}/notify/incoming?number=020123456`, {method: 'POST'})
      await until(() => receiver.verified.length >= 2)
      expect(receiver.verified.map((r) => r.error)).toEqual([undefined, undefined])
      const ids = receiver.verified.map((r) => String(r.headers['webhook-id'])).sort()
      expect(ids[0]).not.toBe(ids[1])
      expect(ids.map((id) => id.replace(/^[\w-]+-(callbacks\d)$/, '$1'))).toEqual(['callbacks0', 'callbacks1'])
    } finally {
      await listener.stop()
      await receiver.close()
    }
  }, 60_000)

  test('a queued retry is signed with the secret in the config now, and the outbox holds no secret', async () => {
    const configDir = tempConfigDir()
    let secret = ''
    // Fails with 500 (retried) until the receiver has the new secret. The listener may apply the rotated secret
    // before this test has read it back from `callbacks secret`: that retry fails verification here, also with a
    // 500, and the next one is checked against the new secret.
    let accept = false
    const receiver = await startVerifyingReceiver(
      () => secret,
      () => (accept ? 200 : 500),
      500,
    )
    await setConfig(configDir, {callbacks: JSON.stringify([{url: `${receiver.url}/hook`, events: ['new']}])})
    secret = await secretFor(configDir, 0)
    const listener = await startListenerProcess(configDir)
    try {
      await fetch(`${listener.url}/notify/incoming?number=020123456`, {method: 'POST'})
      await until(() => receiver.verified.length >= 1)
      const {readFileSync, readdirSync, statSync} = await import('node:fs')
      const path = await import('node:path')
      // No copy of the secret anywhere in the config folder but the config itself.
      for (const file of readdirSync(configDir).filter(
        (name) => !name.startsWith('config.') && statSync(path.join(configDir, name)).isFile(),
      ))
        expect([file, readFileSync(path.join(configDir, file)).includes(secret.slice(6))]).toEqual([file, false])
      const rotated = await secretFor(configDir, 0)
      secret = rotated
      accept = true
      await listener.waitForLine((line) => line.kind === 'delivery' && line.outcome === 'delivered', 20_000)
      const last = receiver.verified.at(-1)!
      expect(last.error).toBeUndefined()
      expect(last.headers['webhook-id']).toBe(receiver.verified[0].headers['webhook-id'])
    } finally {
      await listener.stop()
      await receiver.close()
    }
  }, 60_000)

  test('410 Gone switches the target off, durably: /status, outbox, doctor show it; --enable switches it on', async () => {
    const configDir = tempConfigDir()
    let gone = true
    const receiver = await startWebhookReceiver(() => (gone ? 410 : 200))
    const healthy = await startWebhookReceiver()
    await setConfig(configDir, {
      callbacks: JSON.stringify([
        {url: `${receiver.url}/gone`, events: ['new']},
        {url: `${healthy.url}/ok`, events: ['new']},
      ]),
    })
    let listener = await startListenerProcess(configDir)
    try {
      await fetch(`${listener.url}/notify/incoming?number=020123456`, {method: 'POST'})
      await receiver.waitFor(1)
      await listener.waitForLine((line) => String(line.message).includes('answered 410 Gone: switched off'))
      const status = (await (await fetch(`${listener.url}/status`)).json()) as {
        deliveries: {failed: number; disabled?: Array<{target: string; reason: string}>}
      }
      expect(status.deliveries.disabled).toMatchObject([{target: 'callbacks[0]', reason: 'HTTP 410 Gone'}])
      expect(status.deliveries.failed).toBe(1)
      // A restart keeps it off: the next call goes to the healthy target only.
      await listener.stop()
      listener = await startListenerProcess(configDir)
      await fetch(`${listener.url}/notify/incoming?number=020123457`, {method: 'POST'})
      await healthy.waitFor(2)
      await listener.waitForLine((line) => line.kind === 'delivery' && String(line.error).includes('switched off'))
      expect(receiver.received).toHaveLength(1)

      const outbox = await runCli(['outbox'], configDir)
      expect(outbox.stdout).toContain('callbacks[0]')
      expect(outbox.stdout).toContain('answered HTTP 410 Gone; callctl outbox --enable callbacks[0]')
      const doctor = await runCli(['doctor'], configDir)
      expect(doctor.stdout).toContain('callbacks[0] is switched off')
      const json = JSON.parse((await runCli(['outbox', '--json'], configDir)).stdout) as {disabled: unknown[]}
      expect(json.disabled).toHaveLength(1)

      const notOff = await runCli(['outbox', '--enable', 'callbacks[1]'], configDir)
      expect(notOff.exitCode).toBe(2)
      expect(notOff.stderr).toContain('callbacks[1] is not switched off')
      gone = false
      const enabled = await runCli(['outbox', '--enable', 'callbacks[0]'], configDir)
      expect(enabled.stdout).toBe(`switched on again: callbacks[0] (${receiver.url}/gone)`)
      // The running listener sees it at its next look at the store (within 10 s).
      await until(
        async () =>
          ((await (await fetch(`${listener.url}/status`)).json()) as {deliveries: {disabled?: unknown}}).deliveries
            .disabled === undefined,
        15_000,
      )
      await fetch(`${listener.url}/notify/incoming?number=020123458`, {method: 'POST'})
      await receiver.waitFor(2)
    } finally {
      await listener.stop()
      await receiver.close()
      await healthy.close()
    }
  }, 90_000)

  test('a switched-off callbacks[0] edited to point at another server is sent to again (the 410 was that server)', async () => {
    const configDir = tempConfigDir()
    const gone = await startWebhookReceiver(() => 410)
    const fresh = await startWebhookReceiver()
    await setConfig(configDir, {callbacks: JSON.stringify([{url: `${gone.url}/x`, events: ['new']}])})
    const listener = await startListenerProcess(configDir)
    try {
      await fetch(`${listener.url}/notify/incoming?number=020123456`, {method: 'POST'})
      await listener.waitForLine((line) => String(line.message).includes('answered 410 Gone'))
      await runCli(
        ['config', 'set', 'callbacks', JSON.stringify([{url: `${fresh.url}/y`, events: ['new']}])],
        configDir,
      )
      await listener.waitForLine((line) => String(line.message).includes('applied callbacks'))
      await fetch(`${listener.url}/notify/incoming?number=020123457`, {method: 'POST'})
      const [request] = await fresh.waitFor(1)
      expect(request.url).toBe('/y')
      expect(gone.received).toHaveLength(1)
    } finally {
      await listener.stop()
      await gone.close()
      await fresh.close()
    }
  }, 60_000)

  test('3xx is a failure (the redirect is not followed); 429 waits for Retry-After', async () => {
    const configDir = tempConfigDir()
    const target = await startWebhookReceiver()
    let throttled = 0
    const receiver = await startWebhookReceiver((request): Answer => {
      if (request.url.startsWith('/moved')) return {status: 301, headers: {location: `${target.url}/new`}}
      return throttled++ === 0 ? {status: 429, headers: {'retry-after': '3'}} : 200
    })
    await setConfig(configDir, {
      callbacks: JSON.stringify([
        {url: `${receiver.url}/moved`, events: ['new']},
        {url: `${receiver.url}/throttled`, events: ['new']},
      ]),
    })
    const listener = await startListenerProcess(configDir)
    try {
      await fetch(`${listener.url}/notify/incoming?number=020123456`, {method: 'POST'})
      const failed = await listener.waitForLine((line) => line.kind === 'delivery' && line.target === 'callbacks[0]')
      expect(failed).toMatchObject({outcome: 'failed', status: 301})
      await until(() => receiver.received.filter((r) => r.url === '/throttled').length >= 2, 15_000)
      const [first, second] = receiver.received.filter((r) => r.url === '/throttled')
      expect(second.at - first.at).toBeGreaterThanOrEqual(2900)
      expect(target.received).toHaveLength(0)
    } finally {
      await listener.stop()
      await receiver.close()
      await target.close()
    }
  }, 60_000)

  test('old configs keep their scheme: a plain secret signs X-Callctl-Signature; signature "standard" with it is refused', async () => {
    const configDir = tempConfigDir()
    const plain = 'an-old-secret-of-the-old-form'
    const bad = await runCli(
      [
        'config',
        'set',
        'callbacks',
        JSON.stringify([{url: 'http://127.0.0.1:1/x', events: ['new'], secret: plain, signature: 'standard'}]),
      ],
      configDir,
    )
    expect(bad.exitCode).toBe(2)
    expect(bad.stderr).toContain('callbacks[0].secret is not a Standard Webhooks secret')
    expect(bad.stderr).toContain('callctl callbacks secret 0')
    const receiver = await startWebhookReceiver()
    await setConfig(configDir, {
      callbacks: JSON.stringify([{url: `${receiver.url}/old?n={CALLERNUM}`, events: ['new'], secret: plain}]),
    })
    const listener = await startListenerProcess(configDir)
    try {
      await fetch(`${listener.url}/notify/incoming?number=020123456`, {method: 'POST'})
      const [request] = await receiver.waitFor(1)
      expect(request.method).toBe('GET')
      expect(request.url).toBe('/old?n=020123456')
      expect(request.headers['x-callctl-signature']).toMatch(/^v1=[0-9a-f]{64}$/)
      expect(request.headers['webhook-signature']).toBeUndefined()
    } finally {
      await listener.stop()
      await receiver.close()
    }
  }, 60_000)
})
