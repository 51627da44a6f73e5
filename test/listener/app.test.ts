import {connect} from 'node:net'

import {mergeDefaults} from '../../src/config/settings.js'
import {type Config, DEFAULTS} from '../../src/settings.js'
import type {CallEvent} from '../../src/engine/call.js'
import {type RunningListener, startListener} from '../../src/listener/start.js'

async function start(overrides: Partial<Config> = {}) {
  const events: CallEvent[] = []
  const config = mergeDefaults(DEFAULTS, {port: 0, driver: {sim: {answerAfterMs: 0}}, ...overrides})
  const listener = await startListener({
    config,
    version: '0.0.0-test',
    report: (record) => record.kind === 'event' && events.push(record),
  })
  return {listener, events}
}

async function get(listener: RunningListener, path: string, init?: RequestInit) {
  const response = await fetch(`${listener.url}${path}`, init)
  return {status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any>}
}

describe('listener routes (sim driver, in process)', () => {
  let listener: RunningListener
  let events: CallEvent[]
  beforeEach(async () => {
    ;({listener, events} = await start())
  })
  afterEach(async () => {
    await listener.close()
  })

  test('GET /make/<number> dials and answers 200 with the call', async () => {
    const {status, body} = await get(listener, '/make/020123456')
    expect(status).toBe(200)
    expect(body.call).toMatchObject({direction: 'outgoing', number: '020123456', state: 'active'})
    expect(events.map((event) => event.type)).toEqual(['outgoing', 'active'])
  })

  test('an empty call id (?call=) is refused, never read as "the current call"', async () => {
    const made = await get(listener, '/make/020123456')
    for (const route of ['/end?call=', '/answer?call=%20', '/popup?call=']) {
      const {status, body} = await get(listener, route, {method: 'POST'})
      expect(status).toBe(400)
      expect(body.error.code).toBe('ERR_INVALID_CALL_ID')
    }

    expect(listener.control.engine.get(made.body.call.id)?.state).toBe('active')
  })

  test('POST works too, and the number may come decorated', async () => {
    const {status, body} = await get(listener, '/make/%2B31%20(20)%20123-4567', {method: 'POST'})
    expect(status).toBe(200)
    expect(body.call.number).toBe('+31201234567')
  })

  test('400 for an invalid number, saying what is allowed', async () => {
    const {status, body} = await get(listener, '/make/12ab')
    expect(status).toBe(400)
    expect(body.error).toMatchObject({code: 'ERR_INVALID_NUMBER'})
    expect(body.error.message).toMatch(/digits, a leading \+, \* and #/)
    expect(events).toHaveLength(0)
  })

  test('404 for an unknown command lists the valid ones', async () => {
    const {status, body} = await get(listener, '/dial/1')
    expect(status).toBe(404)
    expect(body.error.hints[0]).toContain('/make/<number>')
  })

  test('405 for a wrong method, with Allow', async () => {
    const response = await fetch(`${listener.url}/answer`, {method: 'PUT'})
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('GET, POST')
  })

  test('409 when there is nothing to answer or end', async () => {
    expect((await get(listener, '/answer')).status).toBe(409)
    expect((await get(listener, '/end')).status).toBe(409)
  })

  test('notify incoming, answer, end: incoming → active → end', async () => {
    const incoming = await get(listener, '/notify/incoming?number=0612345678&name=Alice')
    expect(incoming.body.call).toMatchObject({state: 'ringing', name: 'Alice'})
    const answered = await get(listener, '/answer')
    expect(answered.body.call).toMatchObject({id: incoming.body.call.id, state: 'active'})
    const ended = await get(listener, `/end?call=${incoming.body.call.id}`)
    expect(ended.body.call).toMatchObject({state: 'ended', endReason: 'local hangup'})
    expect(events.map((event) => event.type)).toEqual(['incoming', 'active', 'end'])
  })

  test('notify takes a JSON body', async () => {
    const {status, body} = await get(listener, '/notify/incoming', {
      method: 'POST',
      headers: {'content-type': 'application/json'},
      body: JSON.stringify({number: '1234', name: 'Bob', call: 'phone-7'}),
    })
    expect(status).toBe(200)
    expect(body.call).toMatchObject({id: 'phone-7', number: '1234', name: 'Bob'})
    expect(
      (
        await get(listener, '/notify/end', {
          method: 'POST',
          headers: {'content-type': 'application/json'},
          body: '{"call":"phone-7"}',
        })
      ).body.call.state,
    ).toBe('ended')
  })

  test('a body field that is not a string is refused, not dropped', async () => {
    const {status, body} = await get(listener, '/notify/incoming', {
      method: 'POST',
      headers: {'content-type': 'application/json'},
      body: '{"number": {"$gt": 1}}',
    })
    expect(status).toBe(400)
    expect(body.error.message).toBe('Field "number" must be a string or a number, got object')
    expect(events).toHaveLength(0)
  })

  test('status lists live calls', async () => {
    await get(listener, '/notify/incoming?number=1')
    const {body} = await get(listener, '/status')
    expect(body).toMatchObject({
      name: 'callctl',
      version: '0.0.0-test',
      driver: {name: 'sim', state: 'connected', detail: ''},
    })
    expect(body.calls).toHaveLength(1)
  })

  test('a doubled slash (a CRM base URL ending in / before /make/…) is a path, not a host name', async () => {
    // fetch would tidy the path: the request line is sent as it is.
    const requestLine = async (target: string) =>
      new Promise<string>((resolve) => {
        const socket = connect(Number(new URL(listener.url).port), '127.0.0.1', () =>
          socket.write(
            `POST ${target} HTTP/1.1\r\nhost: 127.0.0.1:${new URL(listener.url).port}\r\nconnection: close\r\n\r\n`,
          ),
        )
        let text = ''
        socket.on('data', (chunk) => (text += chunk.toString()))
        socket.on('close', () => resolve(text))
      })
    const answer = await requestLine('//make//0613')
    expect(answer).toMatch(/^HTTP\/1.1 200/)
    expect(answer).toContain('"number":"0613"')
    expect(await requestLine('//end')).toMatch(/^HTTP\/1.1 200/)
  })

  test('malformed requests get 4xx and the listener keeps answering', async () => {
    expect((await get(listener, '/make/%E0%A4%A')).status).toBe(400)
    expect(
      (
        await get(listener, '/notify/incoming', {
          method: 'POST',
          headers: {'content-type': 'application/json'},
          body: '{',
        })
      ).status,
    ).toBe(400)
    expect((await get(listener, '/notify/nonsense')).status).toBe(404)
    const raw = await new Promise<string>((resolve) => {
      const socket = connect(Number(new URL(listener.url).port), '127.0.0.1', () =>
        socket.write('GARBAGE \x00\x01\r\n\r\n'),
      )
      let text = ''
      socket.on('data', (chunk) => (text += chunk.toString()))
      socket.on('close', () => resolve(text))
    })
    expect(raw).toMatch(/^HTTP\/1.1 400/)
    expect((await get(listener, '/status')).status).toBe(200)
  })
})

describe('listener config', () => {
  test('command segments are configurable', async () => {
    const {listener} = await start({commands: {...DEFAULTS.commands, make: 'dial', answer: 'pickup', end: 'hangup'}})
    try {
      expect((await get(listener, '/dial/123')).status).toBe(200)
      expect((await get(listener, '/make/123')).status).toBe(404)
      expect((await get(listener, '/hangup')).status).toBe(200)
    } finally {
      await listener.close()
    }
  })

  test('sim.answerAfterMs -1: the remote never answers', async () => {
    const {listener, events} = await start({driver: {...DEFAULTS.driver, sim: {answerAfterMs: -1, hangupAfterMs: -1}}})
    try {
      expect((await get(listener, '/make/123')).body.call.state).toBe('dialing')
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(events.map((event) => event.type)).toEqual(['outgoing'])
    } finally {
      await listener.close()
    }
  })

  test('sim.hangupAfterMs: the remote hangs up after answering', async () => {
    const {listener, events} = await start({driver: {...DEFAULTS.driver, sim: {answerAfterMs: 10, hangupAfterMs: 20}}})
    try {
      await get(listener, '/make/123')
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect(events.map((event) => event.type)).toEqual(['outgoing', 'active', 'end'])
      expect(events[2].call.endReason).toBe('remote hangup')
    } finally {
      await listener.close()
    }
  })

  test('a busy port is a clear error naming the port and the other callctl', async () => {
    const {listener} = await start()
    const port = Number(new URL(listener.url).port)
    try {
      const config = mergeDefaults(DEFAULTS, {port})
      await expect(startListener({config, version: 'x'})).rejects.toThrow(
        new RegExp(`Port ${port} is already used by another callctl listener \\(pid ${process.pid}`),
      )
    } finally {
      await listener.close()
    }
  })
})
