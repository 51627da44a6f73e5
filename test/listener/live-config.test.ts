import {readFileSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {runCli} from '../helpers/cli.js'
import {type ListenerProcess, startListenerProcess} from '../helpers/listener-process.js'
import {startLookupServer} from '../helpers/lookup-server.js'
import {tempConfigDir} from '../helpers/paths.js'
import {startWebhookReceiver} from '../helpers/webhook-receiver.js'

/** Settings reach a running listener (a real process): `config set` and hand edits apply without a restart. */
describe('a running listener follows its config file', () => {
  let dir: string
  let listener: ListenerProcess
  const set = async (key: string, value: string) => {
    const result = await runCli(['config', 'set', key, value], dir)
    expect(result.exitCode).toBe(0)
    return result
  }

  const applied = (what: string) =>
    listener.waitForLine(
      (line) => line.kind === 'config' && String(line.message).startsWith(`config: applied ${what}`),
      5000,
    )
  /** The first `config: applied …` line printed after the first `seen` lines. */
  const appliedSince = (seen: number) =>
    listener.waitForLine(
      (line) =>
        listener.lines.indexOf(line) >= seen &&
        line.kind === 'config' &&
        String(line.message).startsWith('config: applied'),
      5000,
    )
  const post = async (route: string, headers: Record<string, string> = {}) =>
    fetch(`${listener.url}${route}`, {method: 'POST', headers})

  beforeEach(async () => {
    dir = tempConfigDir()
    listener = await startListenerProcess(dir)
    await set('port', String(listener.port))
  })
  afterEach(async () => {
    await listener.stop()
  })

  test('driver settings, templates, URL segments and security apply at once; config set says so', async () => {
    const made = (await (await post('/make/0201')).json()) as {call: {state: string}}
    expect(made.call.state).toBe('dialing')
    await post('/end')

    expect((await set('driver.sim.answerAfterMs', '0')).stderr).toBe(
      `The listener running now (pid ${listener.process.pid}) applies it within a second`,
    )
    await applied('driver')
    expect(((await (await post('/make/0202')).json()) as {call: {state: string}}).call.state).toBe('active')
    await post('/end')

    const receiver = await startWebhookReceiver()
    try {
      await set('notifications.incoming', `${receiver.url}/in?n=$callerid`)
      await applied('notifications')
      await post('/notify/incoming?number=0612345678')
      expect((await receiver.waitFor(1)).map((request) => request.url)).toEqual(['/in?n=0612345678'])
    } finally {
      await receiver.close()
    }

    await set('commands.make', 'dial')
    await applied('commands')
    expect((await post('/dial/0203')).status).toBe(200)
    expect((await post('/make/0203')).status).toBe(404)

    const token = 'a-token-of-twenty-chars'
    await set('security.token', token)
    await applied('security')
    expect((await post('/end')).status).toBe(401)
    expect((await post('/end', {authorization: `Bearer ${token}`})).status).toBe(200)
  })

  test('port and host need a restart: said, and the listener stays where it is', async () => {
    const result = await set('host', 'localhost')
    expect(result.stderr).toContain('uses the old value until it restarts')
    await listener.waitForLine(
      (line) =>
        line.kind === 'warning' && line.message === 'config: host changed; restart the listener to use the new value',
      5000,
    )
    expect((await fetch(`${listener.url}/status`)).status).toBe(200)
  })

  test('a file broken by hand is reported and ignored; fixing it applies the fix', async () => {
    const file = path.join(dir, 'config.json')
    writeFileSync(file, '{"driver": ')
    await listener.waitForLine(
      (line) =>
        line.kind === 'warning' &&
        String(line.message).includes('is not valid JSON') &&
        String(line.message).endsWith('the listener runs on with the settings it had'),
      5000,
    )
    expect((await post('/make/0201')).status).toBe(200)
    await post('/end')
    writeFileSync(
      file,
      JSON.stringify({port: listener.port, driver: {sim: {answerAfterMs: 0}}, commands: {make: 'call', end: 'call'}}),
    )
    await listener.waitForLine(
      (line) =>
        line.kind === 'warning' && String(line.message).includes('commands.make and commands.end are both "call"'),
      5000,
    )
    expect((await post('/make/0201')).status).toBe(200)
    await post('/end')
    writeFileSync(file, JSON.stringify({port: listener.port, driver: {sim: {answerAfterMs: 0}}}))
    await applied('driver')
    expect(((await (await post('/make/0204')).json()) as {call: {state: string}}).call.state).toBe('active')
  })

  test('a config file gone for a moment drops nothing: the token still holds, a pending delivery is not given up', async () => {
    // A receiver that is busy for the whole test (503, try again in an hour): the delivery stays pending.
    const receiver = await startWebhookReceiver(() => ({status: 503, headers: {'retry-after': '3600'}}))
    const appliedNow = (key: string) =>
      listener.waitForLine(
        (line) =>
          line.kind === 'config' &&
          String(line.message).startsWith('config: applied') &&
          String(line.message).includes(key),
        5000,
      )
    await set('callbacks', JSON.stringify([{url: `${receiver.url}/cb?e={EVENT}`, events: ['new']}]))
    await appliedNow('callbacks')
    await set('security.token', 'secret-token-123')
    await appliedNow('security')
    const auth = {authorization: 'Bearer secret-token-123'}
    expect((await post('/make/0201', auth)).status).toBe(200)
    const file = path.join(dir, 'config.json')
    const saved = readFileSync(file, 'utf8')
    rmSync(file)
    await listener.waitForLine((line) => String(line.message).includes('config.json is gone'), 5000)
    expect((await post('/end')).status).toBe(401)
    writeFileSync(file, saved)
    await new Promise((resolve) => setTimeout(resolve, 1500))
    const status = (await (await fetch(`${listener.url}/status`, {headers: auth})).json()) as {
      deliveries: {pending: number; failed: number}
    }
    expect(status.deliveries).toMatchObject({pending: 1, failed: 0})
    await receiver.close()
  })

  test('another driver, taken live, is what /status says at once (its name and capabilities)', async () => {
    const status = async () =>
      (await (await fetch(`${listener.url}/status`)).json()) as {driver: {name: string}; capabilities: string[]}
    expect((await status()).driver.name).toBe('sim')
    await set('driver.name', 'uri')
    await applied('driver')
    expect(await status()).toMatchObject({driver: {name: 'uri', state: 'connected'}, capabilities: ['make']})
  })

  test('a driver given another action live shows it in /status at once, with no call in between (the cache)', async () => {
    const capabilities = async () =>
      ((await (await fetch(`${listener.url}/status`)).json()) as {capabilities: string[]}).capabilities
    await set('driver.command.make', JSON.stringify(['/bin/true', '{NUMBER}']))
    await set('driver.command.end', JSON.stringify(['/bin/true']))
    await set('driver.name', 'command')
    // Each set is its own change of the file: the command driver is running once its name is in /status.
    for (const deadline = Date.now() + 5000; Date.now() < deadline;) {
      const {driver} = (await (await fetch(`${listener.url}/status`)).json()) as {driver: {name: string}}
      if (driver.name === 'command') break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }

    expect(await capabilities()).toEqual(['make', 'end'])
    const seen = listener.lines.length
    await set('driver.command.hold', JSON.stringify(['/bin/true']))
    await appliedSince(seen)
    expect(await capabilities()).toEqual(['make', 'end', 'hold'])
  })

  test("lookup.overridePhoneName turned off live: /status shows the phone's name again at once", async () => {
    const crm = await startLookupServer(() => ({body: '{"name": "From the CRM"}'}))
    try {
      const seen = listener.lines.length
      await set(
        'lookup',
        JSON.stringify({
          sources: [{url: `${crm.url}/l?number={CALLERNUM}`, namePath: 'name'}],
          overridePhoneName: true,
        }),
      )
      await appliedSince(seen)
      await post('/notify/incoming?number=0657&name=Phone')
      await listener.waitForLine((line) => line.kind === 'lookup', 5000)
      const name = async () =>
        ((await (await fetch(`${listener.url}/status`)).json()) as {calls: Array<{name: string}>}).calls[0].name
      expect(await name()).toBe('From the CRM')
      const before = listener.lines.length
      await set('lookup.overridePhoneName', 'false')
      await appliedSince(before)
      expect(await name()).toBe('Phone')
    } finally {
      await crm.close()
    }
  })

  test('a new driver setting waits while a call is live, and applies once it has ended', async () => {
    await set('driver.sim.answerAfterMs', '-1')
    await applied('driver')
    await post('/make/0201')
    await set('driver.sim.answerAfterMs', '0')
    await listener.waitForLine(
      (line) =>
        line.kind === 'config' &&
        line.message === 'config: the new driver settings apply once the live calls have ended',
      5000,
    )
    // Said as waiting, not as applied: only the first change (no call then) was applied at once.
    expect(listener.lines.filter((line) => String(line.message).startsWith('config: applied driver'))).toHaveLength(1)
    await post('/end')
    await listener.waitForLine(
      (line) => line.kind === 'config' && line.message === 'config: driver sim started with the new settings',
      5000,
    )
    expect(((await (await post('/make/0205')).json()) as {call: {state: string}}).call.state).toBe('active')
  })
})
