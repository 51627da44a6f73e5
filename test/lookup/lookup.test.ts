import {utimesSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {runCli} from '../helpers/cli.js'
import {setConfig} from '../helpers/config.js'
import {type ListenerProcess, startListenerProcess} from '../helpers/listener-process.js'
import {tempConfigDir} from '../helpers/paths.js'
import {startLookupServer} from '../helpers/lookup-server.js'
import {argvRecorder} from '../helpers/recorder.js'
import {startWebhookReceiver} from '../helpers/webhook-receiver.js'
import {until} from '../helpers/wait.js'

type Receiver = Awaited<ReturnType<typeof startWebhookReceiver>>

async function incoming(listener: ListenerProcess, number: string, name?: string): Promise<{id: string}> {
  const query = new URLSearchParams({number, ...(name === undefined ? {} : {name})})
  const response = await fetch(`${listener.url}/notify/incoming?${query.toString()}`, {method: 'POST'})
  expect(response.status).toBe(200)
  return ((await response.json()) as {call: {id: string}}).call
}

const lookupLine = async (listener: ListenerProcess, callId: string) =>
  listener.waitForLine((line) => line.kind === 'lookup' && line.callId === callId)

describe('caller-name lookup (real listener process, real HTTP lookup server on loopback)', () => {
  let receiver: Receiver
  let listener: ListenerProcess | undefined
  let crm: Awaited<ReturnType<typeof startLookupServer>> | undefined

  afterEach(async () => {
    await listener?.stop()
    await receiver?.close()
    await crm?.close()
    listener = undefined
    crm = undefined
  })

  async function start(configDir: string, lookup: object, extra: Record<string, string> = {}) {
    receiver = await startWebhookReceiver()
    await setConfig(configDir, {
      callbacks: JSON.stringify([
        {url: `${receiver.url}/cb?n={CALLERNUM}&name={CALLERNAME}&e={EVENT}`, events: ['new', 'ended']},
      ]),
      'notifications.incoming': `${receiver.url}/enreach?callerid=$callerid&name=$callername`,
      lookup: JSON.stringify(lookup),
      ...extra,
    })
    listener = await startListenerProcess(configDir)
    return listener
  }

  test('sources in order: CSV, vCard, then a JSON URL with namePath and a token; {CALLERNAME} and $callername filled', async () => {
    const configDir = tempConfigDir()
    const csv = path.join(configDir, 'contacts.csv')
    writeFileSync(csv, 'Phone,Name\n"020 123 4567","Doe, John"\n')
    const vcf = path.join(configDir, 'contacts.vcf')
    writeFileSync(
      vcf,
      'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zoë\r\n  Ångström\r\nitem1.TEL;TYPE=cell:tel:+31-6-1234-5678\r\nEND:VCARD\r\n',
    )
    crm = await startLookupServer((number) =>
      number === '0301112222' ? {body: JSON.stringify({contact: {name: 'Acme Ltd'}})} : {status: 404, body: ''},
    )
    const running = await start(configDir, {
      sources: [
        {csv},
        {vcard: vcf},
        {
          url: `${crm.url}/lookup?number={CALLERNUM}`,
          namePath: 'contact.name',
          headers: {Authorization: 'Bearer crm-token'},
        },
      ],
    })
    const fromCsv = await incoming(running, '0201234567')
    const fromVcard = await incoming(running, '+31612345678')
    const fromUrl = await incoming(running, '0301112222')
    const unknown = await incoming(running, '0409998888')
    const requests = await receiver.waitFor(8)
    const cb = (n: string) => requests.find((r) => r.url.startsWith(`/cb?n=${encodeURIComponent(n)}&`))?.url
    expect(cb('0201234567')).toBe('/cb?n=0201234567&name=Doe%2C%20John&e=incoming')
    expect(cb('+31612345678')).toBe('/cb?n=%2B31612345678&name=Zo%C3%AB%20%C3%85ngstr%C3%B6m&e=incoming')
    expect(cb('0301112222')).toBe('/cb?n=0301112222&name=Acme%20Ltd&e=incoming')
    expect(cb('0409998888')).toBe('/cb?n=0409998888&name=&e=incoming')
    expect(requests.map((r) => r.url)).toContain('/enreach?callerid=0301112222&name=Acme%20Ltd')

    expect(await lookupLine(running, fromCsv.id)).toMatchObject({outcome: 'found', source: `csv:${csv}`})
    expect(await lookupLine(running, fromVcard.id)).toMatchObject({outcome: 'found', source: `vcard:${vcf}`})
    const viaUrl = await lookupLine(running, fromUrl.id)
    expect(viaUrl).toMatchObject({outcome: 'found', name: 'Acme Ltd', source: `url:${new URL(crm.url).host}`})
    expect(typeof viaUrl.ms).toBe('number')
    expect(await lookupLine(running, unknown.id)).toMatchObject({outcome: 'not found'})
    // The files answered first: the CRM was asked only for the numbers they did not know, with its token.
    expect(crm.asked.map((a) => a.url).sort()).toEqual(['/lookup?number=0301112222', '/lookup?number=0409998888'])
    expect(crm.asked[0].headers.authorization).toBe('Bearer crm-token')

    // The looked-up name stays with the call: its end carries it too (unanswered, it ends as missed).
    await fetch(`${running.url}/notify/end?call=${fromUrl.id}`, {method: 'POST'})
    await until(() => receiver.received.some((r) => r.url === '/cb?n=0301112222&name=Acme%20Ltd&e=missed'))
  }, 60_000)

  test('plain-text answers; a file edited while the listener runs is read again; last-N-digit matching', async () => {
    const configDir = tempConfigDir()
    const csv = path.join(configDir, 'contacts.csv')
    writeFileSync(csv, '0201234567,Old Name\n')
    crm = await startLookupServer(() => ({type: 'text/plain', body: 'Text Person\nsecond line ignored'}))
    const running = await start(configDir, {
      sources: [{csv}, {url: `${crm.url}/lookup?number={CALLERNUM}`}],
      lastDigits: 9,
    })
    // +31 20 123 4567 and 020 123 4567 share their last nine digits.
    const first = await incoming(running, '+31201234567')
    expect(await lookupLine(running, first.id)).toMatchObject({name: 'Old Name'})
    writeFileSync(csv, 'number,name\n0201234567,New Name\n')
    // Same second, same size would look unchanged: the edit is dated later, as an editor's save would be.
    utimesSync(csv, new Date(), new Date(Date.now() + 2000))
    const second = await incoming(running, '0201234567')
    expect(await lookupLine(running, second.id)).toMatchObject({name: 'New Name'})
    const third = await incoming(running, '0555000111')
    expect(await lookupLine(running, third.id)).toMatchObject({name: 'Text Person', outcome: 'found'})
  }, 60_000)

  test('budget: a slow CRM never holds a notification longer than timeoutMs; its late answer is cached for the next call', async () => {
    const configDir = tempConfigDir()
    crm = await startLookupServer(() => ({body: JSON.stringify({name: 'Slow Sam'}), delayMs: 1500}))
    const running = await start(configDir, {
      sources: [{url: `${crm.url}/lookup?number={CALLERNUM}`, namePath: 'name'}],
      timeoutMs: 300,
    })
    const sent = Date.now()
    const call = await incoming(running, '0201234567')
    const notified = await receiver.waitFor(2)
    // The budget plus a margin for a loaded machine; never the CRM's 1.5 s.
    for (const request of notified) expect(request.at - sent).toBeLessThan(1200)
    expect(notified.map((request) => request.url).sort()).toEqual([
      '/cb?n=0201234567&name=&e=incoming',
      '/enreach?callerid=0201234567&name=',
    ])
    const timedOut = await lookupLine(running, call.id)
    expect(timedOut).toMatchObject({outcome: 'timeout'})
    expect(timedOut.ms).toBeGreaterThanOrEqual(290)
    expect(timedOut.ms).toBeLessThan(1000)

    await until(() => crm!.asked.length === 1)
    await new Promise((resolve) => setTimeout(resolve, 1600))
    const again = await incoming(running, '0201234567')
    const cached = await lookupLine(running, again.id)
    expect(cached).toMatchObject({outcome: 'found', name: 'Slow Sam', cached: true})
    expect(cached.ms).toBeLessThan(100)
    expect(crm.asked).toHaveLength(1)
  }, 60_000)

  test("failures are logged, never fatal: a missing file, a CRM answering 500, a hostile name; the phone's name wins unless configured", async () => {
    const configDir = tempConfigDir()
    const missing = path.join(configDir, 'nowhere.csv')
    crm = await startLookupServer((number) =>
      number === '0666'
        ? {status: 500, body: 'boom'}
        : {body: JSON.stringify({name: 'Evil\r\nX-Injected: 1\u202Egnp.exe'})},
    )
    const running = await start(configDir, {
      sources: [{csv: missing}, {url: `${crm.url}/l?number={CALLERNUM}`, namePath: 'name'}],
    })
    const failing = await incoming(running, '0666')
    expect(await lookupLine(running, failing.id)).toMatchObject({outcome: 'not found'})
    await running.waitForLine(
      (line) => line.kind === 'warning' && String(line.message).includes(`csv:${missing} failed`),
    )
    await running.waitForLine((line) => line.kind === 'warning' && String(line.message).includes('HTTP 500'))
    const hostile = await incoming(running, '0777')
    // Controls and bidirectional overrides out, as for a name from the phone.
    expect(await lookupLine(running, hostile.id)).toMatchObject({name: 'EvilX-Injected: 1gnp.exe'})
    // The phone named the caller: not looked up.
    const asked = crm.asked.length
    const named = await incoming(running, '0888', 'Phone Name')
    await until(() => receiver.received.some((r) => r.url.includes('name=Phone%20Name')))
    expect(crm.asked).toHaveLength(asked)
    expect(running.lines.some((line) => line.kind === 'lookup' && line.callId === named.id)).toBe(false)
    // Still running and answering.
    expect((await fetch(`${running.url}/status`)).status).toBe(200)
    // doctor asks each source too, and names the broken one.
    const doctor = await runCli(['doctor'], configDir)
    expect(doctor.stdout).toContain(`lookup         lookup.sources[0]: csv:${missing} failed: ENOENT`)
  }, 60_000)

  test('a listener stopped while a lookup is pending stores the call notifications, without the name, and sends them at its next start', async () => {
    const configDir = tempConfigDir()
    crm = await startLookupServer(() => ({body: JSON.stringify({name: 'Too Late'}), delayMs: 4000}))
    const running = await start(configDir, {
      sources: [{url: `${crm.url}/lookup?number={CALLERNUM}`, namePath: 'name'}],
      timeoutMs: 3000,
    })
    await incoming(running, '0201234567')
    await until(() => crm!.asked.length === 1)
    await running.stop()
    listener = undefined
    // Requests that went out as the listener stopped may come again (delivery is at least once): distinct URLs count.
    listener = await startListenerProcess(configDir)
    const distinct = () => [...new Set(receiver.received.map((request) => request.url))].sort()
    await until(() => distinct().length >= 3, 15_000)
    // Unanswered when the listener stopped, the call ended as missed.
    expect(distinct()).toEqual([
      '/cb?n=0201234567&name=&e=incoming',
      '/cb?n=0201234567&name=&e=missed',
      '/enreach?callerid=0201234567&name=',
    ])
  }, 60_000)

  test('overridePhoneName: a name found replaces the one the phone gave', async () => {
    const configDir = tempConfigDir()
    const csv = path.join(configDir, 'contacts.csv')
    writeFileSync(csv, '0201234567,CRM Name\n')
    const running = await start(configDir, {sources: [{csv}], overridePhoneName: true})
    await incoming(running, '0201234567', 'Phone Name')
    const [request] = await receiver.waitFor(1)
    expect(request.url).toContain('name=CRM%20Name')
  }, 60_000)

  test('the name found shows where calls are listed: /status, callctl status, /history and callctl history; the phone name wins unless overridePhoneName', async () => {
    const configDir = tempConfigDir()
    const csv = path.join(configDir, 'contacts.csv')
    writeFileSync(csv, '0201234567,Doe John\n0301234567,CRM Name\n')
    const running = await start(configDir, {sources: [{csv}]})
    await setConfig(configDir, {port: String(running.port)})
    const unnamed = await incoming(running, '0201234567')
    const named = await incoming(running, '0301234567', 'Phone Name')
    await lookupLine(running, unnamed.id)
    const names = async () =>
      Object.fromEntries(
        ((await (await fetch(`${running.url}/status`)).json()) as {calls: Array<{id: string; name: string}>}).calls.map(
          (call) => [call.id, call.name],
        ),
      )
    expect(await names()).toEqual({[unnamed.id]: 'Doe John', [named.id]: 'Phone Name'})
    expect((await runCli(['status'], configDir)).stdout).toContain('Doe John')
    for (const id of [unnamed.id, named.id]) await fetch(`${running.url}/end?call=${id}`, {method: 'POST'})
    const history = (await (await fetch(`${running.url}/history`)).json()) as {calls: Array<{id: string; name: string}>}
    expect(Object.fromEntries(history.calls.map((call) => [call.id, call.name]))).toEqual({
      [unnamed.id]: 'Doe John',
      [named.id]: 'Phone Name',
    })
    expect((await runCli(['history'], configDir)).stdout).toContain('"Doe John"')
    // With the lookup's name winning, the listener takes the setting live and shows it for the next call.
    await setConfig(configDir, {'lookup.overridePhoneName': 'true'})
    await running.waitForLine((line) => line.kind === 'config' && String(line.message).includes('applied'))
    const overridden = await incoming(running, '0301234567', 'Phone Name')
    await lookupLine(running, overridden.id)
    expect((await names())[overridden.id]).toBe('CRM Name')
  }, 60_000)

  test('a Standard Webhooks body carries the name found and the lookup (source, time) in data', async () => {
    const configDir = tempConfigDir()
    const csv = path.join(configDir, 'contacts.csv')
    writeFileSync(csv, '0201234567,CRM Name\n')
    receiver = await startWebhookReceiver()
    await setConfig(configDir, {
      callbacks: JSON.stringify([{url: `${receiver.url}/hook`, events: ['new'], signature: 'standard'}]),
      lookup: JSON.stringify({sources: [{csv}]}),
    })
    listener = await startListenerProcess(configDir)
    await incoming(listener, '0201234567')
    const [request] = await receiver.waitFor(1)
    const body = JSON.parse(request.body) as {
      type: string
      data: {call: {name: string}; lookup: Record<string, unknown>}
    }
    expect(body.type).toBe('call.ringing')
    expect(body.data.call.name).toBe('CRM Name')
    expect(body.data.lookup).toMatchObject({outcome: 'found', source: `csv:${csv}`, name: 'CRM Name'})
    expect(typeof body.data.lookup.ms).toBe('number')
  }, 60_000)

  test('`callctl popup` opens click popups with the name found', async () => {
    const configDir = tempConfigDir()
    const csv = path.join(configDir, 'contacts.csv')
    writeFileSync(csv, '0201234567,CRM Name\n')
    const recorder = argvRecorder(['xdg-open'])
    await setConfig(configDir, {
      popups: JSON.stringify([{on: 'click', url: 'https://crm.example.com/?name={CALLERNAME}'}]),
      lookup: JSON.stringify({sources: [{csv}]}),
    })
    listener = await startListenerProcess(configDir, [], recorder.env)
    await incoming(listener, '0201234567')
    const opened = await runCli(['popup', '--port', String(listener.port)], configDir)
    expect(opened.exitCode).toBe(0)
    await until(() => recorder.calls().length === 1)
    expect(recorder.calls()[0].args).toEqual(['https://crm.example.com/?name=CRM%20Name'])
  }, 60_000)

  test('config set refuses a source with two kinds, a URL variable other than {CALLERNUM}, and namePath on a file', async () => {
    const configDir = tempConfigDir()
    const set = async (value: object) => runCli(['config', 'set', 'lookup.sources', JSON.stringify(value)], configDir)
    const two = await set([{csv: '/a.csv', url: 'https://crm.example.com/?n={CALLERNUM}'}])
    expect(two.exitCode).toBe(2)
    expect(two.stderr).toContain('lookup.sources[0] needs exactly one of "csv", "vcard" or "url"')
    const variable = await set([{url: 'https://crm.example.com/?n={CALLERNAME}'}])
    expect(variable.exitCode).toBe(2)
    expect(variable.stderr).toContain('Unknown variable {CALLERNAME} in lookup.sources[0].url')
    const path_ = await set([{csv: '/a.csv', namePath: 'x'}])
    expect(path_.exitCode).toBe(2)
    expect(path_.stderr).toContain('"namePath" and "headers" belong to a "url" source')
    const good = await set([
      {url: 'https://crm.example.com/lookup?number={CALLERNUM}', headers: {Authorization: 'Bearer t'}},
    ])
    expect(good.exitCode).toBe(0)
    // The token is a secret: hidden when shown.
    expect((await runCli(['config', 'get', 'lookup.sources'], configDir)).stdout).not.toContain('Bearer t')
  }, 60_000)
})
