import {runCli} from '../helpers/cli.js'
import {setConfig} from '../helpers/config.js'
import {startListenerProcess} from '../helpers/listener-process.js'
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

test('notify end/held/resumed with a number act on the call with that number, not on the one answered last (real processes)', async () => {
  const configDir = tempConfigDir()
  const listener = await startListenerProcess(configDir)
  // What a softphone hook calls; the CLI (below, once) forwards to the same route.
  const report = async (type: string, number: string) =>
    (await fetch(`${listener.url}/notify/${type}?number=${encodeURIComponent(number)}`, {method: 'POST'})).status
  const states = async () => {
    const {calls} = (await (await fetch(`${listener.url}/status`)).json()) as {
      calls: Array<{number: string; state: string}>
    }
    return Object.fromEntries(calls.map((call) => [call.number, call.state]))
  }

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
