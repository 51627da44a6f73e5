import {createLookup} from '../../src/lookup/lookup.js'
import {runCli} from '../helpers/cli.js'
import {setConfig} from '../helpers/config.js'
import {type ListenerProcess, startListenerProcess} from '../helpers/listener-process.js'
import {startLookupServer} from '../helpers/lookup-server.js'
import {tempConfigDir} from '../helpers/paths.js'
import {argvRecorder} from '../helpers/recorder.js'
import {startWebhookReceiver} from '../helpers/webhook-receiver.js'
import {until} from '../helpers/wait.js'

type Receiver = Awaited<ReturnType<typeof startWebhookReceiver>>
type Crm = Awaited<ReturnType<typeof startLookupServer>>

describe('lookup and notifications under hostile names and sources (real listener, real servers on loopback)', () => {
  let receiver: Receiver | undefined
  let listener: ListenerProcess | undefined
  let crm: Crm | undefined

  afterEach(async () => {
    await listener?.stop()
    await receiver?.close()
    await crm?.close()
    listener = undefined
    receiver = undefined
    crm = undefined
  })

  test('a lone surrogate in a name (a /notify JSON body, a lookup answer) never drops the popups and callbacks of the event', async () => {
    const configDir = tempConfigDir()
    receiver = await startWebhookReceiver()
    crm = await startLookupServer(() => ({body: '{"name": "Eve\\udc00"}'}))
    const recorder = argvRecorder(['crm-app'])
    await setConfig(configDir, {
      callbacks: JSON.stringify([{url: `${receiver.url}/cb?name={CALLERNAME}&n={CALLERNUM}`, events: ['new']}]),
      popups: JSON.stringify([{on: 'ringing', app: 'crm-app --name={CALLERNAME}'}]),
      lookup: JSON.stringify({sources: [{url: `${crm.url}/lookup?number={CALLERNUM}`, namePath: 'name'}]}),
    })
    listener = await startListenerProcess(configDir, [], recorder.env)
    const fromPhone = await fetch(`${listener.url}/notify/incoming`, {
      method: 'POST',
      headers: {'content-type': 'application/json'},
      // A JSON escape of a lone surrogate: what a hostile softphone hook can send.
      body: '{"number": "0201234567", "name": "Bob\\ud800"}',
    })
    expect(fromPhone.status).toBe(200)
    await fetch(`${listener.url}/notify/incoming?number=0301234567`, {method: 'POST'})
    await receiver.waitFor(2)
    const urls = receiver.received.map((r) => r.url).sort()
    expect(urls).toEqual(['/cb?name=Bob%EF%BF%BD&n=0201234567', '/cb?name=Eve%EF%BF%BD&n=0301234567'])
    await until(() => recorder.calls().length === 2)
    expect(
      recorder
        .calls()
        .map((c) => c.args)
        .sort(),
    ).toEqual([['--name=Bob\uFFFD'], ['--name=Eve\uFFFD']])
    expect(JSON.stringify(listener.lines)).not.toMatch(/URI malformed|subscriber failed/)
  }, 60_000)

  async function start(lookup: (crmUrl: string) => object, answer: Parameters<typeof startLookupServer>[0]) {
    const configDir = tempConfigDir()
    receiver = await startWebhookReceiver()
    crm = await startLookupServer(answer)
    await setConfig(configDir, {
      callbacks: JSON.stringify([{url: `${receiver.url}/cb?n={CALLERNUM}&name={CALLERNAME}`, events: ['new']}]),
      lookup: JSON.stringify(lookup(crm.url)),
    })
    listener = await startListenerProcess(configDir)
    return crm
  }

  /** Rings from a number; the name its callback carried. */
  async function ring(number: string): Promise<string> {
    const seen = receiver!.received.length
    const response = await fetch(`${listener!.url}/notify/incoming?number=${encodeURIComponent(number)}`, {
      method: 'POST',
    })
    expect(response.status).toBe(200)
    await until(() => receiver!.received.length > seen)
    return new URL(receiver!.received.at(-1)!.url, 'http://x').searchParams.get('name') ?? ''
  }

  test('two URL sources on one host keep their own cache; numbers that differ only in punctuation are asked apart', async () => {
    const server = await start(
      (url) => ({sources: [{url: `${url}/a?number={CALLERNUM}`}, {url: `${url}/b?number={CALLERNUM}`}]}),
      (number, path) => {
        if (path === '/a') return {status: 404, body: ''}
        return {
          type: 'text/plain',
          body: {'0201234567': 'Bob', 'sip:0..': 'Two dots', 'sip:0.': 'One dot'}[number] ?? '',
        }
      },
    )
    expect(await ring('0201234567')).toBe('Bob')
    expect(server.asked.map((asked) => asked.url)).toEqual(['/a?number=0201234567', '/b?number=0201234567'])
    // The cache keeps the number as the URL got it: numbers alike once stripped (`0..`, `0.`) are asked apart.
    const lookup = createLookup({
      settings: {
        sources: [{url: `${server.url}/b?number={CALLERNUM}`}],
        timeoutMs: 2000,
        cacheSeconds: 600,
        overridePhoneName: false,
      },
      userAgent: 'test',
    })
    expect(await lookup.resolve('sip:0..')).toMatchObject({outcome: 'found', name: 'Two dots'})
    expect(await lookup.resolve('sip:0.')).toMatchObject({outcome: 'found', name: 'One dot'})
  }, 60_000)

  test('JSON or text by Content-Type: a text name starting with a quote is a name; a failing CRM is not asked at every call', async () => {
    const server = await start(
      (url) => ({sources: [{url: `${url}/lookup?number={CALLERNUM}`}]}),
      (number) =>
        number === '0201234567'
          ? {type: 'text/plain; charset=utf-8', body: '"Bob" Smith'}
          : {status: 500, body: 'oops'},
    )
    expect(await ring('0201234567')).toBe('"Bob" Smith')
    expect(await ring('0301234567')).toBe('')
    expect(await ring('0301234567')).toBe('')
    expect(server.asked.filter((asked) => asked.url === '/lookup?number=0301234567')).toHaveLength(1)
  }, 60_000)

  test('usage errors exit 2 (bad integer arguments, a relative lookup path with the hint); doctor names a silent source; {CALLERNUM:1} of one digit asks nothing', async () => {
    const configDir = tempConfigDir()
    for (const bad of ['-1', '1.5', 'abc', '']) {
      const result = await runCli(['callbacks', 'secret', bad], configDir)
      expect([bad, result.exitCode]).toEqual([bad, 2])
      expect(result.stderr).toContain('Expected an integer')
      expect(result.stderr).not.toContain('ERR_UNEXPECTED')
    }

    const relative = await runCli(['config', 'set', 'lookup.sources', '[{"csv": "contacts.csv"}]'], configDir)
    expect(relative.exitCode).toBe(2)
    expect(relative.stderr).toContain('"contacts.csv" is a relative path')
    expect(relative.stderr).toContain('Give the whole path')

    const silent = await startLookupServer(() => ({body: 'never', delayMs: 60_000}))
    const quick = await startLookupServer(() => ({status: 404, body: ''}))
    try {
      await setConfig(configDir, {
        lookup: JSON.stringify({
          sources: [{url: `${quick.url}/q?number={CALLERNUM:1}`}, {url: `${silent.url}/slow?number={CALLERNUM}`}],
        }),
      })
      const doctor = await runCli(['doctor', '--json'], configDir, {HOME: configDir})
      const checks = (JSON.parse(doctor.stdout) as {checks: Array<{name: string; message: string}>}).checks
      expect(checks.filter((check) => check.name === 'lookup').map((check) => check.message)).toEqual([
        `lookup.sources[1] (${silent.url}/slow?number={CALLERNUM}) gave no answer within 2000 ms`,
      ])

      const lookup = createLookup({
        settings: {
          sources: [{url: `${quick.url}/q?number={CALLERNUM:1}`}],
          timeoutMs: 2000,
          cacheSeconds: 0,
          overridePhoneName: false,
        },
        userAgent: 'test',
      })
      const asked = quick.asked.length
      expect(await lookup.resolve('5')).toMatchObject({outcome: 'not found'})
      expect(quick.asked.length).toBe(asked)
    } finally {
      await silent.close()
      await quick.close()
    }
  }, 60_000)

  test('kill -9 while a lookup is pending loses none of the call notifications: stored at event time, sent at the next start', async () => {
    const configDir = tempConfigDir()
    receiver = await startWebhookReceiver()
    // A CRM that never answers within the call.
    crm = await startLookupServer(() => ({body: '{"name": "Too Late"}', delayMs: 60_000}))
    await setConfig(configDir, {
      callbacks: JSON.stringify([
        {url: `${receiver.url}/cb?name={CALLERNAME}&e={EVENT}`, events: ['new', 'updated', 'ended']},
      ]),
      lookup: JSON.stringify({
        sources: [{url: `${crm.url}/lookup?number={CALLERNUM}`, namePath: 'name'}],
        timeoutMs: 10_000,
      }),
    })
    listener = await startListenerProcess(configDir)
    const post = async (path: string) => fetch(`${listener!.url}${path}`, {method: 'POST'})
    const {call} = (await (await post('/notify/incoming?number=0201234567')).json()) as {call: {id: string}}
    await post(`/notify/active?call=${call.id}`)
    await post(`/notify/end?call=${call.id}`)
    await until(() => crm!.asked.length === 1)
    expect(receiver.received).toHaveLength(0)
    listener.process.kill('SIGKILL')
    await listener.process.catch(() => undefined)
    listener = undefined
    listener = await startListenerProcess(configDir)
    const distinct = () => [...new Set(receiver!.received.map((request) => request.url))]
    await until(() => distinct().length >= 3, 15_000)
    // In order, without the name the lookup never gave.
    expect(distinct()).toEqual(['/cb?name=&e=incoming', '/cb?name=&e=active', '/cb?name=&e=end'])
  }, 60_000)

  test('with the lookup answering in time, the stored notifications go out with the name', async () => {
    const configDir = tempConfigDir()
    receiver = await startWebhookReceiver()
    crm = await startLookupServer(() => ({body: '{"name": "Ann"}', delayMs: 300}))
    await setConfig(configDir, {
      callbacks: JSON.stringify([{url: `${receiver.url}/cb?name={CALLERNAME}&e={EVENT}`, events: ['new', 'ended']}]),
      lookup: JSON.stringify({
        sources: [{url: `${crm.url}/lookup?number={CALLERNUM}`, namePath: 'name'}],
        timeoutMs: 2000,
      }),
    })
    listener = await startListenerProcess(configDir)
    const post = async (path: string) => fetch(`${listener!.url}${path}`, {method: 'POST'})
    const {call} = (await (await post('/notify/incoming?number=0201234567')).json()) as {call: {id: string}}
    await post(`/notify/end?call=${call.id}`)
    await receiver.waitFor(2)
    expect(receiver.received.map((request) => request.url)).toEqual([
      '/cb?name=Ann&e=incoming',
      '/cb?name=Ann&e=missed',
    ])
  }, 60_000)
})
