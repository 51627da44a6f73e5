import {runCli} from '../helpers/cli.js'
import {setConfig} from '../helpers/config.js'
import {type ListenerProcess, startListenerProcess} from '../helpers/listener-process.js'
import {tempConfigDir} from '../helpers/paths.js'
import {closedPort} from '../helpers/ports.js'
import {startWebhookReceiver} from '../helpers/webhook-receiver.js'

describe('forwarding commands against a real listener process', () => {
  let configDir: string
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>
  let listener: ListenerProcess
  const cli = (...args: string[]) => runCli([...args, '--port', String(listener.port)], configDir)

  beforeAll(async () => {
    configDir = tempConfigDir()
    receiver = await startWebhookReceiver()
    for (const event of ['incoming', 'active', 'end']) {
      await setConfig(configDir, {[`notifications.${event}`]: `${receiver.url}/${event}?callerid=$callerid`})
    }

    await setConfig(configDir, {'sim.answerAfterMs': '0'})
    listener = await startListenerProcess(configDir)
  })
  afterAll(async () => {
    await listener?.stop()
    await receiver?.close()
  })
  beforeEach(() => {
    receiver.received.length = 0
  })

  test('incoming call: notify incoming + answer + end → incoming, active, end with the callerid', async () => {
    const incoming = await cli('notify', 'incoming', '+31 6 1234 5678', '--name', 'Alice & Bob')
    expect(incoming).toMatchObject({exitCode: 0})
    expect(incoming.stdout).toMatch(/Reported incoming: \+31612345678 "Alice & Bob" \(call .+, incoming ringing\)/)
    expect((await cli('answer')).stdout).toMatch(/^Answered \+31612345678/)
    expect((await cli('end')).stdout).toMatch(/^Ended \+31612345678 .*incoming ended, local hangup/)
    const urls = (await receiver.waitFor(3)).map((request) => request.url)
    expect(urls).toEqual([
      '/incoming?callerid=%2B31612345678',
      '/active?callerid=%2B31612345678',
      '/end?callerid=%2B31612345678',
    ])
    expect(receiver.received[0].headers['user-agent']).toMatch(/^callctl\//)
  })

  test('outgoing call from a plain GET /make/020123456 → active, end', async () => {
    const made = await fetch(`${listener.url}/make/020123456`)
    expect(made.status).toBe(200)
    const {call} = (await made.json()) as {call: {id: string}}
    expect((await cli('end', '--call', call.id)).exitCode).toBe(0)
    const urls = (await receiver.waitFor(2)).map((request) => request.url)
    expect(urls).toEqual(['/active?callerid=020123456', '/end?callerid=020123456'])
    await expect(listener.waitForLine((line) => line.kind === 'event' && line.type === 'end')).resolves.toBeDefined()
  })

  test('make prints the call, --json prints it as JSON', async () => {
    const made = await cli('make', '020 123 456', '--json')
    expect(made.exitCode).toBe(0)
    expect(JSON.parse(made.stdout)).toMatchObject({ok: true, call: {direction: 'outgoing', number: '020123456'}})
    expect((await cli('end')).exitCode).toBe(0)
  })

  test("exit 4 with the listener's message for a bad number and for nothing to answer", async () => {
    const bad = await cli('make', '12ab')
    expect(bad.exitCode).toBe(4)
    expect(bad.stderr).toContain('Invalid number "12ab"')
    expect(bad.stderr).not.toMatch(/\n\s+at /)
    const none = await cli('answer')
    expect(none.exitCode).toBe(4)
    expect(none.stderr).toContain('No ringing incoming call to answer')
  })

  test('HEAD works where GET only reads (/status, /); a command still needs GET or POST', async () => {
    const head = await fetch(`${listener.url}/status`, {method: 'HEAD'})
    expect(head.status).toBe(200)
    expect(head.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(await head.text()).toBe('')
    expect((await fetch(`${listener.url}/`, {method: 'HEAD'})).status).toBe(200)
    expect((await fetch(`${listener.url}/make/1`, {method: 'HEAD'})).status).toBe(405)
  })

  test('notify active for an unknown call says what was asked', async () => {
    const result = await cli('notify', 'active', '--call', 'nope')
    expect(result.exitCode).toBe(4)
    expect(result.stderr).toContain('Cannot make active call nope: no such call')
  })

  test('status shows the listener and its driver', async () => {
    const status = await cli('status')
    expect(status.exitCode).toBe(0)
    expect(status.stdout).toMatch(/listening on 127\.0\.0\.1:\d+ \(pid \d+, driver sim\)/)
  })

  test('a second listener on the same port fails with exit 6 naming the port', async () => {
    const second = await runCli(['listen', '--port', String(listener.port)], configDir)
    expect(second.exitCode).toBe(6)
    expect(second.stderr).toContain(`Port ${listener.port} is already used by another callctl listener`)
    // The same folder's listener on the same port: the port is what is in use.
    expect(second.stderr).toContain('Code: ERR_PORT_IN_USE')
  })
})

describe('forwarding commands without a listener', () => {
  test('a connection cut after the request went out is not "no listener": the command may have been done', async () => {
    const {createServer: createTcpServer} = await import('node:net')
    const server = createTcpServer((socket) => socket.once('data', () => socket.resetAndDestroy()))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const result = await runCli(
        ['make', '1', '--port', String((server.address() as {port: number}).port)],
        tempConfigDir(),
      )
      expect(result.exitCode).toBe(3)
      expect(result.stderr).toContain('closed the connection before answering')
      expect(result.stderr).toContain('The command may have been carried out: check with `callctl status`')
    } finally {
      server.close()
    }
  })

  test('make exits 3 and says how to start one', async () => {
    const port = await closedPort()
    const result = await runCli(['make', '1', '--port', String(port)], tempConfigDir())
    expect(result.exitCode).toBe(3)
    expect(result.stderr).toContain(`No callctl listener is running on 127.0.0.1:${port}`)
    expect(result.stderr).toContain('callctl listen')
  })

  test('a SIP address too long to send is refused as an address, with its limit, not as a number', async () => {
    const port = await closedPort()
    const address = `sip:${'a'.repeat(300)}@pbx.example.com`
    const result = await runCli(['make', address, '--port', String(port)], tempConfigDir())
    expect(result.exitCode).toBe(4)
    expect(result.stderr).toContain(`a SIP address has at most 256 characters, this one ${address.length}`)
    expect(result.stderr).not.toContain('Number too long')
  })

  test('--json errors are JSON with the code', async () => {
    const port = await closedPort()
    const result = await runCli(['answer', '--json', '--port', String(port)], tempConfigDir())
    expect(result.exitCode).toBe(3)
    expect(JSON.parse(result.stdout)).toEqual({
      ok: false,
      error: {
        code: 'ERR_NO_LISTENER',
        message: expect.stringContaining('No callctl listener'),
        hints: expect.arrayContaining(['If it runs on another port, pass --port']),
      },
    })
  })

  test('usage errors exit 2', async () => {
    expect((await runCli(['make'], tempConfigDir())).exitCode).toBe(2)
    expect(await runCli(['make', ' '], tempConfigDir())).toMatchObject({
      exitCode: 2,
      stderr: expect.stringContaining('No number given: callctl make <number>'),
    })
    expect((await runCli(['notify', 'ringing'], tempConfigDir())).exitCode).toBe(2)
    expect((await runCli(['config', 'set', 'port', 'x'], tempConfigDir())).exitCode).toBe(2)
  })
})
