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
