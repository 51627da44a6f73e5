import {mergeDefaults} from '../../src/config/settings.js'
import {type Config, DEFAULTS} from '../../src/settings.js'
import type {CallEvent} from '../../src/engine/call.js'
import {type RunningListener, startListener} from '../../src/listener/start.js'

async function start(overrides: Record<string, unknown> = {}) {
  const events: CallEvent[] = []
  const config = mergeDefaults(DEFAULTS, {port: 0, driver: {sim: {answerAfterMs: 0}}, ...overrides} as Partial<Config>)
  const listener = await startListener({
    config,
    version: '0.0.0-test',
    report: (record) => record.kind === 'event' && events.push(record),
  })
  return {listener, events}
}

async function post(listener: RunningListener, path: string) {
  const response = await fetch(`${listener.url}${path}`, {method: 'POST'})
  return {status: response.status, body: (await response.json()) as Record<string, any>}
}

describe('in-call actions over HTTP (sim driver, in process)', () => {
  let listener: RunningListener
  let events: CallEvent[]
  const types = () => events.map((event) => event.type)
  beforeEach(async () => {
    ;({listener, events} = await start())
  })
  afterEach(async () => {
    await listener.close()
  })

  test('hold, resume, mute, unmute, dtmf and transfer act on the current call, one event each', async () => {
    const made = await post(listener, '/make/020123456')
    const id = made.body.call.id as string
    expect((await post(listener, '/hold')).body.call).toMatchObject({id, state: 'held'})
    expect((await post(listener, '/resume')).body.call).toMatchObject({id, state: 'active'})
    expect((await post(listener, '/mute')).body.call).toMatchObject({id, muted: true})
    expect((await post(listener, '/unmute')).body.call).toMatchObject({id, muted: false})
    expect((await post(listener, '/dtmf/12%2C34%23')).body.call).toMatchObject({id, state: 'active'})
    const transferred = await post(listener, `/transfer/0201111111?call=${id}`)
    expect(transferred.status).toBe(200)
    expect(transferred.body.call).toMatchObject({id, state: 'ended', transferredTo: '0201111111', result: 'answered'})
    expect(types()).toEqual(['outgoing', 'active', 'held', 'resumed', 'updated', 'updated', 'transferred', 'end'])
  })

  test('reject declines a ringing call: it ends `rejected`, not `missed`', async () => {
    await post(listener, '/notify/incoming?number=0612345678')
    const {status, body} = await post(listener, '/reject')
    expect(status).toBe(200)
    expect(body.call).toMatchObject({state: 'ended', result: 'rejected', direction: 'incoming'})
    expect(types()).toEqual(['incoming', 'rejected'])
  })

  test('an incoming call that ends unanswered is `missed`; an answered one ends `end` with result answered', async () => {
    await post(listener, '/notify/incoming?number=0612345678&call=a')
    await post(listener, '/notify/end?call=a&reason=caller%20hung%20up')
    await post(listener, '/notify/incoming?number=0612345678&call=b')
    await post(listener, '/answer')
    await post(listener, '/end')
    expect(types()).toEqual(['incoming', 'missed', 'incoming', 'active', 'end'])
    expect(events[1].call).toMatchObject({result: 'missed', endReason: 'caller hung up'})
    expect(events[4].call.result).toBe('answered')
  })

  test('409 naming the state when the call cannot take the action', async () => {
    const made = await post(listener, '/make/020123456')
    const id = made.body.call.id as string
    const resumed = await post(listener, `/resume?call=${id}`)
    expect(resumed.status).toBe(409)
    expect(resumed.body.error.message).toBe(`Call ${id} cannot be resumed: it is active; only a held call can`)
    expect((await post(listener, `/reject?call=${id}`)).status).toBe(409)
    await post(listener, '/hold')
    const dtmf = await post(listener, `/dtmf/1?call=${id}`)
    expect(dtmf.status).toBe(409)
    expect(dtmf.body.error.message).toMatch(/cannot be sent DTMF: it is held; only an active call can/)
    expect((await post(listener, '/hold')).body.error).toMatchObject({
      code: 'ERR_NO_CALL',
      message: 'No active call to hold',
    })
    await post(listener, '/end')
    const none = await post(listener, '/transfer/201')
    expect(none.status).toBe(409)
    expect(none.body.error.code).toBe('ERR_NO_CALL')
    expect((await post(listener, `/hold?call=${id}`)).body.error.message).toMatch(/already ended/)
  })

  test('400 for bad DTMF and a bad transfer number; a blocked number may not be transferred to', async () => {
    await listener.close()
    ;({listener, events} = await start({numbers: {allow: [], block: ['0900']}}))
    await post(listener, '/make/020123456')
    const dtmf = await post(listener, '/dtmf/12x')
    expect(dtmf.status).toBe(400)
    expect(dtmf.body.error).toMatchObject({code: 'ERR_INVALID_DTMF'})
    expect(dtmf.body.error.message).toMatch(/0-9 \* # A-D/)
    expect((await post(listener, '/transfer/abc')).body.error.code).toBe('ERR_INVALID_NUMBER')
    expect((await post(listener, '/transfer')).body.error.code).toBe('ERR_INVALID_NUMBER')
    const blocked = await post(listener, '/transfer/09001234')
    expect(blocked.status).toBe(403)
    expect(listener.control.engine.live()[0].state).toBe('active')
  })

  test('call waiting: answering a second call holds the first; resume --call swaps back', async () => {
    await post(listener, '/notify/incoming?number=0611111111&call=first')
    await post(listener, '/answer?call=first')
    await post(listener, '/notify/incoming?number=0622222222&call=second')
    const status = (await (await fetch(`${listener.url}/status`)).json()) as Record<string, any>
    expect(status.calls.map((call: any) => [call.id, call.state])).toEqual([
      ['first', 'active'],
      ['second', 'ringing'],
    ])
    await post(listener, '/answer?call=second')
    const states = () => Object.fromEntries(listener.control.engine.live().map((call) => [call.id, call.state]))
    expect(states()).toEqual({first: 'held', second: 'active'})
    await post(listener, '/resume?call=first')
    expect(states()).toEqual({first: 'active', second: 'held'})
    // `end` ends the call talked on; `resume` then takes the other one back.
    await post(listener, '/end')
    expect((await post(listener, '/resume')).body.call).toMatchObject({id: 'second', state: 'active'})
    expect(types()).toEqual(['incoming', 'active', 'incoming', 'held', 'active', 'held', 'resumed', 'end', 'resumed'])
  })

  test('calls.holdOnAnswer false leaves the first call active', async () => {
    await listener.close()
    ;({listener, events} = await start({calls: {holdOnAnswer: false}}))
    await post(listener, '/notify/incoming?call=first')
    await post(listener, '/answer')
    await post(listener, '/notify/incoming?call=second')
    await post(listener, '/answer')
    expect(listener.control.engine.live().map((call) => call.state)).toEqual(['active', 'active'])
  })

  test('/status lists the capabilities of the driver', async () => {
    const status = (await (await fetch(`${listener.url}/status`)).json()) as Record<string, any>
    expect(status.capabilities).toEqual([
      'make',
      'answer',
      'end',
      'reject',
      'hold',
      'resume',
      'transfer',
      'dtmf',
      'mute',
    ])
  })

  test('configured segments for the actions, as for make/answer/end', async () => {
    await listener.close()
    ;({listener, events} = await start({commands: {...DEFAULTS.commands, hold: 'park', transfer: 'xfer'}}))
    await post(listener, '/make/020123456')
    expect((await post(listener, '/park')).body.call.state).toBe('held')
    expect((await post(listener, '/xfer/201')).body.call.state).toBe('ended')
    expect((await post(listener, '/hold')).status).toBe(404)
  })
})

describe('an action the driver lacks', () => {
  test('501 naming the drivers that can', async () => {
    const {listener} = await start({driver: {name: 'uri', uri: {template: 'tel:{NUMBER}'}}})
    try {
      await post(listener, '/notify/incoming?call=x')
      await post(listener, '/notify/active?call=x')
      const {status, body} = await post(listener, '/hold')
      expect(status).toBe(501)
      expect(body.error.code).toBe('ERR_NOT_SUPPORTED')
      expect(body.error.message).toBe(
        '[driver:uri] this driver cannot hold calls; drivers that can: sim, baresip, command (driver.command.<action> set), applescript (driver.applescript.<action> set, macOS)',
      )
      const status2 = (await (await fetch(`${listener.url}/status`)).json()) as Record<string, any>
      expect(status2.capabilities).toEqual(['make'])
    } finally {
      await listener.close()
    }
  })
})

describe('refusals that say what was refused, and cost nothing', () => {
  let listener: RunningListener
  afterEach(async () => {
    await listener?.close()
  })

  test('a transfer to a blocked number says transfer; refused transfers do not use up makeRateLimit', async () => {
    ;({listener} = await start({
      numbers: {allow: [], block: ['0900']},
      security: {...DEFAULTS.security, makeRateLimit: 3},
    }))
    // No call to transfer: 409, twenty times, and no dial was made.
    for (let i = 0; i < 20; i++) expect((await post(listener, '/transfer/0201111111')).status).toBe(409)
    const made = await post(listener, '/make/020123456')
    expect(made.status).toBe(200)
    const blocked = await post(listener, '/transfer/0900123456')
    expect(blocked.status).toBe(403)
    expect(blocked.body.error.message).toBe(
      'Refused transfer: 0900123456 matches numbers.block entry "0900"; remove that entry to allow it',
    )
    expect((await post(listener, '/transfer/0201111111')).body.call.transferredTo).toBe('0201111111')
    expect((await post(listener, '/make/020123457')).status).toBe(200)
    expect((await post(listener, '/make/020123458')).status).toBe(429)
  })

  test('a repeated query field is refused (400), not silently the last one', async () => {
    ;({listener} = await start())
    await post(listener, '/notify/incoming?number=0612345678&call=a')
    await post(listener, '/notify/incoming?number=0612345679&call=b')
    const twice = await post(listener, '/end?call=a&call=b')
    expect(twice.status).toBe(400)
    expect(twice.body.error).toMatchObject({
      code: 'ERR_REPEATED_FIELD',
      message: 'Repeated query field "call": give each field once',
    })
    const history = await fetch(`${listener.url}/status?x=1&x=2`)
    expect(history.status).toBe(400)
    expect(((await (await fetch(`${listener.url}/status`)).json()) as any).calls).toHaveLength(2)
  })

  test('a field repeated in a form body, or in the query and the body with different values, is refused (400)', async () => {
    ;({listener} = await start())
    await post(listener, '/notify/incoming?number=0612345678&call=a')
    await post(listener, '/notify/incoming?number=0612345679&call=b')
    const form = (path: string, body: string) =>
      fetch(`${listener.url}${path}`, {
        method: 'POST',
        headers: {'content-type': 'application/x-www-form-urlencoded'},
        body,
      }).then(async (response) => ({status: response.status, body: (await response.json()) as Record<string, any>}))
    const twice = await form('/end', 'call=a&call=b')
    expect(twice.status).toBe(400)
    expect(twice.body.error).toMatchObject({
      code: 'ERR_REPEATED_FIELD',
      message: 'Repeated form field "call": give each field once',
    })
    const both = await form('/end?call=a', 'call=b')
    expect(both.status).toBe(400)
    expect(both.body.error).toMatchObject({
      code: 'ERR_REPEATED_FIELD',
      message: 'Field "call" is in both the query and the body, with different values: give it once',
    })
    const json = await fetch(`${listener.url}/end?call=a`, {
      method: 'POST',
      headers: {'content-type': 'application/json'},
      body: JSON.stringify({call: 'b'}),
    })
    expect(json.status).toBe(400)
    // Nothing was ended by the refused requests; the same value in both places is no conflict.
    expect(((await (await fetch(`${listener.url}/status`)).json()) as any).calls).toHaveLength(2)
    const agreed = await form('/end?call=a', 'call=a')
    expect(agreed.status).toBe(200)
    expect(agreed.body.call.id).toBe('a')
  })

  test('a long call id is cut in the message', async () => {
    ;({listener} = await start())
    const id = 'x'.repeat(5000)
    const {status, body} = await post(listener, `/hold?call=${id}`)
    expect(status).toBe(409)
    expect(body.error.message).toBe(`Cannot hold call ${'x'.repeat(64)}… (5000 characters): no such call`)
  })

  test('notify transferred takes a number as to= (400 otherwise), once per call', async () => {
    ;({listener} = await start())
    await post(listener, '/notify/incoming?number=0612345678&call=t')
    await post(listener, '/notify/active?call=t')
    for (const to of ['%3Cscript%3E%0D%0Ax%20%24(id)', '', 'sip%3Abob%40pbx']) {
      const bad = await post(listener, `/notify/transferred?call=t&to=${to}`)
      expect(bad.status).toBe(400)
      expect(bad.body.error.message).toMatch(/^Invalid to=".*": give the number the call was transferred to/)
    }

    expect((await post(listener, '/notify/transferred?call=t')).status).toBe(400)
    const ok = await post(listener, '/notify/transferred?call=t&to=020%20123%204567')
    expect(ok.body.call.transferredTo).toBe('0201234567')
    const again = await post(listener, '/notify/transferred?call=t&to=0201111111')
    expect(again.status).toBe(409)
    expect(again.body.error.message).toBe('Call t was already transferred to 0201234567')
  })
})
