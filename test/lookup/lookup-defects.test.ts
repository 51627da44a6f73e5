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
})
