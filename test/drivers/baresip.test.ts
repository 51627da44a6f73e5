import {connect, createServer, type Socket} from 'node:net'

import {accountDomain, createBaresipDriver, peerNumber} from '../../src/drivers/baresip/driver.js'
import {baresipDriver, type BaresipSettings} from '../../src/drivers/baresip/index.js'
import {encodeNetstring, NetstringDecoder} from '../../src/drivers/baresip/netstring.js'
import {headlessConfig} from '../../src/drivers/baresip/spawn.js'
import {CallControl, reporterFor} from '../../src/engine/control.js'
import {CallEngine} from '../../src/engine/engine.js'
import {startFakeBaresip} from '../helpers/fake-baresip.js'
import {closedPort} from '../helpers/ports.js'
import {settingsOf, testDriverContract, initWhenConnected} from './contract.js'
import {sleep, until} from '../helpers/wait.js'

describe('baresip ctrl_tcp framing', () => {
  test('encodes netstrings with the byte length, params as JSON strings', () => {
    expect(encodeNetstring({command: 'dial', params: 'sip:1@x', token: 't1'}).toString()).toBe(
      '50:{"command":"dial","params":"sip:1@x","token":"t1"},',
    )
    expect(encodeNetstring({x: 'é'}).toString()).toBe('10:{"x":"é"},')
  })

  test('decodes messages split across chunks and several in one chunk', () => {
    const decoder = new NetstringDecoder()
    const wire = Buffer.concat([
      encodeNetstring({a: 1}),
      encodeNetstring({event: true, type: 'CALL_CLOSED', peeruri: 'sip:a\\/b'}),
    ])
    expect(decoder.push(wire.subarray(0, 5))).toEqual([])
    expect(decoder.push(wire.subarray(5))).toEqual([{a: 1}, {event: true, type: 'CALL_CLOSED', peeruri: 'sip:a\\/b'}])
  })

  test('bad framing is an error, not a hang', () => {
    expect(() => new NetstringDecoder().push(Buffer.from('x:{}'))).toThrow('bad netstring length')
    expect(() => new NetstringDecoder().push(Buffer.from('2:{}X'))).toThrow('not terminated by a comma')
  })
})

test('peer numbers and account domains', () => {
  expect(peerNumber('sip:0612345678@127.0.0.1:5090')).toBe('0612345678')
  expect(peerNumber('<sip:%2B31201234567@pbx.example.com;user=phone>')).toBe('+31201234567')
  expect(peerNumber('tel:+31201234567')).toBe('+31201234567')
  expect(peerNumber(undefined)).toBe('')
  // Not a number: the whole address, as an outgoing call to it is named; one callctl would not dial, as reported.
  expect(peerNumber('<sip:alice@PBX.example.com:5070;transport=tcp>')).toBe(
    'sip:alice@pbx.example.com:5070;transport=tcp',
  )
  expect(peerNumber('sip:al%0Aice@127.0.0.1')).toBe('sip:al%0Aice@127.0.0.1')
  expect(peerNumber('sip:anonymous@anonymous.invalid')).toBe('sip:anonymous@anonymous.invalid')
  expect(accountDomain('<sip:alice@example.com:5070>;regint=0')).toBe('example.com:5070')
  expect(accountDomain('<sip:alice@127.0.0.1>;auth_pass=x')).toBe('127.0.0.1')
})

test('the generated headless config has what baresip 1.0 needs without a sound card', () => {
  const text = headlessConfig({
    sipListen: '127.0.0.1:5070',
    ctrlHost: '127.0.0.1',
    ctrlPort: 4444,
    account: '<sip:alice@127.0.0.1>',
    rtpPorts: '10000-10099',
    modulePath: '/usr/lib/baresip/modules',
  })
  for (const line of [
    'sip_listen 127.0.0.1:5070',
    'net_interface 127.0.0.1',
    'audio_source ausine,440',
    'ausrc_srate 48000',
    'ausrc_channels 2',
    'audio_player none',
    'module_app ctrl_tcp.so',
    'ctrl_tcp_listen 127.0.0.1:4444',
    'statmode_default off',
  ]) {
    expect(text.split('\n')).toContain(line)
  }
})

const FAST = {commandTimeoutMs: 300, dialTimeoutMs: 600, dialUri: 'sip:{NUMBER}@127.0.0.1'}

testDriverContract(
  'baresip',
  async () => {
    const fake = await startFakeBaresip()
    return {
      module: baresipDriver,
      settings: {...FAST, port: fake.port},
      // The driver connects in the background: the contract starts once it has.
      factory: async (context) => initWhenConnected(createBaresipDriver(context)),
      faults: {
        gone: async () => fake.stop(),
        stall: async () => fake.stall(),
        garbage: async () => fake.send('HTTP/1.1 400 Bad Request\r\n\r\n'),
      },
      quietMs: FAST.dialTimeoutMs + 200,
      close: async () => fake.close(),
    }
  },
  {label: 'baresip (fake ctrl_tcp server in the test)', faults: ['gone', 'stall', 'garbage']},
)

/** A baresip driver in this process against `port`, with short timeouts and its log lines kept. */
async function driverOn(port: number, settings: Partial<BaresipSettings> = {}) {
  const engine = new CallEngine()
  const log: string[] = []
  const driver = createBaresipDriver({
    reporter: reporterFor(engine),
    settings: settingsOf(baresipDriver, {...FAST, port, ...settings}),
    log: (message) => log.push(message),
  })
  await driver.init!()
  return {engine, driver, log, control: new CallControl(engine, driver)}
}

describe('baresip driver failure paths (fake ctrl_tcp server)', () => {
  const cleanups: Array<() => Promise<unknown> | void> = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  async function connected(settings: Partial<BaresipSettings> = {}) {
    const fake = await startFakeBaresip()
    cleanups.push(() => fake.close())
    const running = await driverOn(fake.port, settings)
    cleanups.push(() => running.driver.close!())
    await until(() => running.driver.reachability!().state === 'connected')
    return {fake, ...running}
  }

  test('nothing on the ctrl port: make answers 503 at once, and nothing rejects once the dial timeout has passed', async () => {
    const {driver, log} = await driverOn(await closedPort())
    cleanups.push(() => driver.close!())
    await until(() => driver.reachability!().state === 'down')
    await expect(driver.make('0201234567')).rejects.toMatchObject({
      status: 503,
      message: expect.stringContaining('is not reachable: is baresip running?'),
    })
    await expect(driver.make('0201234568')).rejects.toMatchObject({status: 503})
    await sleep(FAST.dialTimeoutMs + 300)
    expect(log.filter((line) => line.includes('not reachable'))).toHaveLength(1)
  })

  test('two overlapping makes: each gets its own call, matched by the URI it dialled, not by order', async () => {
    const {fake, driver} = await connected()
    fake.onDial.set('0201111111', 'silent')
    const first = driver.make('0201111111')
    const second = driver.make('0202222222')
    await expect(second).resolves.toMatchObject({number: '0202222222', state: 'active'})
    await expect(first).rejects.toMatchObject({status: 504, message: expect.stringContaining('no call appeared')})
  })

  test('an overlapping make that baresip refuses fails alone; the other one resolves', async () => {
    const {fake, driver, engine} = await connected()
    fake.onDial.set('0201111111', 'refuse')
    fake.onDial.set('0202222222', 'ring')
    const results = await Promise.allSettled([driver.make('0201111111'), driver.make('0202222222')])
    expect(results[0]).toMatchObject({status: 'rejected', reason: {status: 502}})
    expect(results[1]).toMatchObject({status: 'fulfilled', value: {number: '0202222222', state: 'dialing'}})
    await sleep(FAST.dialTimeoutMs + 200)
    expect(engine.live().map((call) => call.number)).toEqual(['0202222222'])
  })

  test('many overlapping makes, half of them refused: every promise settles, the right calls exist', async () => {
    const {fake, driver, engine} = await connected()
    const numbers = Array.from({length: 20}, (_, index) => `02000000${String(index).padStart(2, '0')}`)
    for (const number of numbers.filter((_, index) => index % 2 === 1)) fake.onDial.set(number, 'refuse')
    const results = await Promise.allSettled(numbers.map(async (number) => driver.make(number)))
    expect(results.map((result) => result.status)).toEqual(numbers.map((_, i) => (i % 2 ? 'rejected' : 'fulfilled')))
    expect(engine.live().map((call) => call.number)).toEqual(numbers.filter((_, index) => index % 2 === 0))
  })

  test('baresip gone while ten dials wait for their calls: each fails at once with 503, none waits for its timeout', async () => {
    const {fake, driver} = await connected({dialTimeoutMs: 5000})
    fake.onDial.set('020', 'silent')
    const makes = Array.from({length: 10}, async (_, index) => driver.make(`02000000${index}`))
    await until(() => fake.commands.filter((command) => command.startsWith('dial')).length === 10)
    const started = Date.now()
    await fake.stop()
    const results = await Promise.allSettled(makes)
    expect(Date.now() - started).toBeLessThan(1000)
    for (const result of results) {
      expect(result).toMatchObject({
        status: 'rejected',
        reason: {status: 503, message: expect.stringContaining('before the call appeared')},
      })
    }
  })

  test('a call of unknown state while the driver is down: /status shows it as unknown, not active', async () => {
    const {fake, driver, control} = await connected()
    const call = await driver.make('0201234567')
    await until(() => control.status().calls[0]?.state === 'active')
    expect(control.status().driver).toEqual({name: 'baresip', state: 'connected', detail: expect.any(String)})
    await fake.stop()
    await until(() => control.status().driver.state === 'down')
    expect(control.status().driver.detail).toContain('is not reachable: is baresip running?')
    expect(control.status().calls).toEqual([
      expect.objectContaining({id: call.id, state: 'unknown', lastKnownState: 'active'}),
    ])
    // baresip back without the call (it restarted): the call is ended, not left live forever.
    await fake.start()
    await until(() => control.status().driver.state === 'connected')
    await until(() => control.status().calls.length === 0)
    expect(control.status().recent[0]).toMatchObject({id: call.id, endReason: 'vanished while baresip was unreachable'})
  })

  test("with two calls live, end of one makes it baresip's current call first (callfind), so the other stays up", async () => {
    const {fake, driver, control} = await connected()
    const first = await driver.make('0201')
    const second = await driver.make('0202')
    await until(() => control.status().calls.every((call) => call.state === 'active'))
    // baresip's current call is the newest: a bare hangup would end 0202.
    await control.end(first.id)
    expect(fake.commands.slice(-2)).toEqual([`callfind ${first.id}`, 'hangup'])
    expect(control.status().calls.map((call) => call.id)).toEqual([second.id])
    expect(control.status().recent[0]).toMatchObject({id: first.id, endReason: 'Connection reset by user'})
    // With one call left too: callfind checks that baresip still has it.
    await control.end(second.id)
    expect(fake.commands.slice(-2)).toEqual([`callfind ${second.id}`, 'hangup'])
  })

  test('a call baresip no longer has (its close not seen yet): hold answers 409 and nothing is sent to the current call', async () => {
    const {fake, driver, control} = await connected()
    const first = await driver.make('0201')
    const second = await driver.make('0202')
    await until(() => control.status().calls.every((call) => call.state === 'active'))
    // baresip dropped the call without callctl hearing of it: callfind says "call not found" and leaves 0202 current.
    fake.calls.delete(first.id)
    await expect(control.hold(first.id)).rejects.toMatchObject({
      status: 409,
      message: `Cannot hold call ${first.id}: baresip no longer has it`,
    })
    expect(fake.commands.slice(-1)).toEqual([`callfind ${first.id}`])
    expect(control.status().calls.find((call) => call.id === second.id)?.state).toBe('active')
  })

  test('two calls ringing in: answering the later one is refused (409; baresip accepts the first), nothing is sent', async () => {
    const {fake, control} = await connected()
    fake.event({type: 'CALL_INCOMING', peeruri: 'sip:0611@127.0.0.1', id: 'ring-1'})
    fake.event({type: 'CALL_INCOMING', peeruri: 'sip:0612@127.0.0.1', id: 'ring-2'})
    await until(() => control.status().calls.length === 2)
    await expect(control.answer('ring-2')).rejects.toMatchObject({
      status: 409,
      message: expect.stringContaining('while call ring-1 rang before it'),
    })
    expect(fake.commands.filter((command) => command === 'accept')).toEqual([])
  })

  test('a hangup baresip says ok to but that ends nothing is an error (504), never a success', async () => {
    const {fake, driver, control} = await connected({commandTimeoutMs: 300})
    const call = await driver.make('0201')
    await until(() => control.status().calls[0]?.state === 'active')
    // baresip answers ok and closes nothing (as it does with no current call).
    fake.inert.add('hangup')
    await expect(control.end(call.id)).rejects.toMatchObject({
      status: 504,
      message: expect.stringContaining(`call ${call.id} did not become ended within 300 ms`),
    })
  })

  test('end of a call baresip no longer has (callfind: not found) ends it in callctl, and hangs up nothing else', async () => {
    const {fake, driver, control} = await connected()
    const gone = await driver.make('0201')
    const other = await driver.make('0202')
    await until(() => control.status().calls.every((call) => call.state === 'active'))
    fake.calls.delete(gone.id)
    expect(await control.end(gone.id)).toMatchObject({
      id: gone.id,
      state: 'ended',
      endReason: 'baresip no longer has it',
    })
    expect(fake.commands.slice(-1)).toEqual([`callfind ${gone.id}`])
    expect(control.status().calls.map((call) => call.id)).toEqual([other.id])
  })

  test('a reconnect keeps only calls baresip still lists by their whole URI (sip:0601@127.0.0.1 is not …0.10)', async () => {
    const {fake, driver, control} = await connected()
    const call = await driver.make('0601')
    await until(() => control.status().calls[0]?.state === 'active')
    const uri = fake.calls.get(call.id)!
    await fake.stop()
    await until(() => driver.reachability!().state === 'down')
    await fake.start()
    // Back with a call to a URI that merely starts like this one's.
    fake.calls.set('other', `${uri}0`)
    await until(() => driver.reachability!().state === 'connected')
    await until(() => control.status().calls.length === 0)
    expect(control.status().recent[0]).toMatchObject({id: call.id, endReason: 'vanished while baresip was unreachable'})
  })

  test('a call that appears after its make answered 504 is hung up, and journaled as such', async () => {
    const {fake, driver, control, log} = await connected()
    fake.onDial.set('0201', 'silent')
    await expect(driver.make('0201')).rejects.toMatchObject({
      status: 504,
      message: expect.stringContaining('if it appears later, callctl hangs it up'),
    })
    // The peer was down; baresip's INVITE retransmission reaches it once it is back.
    fake.calls.set('late-1', 'sip:0201@127.0.0.1')
    fake.event({type: 'CALL_RINGING', direction: 'outgoing', peeruri: 'sip:0201@127.0.0.1', id: 'late-1'})
    await until(() => control.status().calls.length === 0 && control.status().recent.length === 1)
    expect(fake.commands.slice(-2)).toEqual(['callfind late-1', 'hangup'])
    expect(control.status().recent[0]).toMatchObject({
      id: 'late-1',
      number: '0201',
      endReason: 'appeared after its make had answered 504; callctl hung it up',
    })
    expect(log.join('\n')).toContain('appeared after its make had answered 504: hanging it up')
  })

  test('a template without a scheme: the call is matched by the URI baresip makes of it (sip: prepended), also after a 504', async () => {
    const {fake, driver, control} = await connected({dialUri: '{NUMBER}@{DOMAIN}'})
    const call = await driver.make('0301')
    expect(fake.calls.get(call.id)).toBe('sip:0301@127.0.0.1')
    expect(call).toMatchObject({number: '0301'})
    await driver.end(call)
    fake.onDial.set('0202', 'silent')
    await expect(driver.make('0202')).rejects.toMatchObject({status: 504})
    fake.calls.set('late-2', 'sip:0202@127.0.0.1')
    fake.event({type: 'CALL_RINGING', direction: 'outgoing', peeruri: 'sip:0202@127.0.0.1', id: 'late-2'})
    await until(() => control.status().calls.length === 0 && control.status().recent[0]?.id === 'late-2')
    expect(fake.commands.slice(-2)).toEqual(['callfind late-2', 'hangup'])
    expect(control.status().recent[0]).toMatchObject({
      number: '0202',
      endReason: expect.stringContaining('appeared after'),
    })
  })

  test('a sips: address is refused (501) before anything is dialled: baresip 1.0 would call sip:sips:…', async () => {
    const {fake, driver} = await connected()
    await expect(driver.dialSip!('sips:carol@127.0.0.1:5099')).rejects.toMatchObject({
      status: 501,
      message: expect.stringContaining('does not dial sips: addresses'),
    })
    expect(fake.commands.filter((command) => command.startsWith('dial'))).toEqual([])
  })

  test('a call closing to another URI while a make waits does not complete that make', async () => {
    const {fake, driver, control} = await connected({dialTimeoutMs: 1500})
    fake.onDial.set('0777', 'silent')
    const waiting = driver.make('0777')
    await until(() => fake.commands.some((command) => command.startsWith('dial')))
    fake.event({type: 'CALL_CLOSED', direction: 'outgoing', peeruri: 'sip:0999@127.0.0.1', id: 'stale-old', param: 'x'})
    fake.event({type: 'CALL_RINGING', direction: 'outgoing', peeruri: 'sip:0998@127.0.0.1', id: 'from-baresip-ui'})
    await expect(waiting).rejects.toMatchObject({status: 504})
    // The call dialled from baresip itself is reported as such; the stale close is not a call at all.
    expect(control.status().calls).toEqual([expect.objectContaining({id: 'from-baresip-ui', number: '0998'})])
    expect(control.status().recent.map((call) => call.id)).not.toContain('stale-old')
  })

  test('a caller-chosen call id that is long or holds control characters becomes a short digest, the same each event', async () => {
    const {fake, control} = await connected()
    const hostile = `${'x'.repeat(20_000)}\n\u0000?&=#`
    fake.event({type: 'CALL_INCOMING', peeruri: 'sip:0612@127.0.0.1', peerdisplayname: 'Eve', id: hostile})
    await until(() => control.status().calls.length === 1)
    const [call] = control.status().calls
    expect(call.id).toMatch(/^baresip-[0-9a-f]{24}$/)
    fake.event({type: 'CALL_CLOSED', peeruri: 'sip:0612@127.0.0.1', id: hostile, param: 'Connection reset by peer'})
    await until(() => control.status().calls.length === 0)
    expect(control.status().recent[0]).toMatchObject({id: call.id, endReason: 'Connection reset by peer'})
  })

  test('another client takes ctrl_tcp over: callctl says so and stays off until it leaves, then comes back', async () => {
    const {fake, driver, log, control} = await connected()
    const call = await driver.make('0201234567')
    const before = fake.connections
    const other = connect(fake.port, '127.0.0.1')
    await new Promise((resolve) => other.once('connect', resolve))
    await until(() => driver.reachability!().state === 'down')
    expect(driver.reachability!().detail).toContain('another program is connected to ctrl_tcp')
    expect(log.at(-1)).toContain('stays off until that program disconnects')
    await expect(driver.make('0207654321')).rejects.toMatchObject({
      status: 503,
      message: expect.stringContaining('another program'),
    })
    // No fight: callctl does not connect again while the other client is there.
    await sleep(2500)
    expect(fake.connections).toBe(before + 1)
    expect(control.status().calls).toEqual([expect.objectContaining({id: call.id, state: 'unknown'})])
    other.destroy()
    await until(() => driver.reachability!().state === 'connected', 4000)
    expect(fake.connections).toBe(before + 2)
    // The call is still in baresip's listcalls: it stays live.
    expect(control.status().calls).toEqual([expect.objectContaining({id: call.id, state: 'active'})])
  })

  test('a client already on ctrl_tcp when callctl starts is not pushed off: callctl waits until it leaves', async () => {
    const fake = await startFakeBaresip()
    cleanups.push(() => fake.close())
    const other = connect(fake.port, '127.0.0.1')
    cleanups.push(() => void other.destroy())
    await new Promise((resolve) => other.once('connect', resolve))
    const {driver} = await driverOn(fake.port)
    cleanups.push(() => driver.close!())
    expect(driver.reachability!()).toEqual({
      state: 'down',
      detail: `another program is connected to ctrl_tcp at 127.0.0.1:${fake.port} and baresip serves one client at a time; callctl stays off until that program disconnects, then reconnects (commands answer 503)`,
    })
    await sleep(1500)
    expect(fake.connections).toBe(1)
    other.destroy()
    await until(() => driver.reachability!().state === 'connected', 4000)
    expect(fake.connections).toBe(2)
  })

  test('a port that accepts TCP but is not ctrl_tcp never counts as connected, and says what it found', async () => {
    const kinds: Array<[string, (socket: Socket) => void, RegExp]> = [
      [
        'an HTTP server',
        (socket) => socket.once('data', () => socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n')),
        /not baresip's ctrl_tcp: it sent bad netstring length: "HTTP\/1\.1 400/,
      ],
      [
        'a server that closes at once (SIP over TLS)',
        (socket) => socket.destroy(),
        /not baresip's ctrl_tcp: it closed the connection without answering|not baresip's ctrl_tcp/,
      ],
      ['a silent server', () => {}, /did not answer a ctrl_tcp command within 300 ms: is it baresip's ctrl_tcp port\?/],
      ['an endless netstring', (socket) => socket.write('999999999:'), /netstring of 999999999 bytes announced/],
      [
        'bytes that are no netstring',
        (socket) => socket.write('\u0000\u0001garbage garbage garbage'),
        /not a netstring/,
      ],
      ['a netstring of no JSON', (socket) => socket.write('3:abc,'), /netstring is not JSON/],
      ['a netstring of JSON that is no object', (socket) => socket.write('4:null,'), /not a ctrl_tcp object/],
    ]
    for (const [what, behave, expected] of kinds) {
      const sockets = new Set<Socket>()
      const server = createServer((socket) => {
        sockets.add(socket)
        socket.on('error', () => {})
        behave(socket)
      })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      const {driver, log} = await driverOn((server.address() as {port: number}).port)
      await until(() => driver.reachability!().state === 'down', 3000)
      expect([what, driver.reachability!().detail]).toEqual([what, expect.stringMatching(expected)])
      expect(log.some((line) => line.includes('connected to'))).toBe(false)
      await expect(driver.make('0201234567')).rejects.toMatchObject({status: 503})
      await driver.close!()
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    }
  })

  test('events of the wrong shape from baresip are ignored; the connection and the listener carry on', async () => {
    const {fake, driver, engine} = await connected()
    fake.event({type: 'CALL_INCOMING', id: 5, peeruri: {x: 1}})
    fake.event({type: 42})
    fake.event({type: 'CALL_INCOMING', id: 'in-1', peeruri: ['x'], peerdisplayname: 7})
    fake.send('2:[],')
    await until(() => engine.live().length === 1)
    expect(engine.live()[0]).toMatchObject({id: 'in-1', number: '', name: ''})
    expect(driver.reachability!().state).toBe('connected')
    await expect(driver.make('0201234567')).resolves.toMatchObject({number: '0201234567'})
  })
})
