import {runCli} from '../helpers/cli.js'
import {setConfig} from '../helpers/config.js'
import {type ListenerProcess, startListenerProcess} from '../helpers/listener-process.js'
import {tempConfigDir} from '../helpers/paths.js'
import {startWebhookReceiver} from '../helpers/webhook-receiver.js'

test('notify --tags/--channel and user.number/user.name reach callback templates (real processes)', async () => {
  const receiver = await startWebhookReceiver()
  const configDir = tempConfigDir()
  await setConfig(configDir, {'user.number': '201', 'user.name': 'Jane Agent'})
  const callbacks = [
    {
      url: `${receiver.url}/cb?tags={TAGS}&ch={CHANNEL}&u={USERNUM}&un={USERNAME}&t={CALLTYPE}&e={EVENT}`,
      events: ['new'],
    },
  ]
  await setConfig(configDir, {callbacks: JSON.stringify(callbacks)})
  const listener = await startListenerProcess(configDir)
  try {
    const reported = await runCli(
      [
        'notify',
        'incoming',
        '0612345678',
        '--tags',
        'vip,sales',
        '--channel',
        'SIP/trunk-1',
        '--port',
        String(listener.port),
      ],
      configDir,
    )
    expect(reported.exitCode).toBe(0)
    const [request] = await receiver.waitFor(1)
    expect(request.url).toBe('/cb?tags=vip%2Csales&ch=SIP%2Ftrunk-1&u=201&un=Jane%20Agent&t=incoming&e=incoming')
  } finally {
    await listener.stop()
    await receiver.close()
  }
})

test('notify incoming anonymous (a withheld number) is a call whose events go out, not a refusal (real processes)', async () => {
  const receiver = await startWebhookReceiver()
  const configDir = tempConfigDir()
  await setConfig(configDir, {'notifications.incoming': `${receiver.url}/in?n=$callerid`})
  const listener = await startListenerProcess(configDir)
  try {
    const reported = await runCli(['notify', 'incoming', 'anonymous', '--port', String(listener.port)], configDir)
    expect(reported.stderr).toBe('')
    expect(reported.exitCode).toBe(0)
    const [request] = await receiver.waitFor(1)
    expect(request.url).toBe('/in?n=anonymous')
  } finally {
    await listener.stop()
    await receiver.close()
  }
})

interface ShownCall {
  id: string
  number: string
  name: string
  state: string
  direction: string
  result?: string
  answeredAt?: string
}

/** What a softphone hook calls: `/notify/<type>` with these fields. The CLI forwards to the same route. */
async function notifyRoute(listener: ListenerProcess, type: string, fields: Record<string, string> = {}) {
  const response = await fetch(`${listener.url}/notify/${type}?${new URLSearchParams(fields)}`, {method: 'POST'})
  const body = (await response.json()) as {call: ShownCall; error?: {message: string}}
  return {status: response.status, call: body.call, message: body.error?.message ?? ''}
}

/** The live calls, by number: their state, or with `field`, that field. */
async function liveCalls(listener: ListenerProcess, field: keyof ShownCall = 'state') {
  const {calls} = (await (await fetch(`${listener.url}/status`)).json()) as {calls: ShownCall[]}
  return Object.fromEntries(calls.map((call) => [call.number, call[field]]))
}

/** The events the listener printed, as `type number name`, once it has printed `last`. */
async function eventsOf(listener: ListenerProcess, last: string): Promise<string[]> {
  await listener.waitForLine((line) => line.kind === 'event' && shownEvent(line) === last)
  return listener.lines.filter((line) => line.kind === 'event').map((line) => shownEvent(line))
}

function shownEvent(line: Record<string, unknown>): string {
  const {call} = line as unknown as {call: ShownCall}
  return `${String(line.type)} ${call.number} ${call.name}`.trim()
}

async function withListener(run: (listener: ListenerProcess, configDir: string) => Promise<void>): Promise<void> {
  const configDir = tempConfigDir()
  const listener = await startListenerProcess(configDir)
  try {
    await run(listener, configDir)
  } finally {
    await listener.stop()
  }
}

test('notify end/held/resumed with a number act on the call with that number, not on the one answered last (real processes)', async () => {
  const configDir = tempConfigDir()
  const listener = await startListenerProcess(configDir)
  const report = async (type: string, number: string) => (await notifyRoute(listener, type, {number})).status
  const states = async () => liveCalls(listener)

  try {
    // MicroSIP's hooks: a call is answered while a second one rings; the waiting one is then given up.
    expect(await report('incoming', '0612999')).toBe(200)
    expect(await report('incoming', '0612888')).toBe(200)
    expect(await report('active', '0612888')).toBe(200)
    const ended = await runCli(['notify', 'end', '0612999', '--port', String(listener.port)], configDir)
    expect(ended.exitCode).toBe(0)
    expect(ended.stdout).toContain('0612999')
    expect(await states()).toEqual({'0612888': 'active'})

    expect(await report('incoming', '0612777')).toBe(200)
    expect(await report('active', '0612777')).toBe(200)
    expect(await report('held', '0612888')).toBe(200)
    expect(await states()).toEqual({'0612888': 'held', '0612777': 'active'})
    expect(await report('held', '0612777')).toBe(200)
    expect(await report('resumed', '0612888')).toBe(200)
    expect(await states()).toEqual({'0612888': 'active', '0612777': 'held'})

    // A hook that fires twice, or a number no call has: refused (409), never another call.
    expect(await report('held', '0612777')).toBe(409)
    expect(await report('end', '+999')).toBe(409)
    expect(await report('resumed', '0612999')).toBe(409)
    expect(await states()).toEqual({'0612888': 'active', '0612777': 'held'})

    // +31… and 0031… are one number.
    expect(await report('incoming', '+31201234567')).toBe(200)
    expect(await report('end', '0031201234567')).toBe(200)
    expect(await states()).toEqual({'0612888': 'active', '0612777': 'held'})
    expect(await report('end', '0612777')).toBe(200)
    expect(await states()).toEqual({'0612888': 'active'})
  } finally {
    await listener.stop()
  }
})

test('notify updated with a number updates the call with that number, never another; a number no call has goes only to a call whose number is unknown (real processes)', async () => {
  await withListener(async (listener, configDir) => {
    const cli = async (...args: string[]) => runCli(['notify', ...args, '--port', String(listener.port)], configDir)
    await notifyRoute(listener, 'incoming', {number: '+31612345678', name: 'A'})
    await notifyRoute(listener, 'active', {number: '+31612345678'})
    await notifyRoute(listener, 'incoming', {number: '0612345678', name: 'C'})
    await notifyRoute(listener, 'active', {number: '0612345678'})

    const updated = await cli('updated', '0612345678', '--name', 'Updated-for-C')
    expect(updated.stderr).toBe('')
    expect(updated.exitCode).toBe(0)
    expect(await liveCalls(listener, 'name')).toEqual({'+31612345678': 'A', '0612345678': 'Updated-for-C'})
    // +31… and 0031… are one number, as for the other events: selected by it, the call keeps the form it had.
    expect((await notifyRoute(listener, 'updated', {number: '0031612345678', name: 'A2'})).status).toBe(200)
    expect(await liveCalls(listener, 'name')).toEqual({'+31612345678': 'A2', '0612345678': 'Updated-for-C'})

    // A number no live call has, with every call's number known: refused, nothing rewritten.
    const nobody = await cli('updated', '0099887766', '--name', 'Nobody')
    expect(nobody.exitCode).toBe(4)
    expect(nobody.stderr).toContain('No live call with number 0099887766 to update')
    expect(await liveCalls(listener, 'name')).toEqual({'+31612345678': 'A2', '0612345678': 'Updated-for-C'})
    const updates = (await eventsOf(listener, 'updated +31612345678 A2')).filter((event) => event.startsWith('updated'))
    expect(updates).toEqual(['updated 0612345678 Updated-for-C', 'updated +31612345678 A2'])

    // A call whose number is unknown (the phone learns it later) takes a number no call has; then it is known.
    await notifyRoute(listener, 'outgoing', {call: 'unknown-number'})
    expect((await notifyRoute(listener, 'updated', {number: '0201234567', name: 'Learned'})).call).toMatchObject({
      id: 'unknown-number',
      number: '0201234567',
      name: 'Learned',
    })
    expect((await notifyRoute(listener, 'updated', {number: '0209999999'})).status).toBe(409)
    expect(await liveCalls(listener, 'name')).toEqual({
      '+31612345678': 'A2',
      '0612345678': 'Updated-for-C',
      '0201234567': 'Learned',
    })
  })
})

test('notify missed/rejected with a number end the ringing incoming call with it, never an answered or outgoing one (real processes)', async () => {
  await withListener(async (listener, configDir) => {
    // The same caller twice: the first call answered, the second one ringing (call waiting).
    await notifyRoute(listener, 'incoming', {number: '0611', name: 'first'})
    const first = (await notifyRoute(listener, 'active', {number: '0611'})).call
    await notifyRoute(listener, 'incoming', {number: '0611', name: 'second'})
    const missed = await runCli(['notify', 'missed', '0611', '--port', String(listener.port)], configDir)
    expect(missed.stderr).toBe('')
    expect(missed.exitCode).toBe(0)
    expect(missed.stdout).toContain('"second"')
    expect(await liveCalls(listener, 'name')).toEqual({'0611': 'first'})

    await notifyRoute(listener, 'incoming', {number: '0611', name: 'third'})
    const rejected = await notifyRoute(listener, 'rejected', {number: '0611'})
    expect(rejected.call).toMatchObject({name: 'third', result: 'rejected'})
    expect(await liveCalls(listener, 'name')).toEqual({'0611': 'first'})

    // Only the answered call has that number: refused, saying why; so is --call of it.
    for (const type of ['missed', 'rejected']) {
      const refused = await notifyRoute(listener, type, {number: '0611'})
      expect(refused.status).toBe(409)
      expect(refused.message).toContain(`Call ${first.id} cannot be ended as ${type}: it is incoming and active`)
      expect((await notifyRoute(listener, type, {call: first.id})).status).toBe(409)
    }

    // An outgoing call, answered or not, is neither missed nor rejected.
    await notifyRoute(listener, 'outgoing', {number: '0622'})
    expect((await notifyRoute(listener, 'rejected', {number: '0622'})).status).toBe(409)
    await notifyRoute(listener, 'active', {number: '0622'})
    expect((await notifyRoute(listener, 'rejected', {number: '0622'})).status).toBe(409)
    expect((await notifyRoute(listener, 'missed', {number: '0622'})).status).toBe(409)
    expect(await liveCalls(listener)).toEqual({'0611': 'active', '0622': 'active'})
    const ends = (await eventsOf(listener, 'active 0622')).filter((event) => /^(missed|rejected|end) /.test(event))
    expect(ends).toEqual(['missed 0611 second', 'rejected 0611 third'])
  })
})

test('notify active with a number matches +31… and 0031… alike, as the other events do (real processes)', async () => {
  await withListener(async (listener, configDir) => {
    await notifyRoute(listener, 'incoming', {number: '+31612345678'})
    const active = await runCli(['notify', 'active', '0031612345678', '--port', String(listener.port)], configDir)
    expect(active.stderr).toBe('')
    expect(active.exitCode).toBe(0)
    expect(await liveCalls(listener)).toEqual({'+31612345678': 'active'})
    // Reported twice: refused, saying why.
    const again = await notifyRoute(listener, 'active', {number: '0031612345678'})
    expect(again.status).toBe(409)
    expect(again.message).toMatch(/cannot be made active: it is incoming and active/)
  })
})

test('notify with a number and --call of a call with another number is refused, naming both; nothing changes (real processes)', async () => {
  await withListener(async (listener, configDir) => {
    await notifyRoute(listener, 'incoming', {number: '0611', call: 'call-0611'})
    await notifyRoute(listener, 'incoming', {number: '0622', call: 'call-0622'})
    const ended = await runCli(
      ['notify', 'end', '0611', '--call', 'call-0622', '--port', String(listener.port)],
      configDir,
    )
    expect(ended.exitCode).toBe(4)
    expect(ended.stderr).toContain('call-0622')
    expect(ended.stderr).toContain('0622')
    expect(ended.stderr).toContain('0611')
    for (const type of ['active', 'missed', 'rejected', 'end'])
      expect((await notifyRoute(listener, type, {number: '0611', call: 'call-0622'})).status).toBe(409)
    await notifyRoute(listener, 'active', {call: 'call-0622'})
    for (const type of ['held', 'transferred', 'end'])
      expect((await notifyRoute(listener, type, {number: '0611', call: 'call-0622', to: '201'})).status).toBe(409)
    expect(await liveCalls(listener)).toEqual({'0611': 'ringing', '0622': 'active'})

    // The same number in another form names the same call; a call whose number is unknown takes --call alone.
    expect((await notifyRoute(listener, 'held', {number: '0622', call: 'call-0622'})).status).toBe(200)
    await notifyRoute(listener, 'incoming', {call: 'no-number'})
    expect((await notifyRoute(listener, 'end', {number: '0633', call: 'no-number'})).status).toBe(200)
    expect(await liveCalls(listener)).toEqual({'0611': 'ringing', '0622': 'held'})
  })
})
