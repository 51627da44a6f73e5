import {connect} from 'node:net'

import {runCli} from '../helpers/cli.js'
import {setConfig} from '../helpers/config.js'
import {type FakeBaresip, startFakeBaresip} from '../helpers/fake-baresip.js'
import {type ListenerProcess, startListenerProcess} from '../helpers/listener-process.js'
import {tempConfigDir} from '../helpers/paths.js'
import {closedPort} from '../helpers/ports.js'
import {sleep} from '../helpers/wait.js'

/** Short driver timeouts through settings, so that waiting them out takes seconds (the defaults are 3 s and 10 s). */
const TIMEOUTS = {commandTimeoutMs: 500, dialTimeoutMs: 1500}

interface Status {
  driver: {name: string; state: string; detail: string}
  calls: Array<{id: string; number: string; state: string; lastKnownState?: string}>
}

describe('a real `listen --driver baresip` process when baresip fails', () => {
  let listener: ListenerProcess | undefined
  let fake: FakeBaresip | undefined
  afterEach(async () => {
    await listener?.stop()
    listener = undefined
    await fake?.close()
    fake = undefined
  })

  async function start(port: number) {
    const configDir = tempConfigDir()
    await setConfig(configDir, {
      'driver.baresip.port': String(port),
      'driver.baresip.commandTimeoutMs': String(TIMEOUTS.commandTimeoutMs),
      'driver.baresip.dialTimeoutMs': String(TIMEOUTS.dialTimeoutMs),
      'driver.baresip.dialUri': 'sip:{NUMBER}@127.0.0.1',
    })
    listener = await startListenerProcess(configDir, ['--driver', 'baresip'])
    const status = async () => (await (await fetch(`${listener!.url}/status`)).json()) as Status
    const make = async (number: string) => fetch(`${listener!.url}/make/${number}`)
    return {configDir, listener, status, make}
  }

  test('nothing on the ctrl port: make answers 503 (also two at once), and the listener still answers /status well after the dial timeout', async () => {
    const port = await closedPort()
    const {configDir, status, make} = await start(port)
    const [one, two, three] = await Promise.all([make('0201234567'), make('0201234567'), make('0207654321')])
    expect([one.status, two.status, three.status]).toEqual([503, 503, 503])
    expect(((await one.json()) as {error: {message: string}}).error.message).toContain(
      `[driver:baresip] ctrl_tcp at 127.0.0.1:${port} is not reachable: is baresip running?`,
    )
    // Past every timer a failed make could have left (the dial timeout): the process must still be there.
    await sleep(TIMEOUTS.dialTimeoutMs * 2 + 500)
    expect(listener!.process.nodeChildProcess.exitCode).toBeNull()
    expect(await status()).toMatchObject({
      driver: {
        name: 'baresip',
        state: 'down',
        detail: expect.stringContaining('is not reachable: is baresip running?'),
      },
      calls: [],
    })
    const cli = await runCli(['status', '--port', String(listener!.port)], configDir)
    expect(cli.exitCode).toBe(0)
    expect(cli.stdout.split('\n')[1]).toBe(
      `Driver down: ctrl_tcp at 127.0.0.1:${port} is not reachable: is baresip running? Commands answer 503; callctl reconnects as soon as it answers`,
    )
    expect(listener!.lines.filter((line) => line.kind === 'driver').map((line) => line.message)).toEqual([
      `[driver:baresip] ctrl_tcp at 127.0.0.1:${port} is not reachable: is baresip running? Commands answer 503; callctl reconnects as soon as it answers`,
    ])
  }, 30_000)

  test('two overlapping makes, one never reported: that one answers 504, the other its own call; baresip gone → calls unknown, driver down', async () => {
    fake = await startFakeBaresip()
    fake.onDial.set('0201111111', 'silent')
    const {configDir, status, make} = await start(fake.port)
    await listener!.waitForLine((line) => line.kind === 'driver' && String(line.message).includes('connected to'))
    const [silent, answered] = await Promise.all([make('0201111111'), make('0202222222')])
    expect(answered.status).toBe(200)
    expect(((await answered.json()) as {call: {number: string}}).call.number).toBe('0202222222')
    expect(silent.status).toBe(504)
    await sleep(TIMEOUTS.dialTimeoutMs + 500)
    expect(listener!.process.nodeChildProcess.exitCode).toBeNull()
    expect((await status()).calls).toEqual([expect.objectContaining({number: '0202222222', state: 'active'})])

    await fake.stop()
    await listener!.waitForLine((line) => line.kind === 'driver' && String(line.message).includes('not reachable'))
    expect(await status()).toMatchObject({
      driver: {state: 'down'},
      calls: [{number: '0202222222', state: 'unknown', lastKnownState: 'active'}],
    })
    const cli = await runCli(['status', '--port', String(listener!.port)], configDir)
    expect(cli.stdout).toMatch(/^0202222222 \(call fake-\d+, outgoing state unknown, last known active\)$/m)
  }, 30_000)

  test('another program connects to ctrl_tcp: the listener logs the takeover once and does not connect back while it stays', async () => {
    fake = await startFakeBaresip()
    const {status} = await start(fake.port)
    await listener!.waitForLine((line) => line.kind === 'driver' && String(line.message).includes('connected to'))
    const other = connect(fake.port, '127.0.0.1')
    await new Promise((resolve) => other.once('connect', resolve))
    const line = await listener!.waitForLine(
      (line) => line.kind === 'driver' && String(line.message).includes('another program'),
    )
    expect(line.message).toBe(
      `[driver:baresip] another program is connected to ctrl_tcp at 127.0.0.1:${fake.port} and baresip serves one client at a time; callctl stays off until that program disconnects, then reconnects (commands answer 503)`,
    )
    const connections = fake.connections
    await sleep(3000)
    expect(fake.connections).toBe(connections)
    expect((await status()).driver.state).toBe('down')
    other.destroy()
    const reconnected = (line: Record<string, unknown>) =>
      line.kind === 'driver' && line.message === `[driver:baresip] connected to ctrl_tcp at 127.0.0.1:${fake!.port}`
    await listener!.waitForLine(() => listener!.lines.filter(reconnected).length === 2, 5000)
    expect(fake.connections).toBe(connections + 1)
    expect((await status()).driver.state).toBe('connected')
  }, 30_000)
})
