import {type ListenerProcess, startListenerProcess} from '../helpers/listener-process.js'
import {runCli} from '../helpers/cli.js'
import {setConfig} from '../helpers/config.js'
import {tempConfigDir} from '../helpers/paths.js'

/** One record per request, on the console (`--json`), whatever became of the answer (a real listener process). */
describe('request records', () => {
  let listener: ListenerProcess | undefined
  afterEach(async () => {
    await listener?.stop()
  })

  test('a client that hangs up before its answer (the phone still dialling) is reported: 499, and why', async () => {
    const dir = tempConfigDir()
    await setConfig(dir, {'driver.name': 'command', 'driver.command.make': JSON.stringify(['/bin/sleep', '2'])})
    listener = await startListenerProcess(dir)
    await expect(
      fetch(`${listener.url}/make/0611`, {method: 'POST', signal: AbortSignal.timeout(300)}),
    ).rejects.toThrow()
    const record = await listener.waitForLine((line) => line.kind === 'request' && line.path === '/make/0611', 5000)
    expect(record).toMatchObject({
      method: 'POST',
      status: 499,
      route: 'make',
      error: 'the client closed the connection before the answer',
    })
    expect(record.ms).toBeGreaterThanOrEqual(250)
    // The call itself goes on: the program that dials was started.
    await listener.waitForLine((line) => line.kind === 'event' && line.type === 'outgoing', 5000)
    expect((await fetch(`${listener.url}/status`)).status).toBe(200)
  })

  test('an /events stream is reported when its client goes, with the time it was open', async () => {
    listener = await startListenerProcess(tempConfigDir())
    const stop = new AbortController()
    const response = await fetch(`${listener.url}/events`, {signal: stop.signal})
    expect(response.status).toBe(200)
    await new Promise((resolve) => setTimeout(resolve, 300))
    stop.abort()
    const record = await listener.waitForLine((line) => line.kind === 'request' && line.path === '/events', 5000)
    expect(record).toMatchObject({method: 'GET', status: 200, route: 'events'})
    expect(record.error).toBeUndefined()
    expect(record.ms).toBeGreaterThanOrEqual(250)
  })

  test('a stop while the driver still dials (a program of the command driver) records the call, ended as stopped', async () => {
    const dir = tempConfigDir()
    await setConfig(dir, {
      'driver.name': 'command',
      'driver.command.make': JSON.stringify(['/bin/sleep', '2']),
      'driver.command.hooks': 'false',
    })
    listener = await startListenerProcess(dir)
    const making = fetch(`${listener.url}/make/0611`, {method: 'POST'}).catch(() => undefined)
    await new Promise((resolve) => setTimeout(resolve, 400))
    await listener.stop()
    await making
    listener = undefined
    const history = await runCli(['history', '--json'], dir)
    expect(history.exitCode).toBe(0)
    const {calls} = JSON.parse(history.stdout) as {calls: Array<{number: string; reason: string}>}
    expect(calls).toEqual([expect.objectContaining({number: '0611', reason: 'listener stopped'})])
  }, 30_000)
})
