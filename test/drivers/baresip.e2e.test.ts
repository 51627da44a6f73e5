import {execa} from 'execa'
import {mkdtempSync, readFileSync} from 'node:fs'
import {connect, createServer, type Socket} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {createBaresipDriver} from '../../src/drivers/baresip/driver.js'
import {baresipDriver} from '../../src/drivers/baresip/index.js'
import {spawnBaresip, writeHeadlessConfig} from '../../src/drivers/baresip/spawn.js'
import {runCli} from '../helpers/cli.js'
import {setConfig} from '../helpers/config.js'
import {type ListenerProcess, startListenerProcess} from '../helpers/listener-process.js'
import {tempConfigDir} from '../helpers/paths.js'
import {closedPort} from '../helpers/ports.js'
import {freePortBlock, startSipp} from '../helpers/sip.js'
import {BARESIP, describeWithTool, SIPP} from '../helpers/tools.js'
import {startWebhookReceiver} from '../helpers/webhook-receiver.js'
import {testDriverContract, initWhenConnected} from './contract.js'
import {sleep, until} from '../helpers/wait.js'

type Receiver = Awaited<ReturnType<typeof startWebhookReceiver>>

/** Ports of one scenario: baresip SIP (+1 TCP), ctrl_tcp, the sipp peer, RTP. */
async function ports() {
  const base = await freePortBlock(10)
  return {sip: base, ctrl: base + 3, peer: base + 5, media: base + 7, rtp: `${base + 100}-${base + 199}`}
}

async function configure(configDir: string, p: Awaited<ReturnType<typeof ports>>, receiver: Receiver) {
  const settings: Array<[string, string]> = [
    ['driver.name', 'baresip'],
    ['driver.baresip.port', String(p.ctrl)],
    ['driver.baresip.sipListen', `127.0.0.1:${p.sip}`],
    ['driver.baresip.rtpPorts', p.rtp],
    ['driver.baresip.account', '<sip:alice@127.0.0.1>;regint=0'],
    ['driver.baresip.dialUri', `sip:{NUMBER}@127.0.0.1:${p.peer}`],
    [
      'callbacks',
      JSON.stringify([
        {
          url: `${receiver.url}/{EVENT}?n={CALLERNUM}&name={CALLERNAME}&reason={REASON}`,
          events: ['incoming', 'outgoing', 'active', 'end'],
        },
      ]),
    ],
  ]
  await setConfig(configDir, settings)
}

/** A baresip of the test's own (attach mode), configured for the scenario's ports. */
async function startBaresip(p: Awaited<ReturnType<typeof ports>>) {
  return spawnBaresip(
    'baresip',
    writeHeadlessConfig(
      {
        sipListen: `127.0.0.1:${p.sip}`,
        ctrlHost: '127.0.0.1',
        ctrlPort: p.ctrl,
        account: '<sip:alice@127.0.0.1>;regint=0',
        rtpPorts: p.rtp,
        modulePath: '/usr/lib/baresip/modules',
      },
      mkdtempSync(path.join(tmpdir(), 'callctl-baresip-')),
    ),
  )
}

/** A listener that starts its own baresip on the scenario's ports, dialling the sipp peer. */
function spawnSettings(p: Awaited<ReturnType<typeof ports>>): Record<string, string> {
  return {
    'driver.name': 'baresip',
    'driver.baresip.port': String(p.ctrl),
    'driver.baresip.sipListen': `127.0.0.1:${p.sip}`,
    'driver.baresip.rtpPorts': p.rtp,
    'driver.baresip.account': '<sip:alice@127.0.0.1>;regint=0',
    'driver.baresip.dialUri': `sip:{NUMBER}@127.0.0.1:${p.peer}`,
    'driver.baresip.spawn': 'true',
  }
}

/** The event paths the receiver got, e.g. ['/outgoing', '/active']. */
const paths = (receiver: Receiver) => receiver.received.map((request) => request.url.split('?')[0])

describeWithTool(BARESIP, 'baresip driver with real SIP (baresip spawned by callctl, sipp as the other party)', () => {
  describeWithTool(SIPP, 'the driver contract against a real baresip', () => {
    testDriverContract(
      'baresip',
      async () => {
        const p = await ports()
        // The callee answers at once, up to 10 calls (the overlapping makes).
        const sipp = startSipp('uas-answer.xml', ['-p', String(p.peer), '-mp', String(p.media), '-m', '10'])
        const baresip = await startBaresip(p)
        return {
          module: baresipDriver,
          settings: {
            port: p.ctrl,
            account: '<sip:alice@127.0.0.1>;regint=0',
            dialUri: `sip:{NUMBER}@127.0.0.1:${p.peer}`,
            commandTimeoutMs: 500,
            dialTimeoutMs: 3000,
          },
          factory: async (context) => initWhenConnected(createBaresipDriver(context)),
          settle: async (engine) => until(() => engine.live().every((call) => call.state === 'active'), 5000),
          faults: {
            gone: async () => {
              await execa('kill', ['-9', String(baresip.pid)])
              await baresip.exited
            },
            stall: async () => void process.kill(baresip.pid, 'SIGSTOP'),
          },
          quietMs: 3200,
          async close() {
            try {
              process.kill(baresip.pid, 'SIGCONT')
            } catch {
              // Already gone (the `gone` case).
            }

            await baresip.stop()
            await sipp.stop()
          },
        }
      },
      // This callee answers no REFER: transfer is tested with one that does (baresip-actions.e2e.test.ts).
      {label: 'baresip (real baresip, sipp as the callee)', faults: ['gone', 'stall'], transfers: false},
    )
  })

  describe('failures a user meets', () => {
    let listener: ListenerProcess | undefined
    const cleanups: Array<() => Promise<unknown>> = []

    /** A listener that starts its own baresip, with sipp answering up to `calls` calls it places. */
    async function withSpawnedBaresip(calls: number) {
      const p = await ports()
      const sipp = startSipp('uas-answer.xml', ['-p', String(p.peer), '-mp', String(p.media), '-m', String(calls)])
      cleanups.push(async () => sipp.stop())
      const configDir = tempConfigDir()
      await setConfig(configDir, spawnSettings(p))
      listener = await startListenerProcess(configDir)
      return {configDir, listener}
    }
    afterEach(async () => {
      await listener?.stop()
      listener = undefined
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
    })

    test("ctrl port taken by another program: listen with spawn refuses to start with baresip's own words, and doctor names the port", async () => {
      const p = await ports()
      // Accepts connections and says nothing, as a program that is not baresip would.
      const accepted = new Set<Socket>()
      const blocker = createServer((socket) => accepted.add(socket.on('error', () => {})))
      await new Promise<void>((resolve) => blocker.listen(p.ctrl, '127.0.0.1', resolve))
      cleanups.push(async () => {
        for (const socket of accepted) socket.destroy()
        await new Promise((resolve) => blocker.close(resolve))
      })
      const configDir = tempConfigDir()
      await setConfig(configDir, spawnSettings(p))
      const listen = await runCli(['listen', '--port', '0', '--json'], configDir)
      expect(listen.exitCode).toBe(5)
      const lines = listen.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>)
      expect(lines).toContainEqual(
        expect.objectContaining({
          kind: 'driver',
          message: `[driver:baresip] baresip: ctrl_tcp: failed to listen on TCP 127.0.0.1:${p.ctrl} (Address already in use)`,
        }),
      )
      expect(lines.at(-1)).toMatchObject({
        ok: false,
        error: {
          message: `[driver:baresip] baresip did not open ctrl_tcp at 127.0.0.1:${p.ctrl}: baresip said: ctrl_tcp: failed to listen on TCP 127.0.0.1:${p.ctrl} (Address already in use)`,
        },
      })
      // No listener on the doctor's port: it checks the setup as a listener would find it.
      const doctor = await runCli(['doctor', '--json', '--port', String(await closedPort())], configDir)
      const checks = (JSON.parse(doctor.stdout) as {checks: Array<{name: string; verdict: string; message: string}>})
        .checks
      expect(checks.find((check) => check.name === 'driver')).toMatchObject({
        verdict: 'fail',
        message: `baresip: baresip found, but another program already listens on 127.0.0.1:${p.ctrl}, where the spawned baresip's ctrl_tcp would`,
      })
    }, 30_000)

    test("ctrl port pointed at baresip's SIP/TLS port (sipListen + 1): never connected; status and doctor say it is not ctrl_tcp", async () => {
      const p = await ports()
      const baresip = await startBaresip(p)
      cleanups.push(async () => baresip.stop())
      const configDir = tempConfigDir()
      await setConfig(configDir, {
        'driver.name': 'baresip',
        'driver.baresip.port': String(p.sip + 1),
        'driver.baresip.commandTimeoutMs': '1000',
      })
      listener = await startListenerProcess(configDir)
      await listener.waitForLine((line) => line.kind === 'driver' && String(line.message).includes('not baresip'))
      const status = (await (await fetch(`${listener.url}/status`)).json()) as {driver: {state: string; detail: string}}
      expect(status.driver).toEqual({
        name: 'baresip',
        state: 'down',
        detail: `127.0.0.1:${p.sip + 1} is not baresip's ctrl_tcp: it closed the connection without answering; commands answer 503, callctl tries again every 5 s`,
      })
      expect(listener.lines.some((line) => String(line.message).includes('connected to'))).toBe(false)
      expect((await fetch(`${listener.url}/make/020123456`)).status).toBe(503)
      const doctor = await runCli(['doctor', '--json', '--port', String(listener.port)], configDir)
      const checks = (JSON.parse(doctor.stdout) as {checks: Array<{name: string; verdict: string; message: string}>})
        .checks
      expect(checks.find((check) => check.name === 'driver')).toMatchObject({
        verdict: 'fail',
        message: `baresip (down): ${status.driver.detail}`,
      })
    }, 30_000)

    test('the baresip callctl spawned dies mid-call (kill -9): its calls end at once ("baresip exited"), none stays unknown', async () => {
      listener = (await withSpawnedBaresip(1)).listener
      expect((await fetch(`${listener.url}/make/0201234567`, {method: 'POST'})).status).toBe(200)
      await until(async () => {
        const status = (await (await fetch(`${listener!.url}/status`)).json()) as {calls: Array<{state: string}>}
        return status.calls[0]?.state === 'active'
      }, 10_000)
      process.kill(childNamed(listener.process.pid!, 'baresip'), 'SIGKILL')
      await listener.waitForLine((line) => line.kind === 'event' && line.type === 'end')
      const status = (await (await fetch(`${listener.url}/status`)).json()) as {
        calls: unknown[]
        recent: Array<{endReason: string}>
        driver: {state: string; detail: string}
      }
      expect(status.calls).toEqual([])
      expect(status.recent[0].endReason).toBe('baresip exited')
      expect(status.driver.state).toBe('down')
      expect(status.driver.detail).toContain('the baresip callctl started exited')
    }, 30_000)

    test('a driver setting changed while the listener runs with a spawned baresip: the new baresip takes over, calls work', async () => {
      const spawned = await withSpawnedBaresip(5)
      listener = spawned.listener
      const {configDir} = spawned
      const before = listener.lines.length
      // The old baresip holds the SIP and ctrl ports: the new one can start only once it has gone.
      await setConfig(configDir, {'driver.baresip.commandTimeoutMs': '2500'})
      // Usually 3 s; the bound is what a busy CI machine needs (it once took over 10 s there), not a speed asserted.
      await listener.waitForLine(
        (line) => String(line.message).includes('config: applied') && listener!.lines.indexOf(line) >= before,
        25_000,
      )
      await until(async () => {
        const status = (await (await fetch(`${listener!.url}/status`)).json()) as {driver: {state: string}}
        return status.driver.state === 'connected'
      }, 15_000)
      expect((await fetch(`${listener.url}/make/0201234567`, {method: 'POST'})).status).toBe(200)
      const status = (await (await fetch(`${listener.url}/status`)).json()) as {driver: {state: string}}
      expect(status.driver.state).toBe('connected')
      expect((await fetch(`${listener.url}/end`, {method: 'POST'})).status).toBe(200)
    }, 60_000)

    test("two calls live: callctl end --call of the older one hangs up that one, not baresip's current (newer) call", async () => {
      const spawned = await withSpawnedBaresip(2)
      listener = spawned.listener
      const {configDir} = spawned
      const made = async (number: string) =>
        ((await (await fetch(`${listener!.url}/make/${number}`, {method: 'POST'})).json()) as {call: {id: string}}).call
      const older = await made('0201234567')
      const newer = await made('0207654321')
      const live = async () =>
        ((await (await fetch(`${listener!.url}/status`)).json()) as {calls: Array<{id: string; state: string}>}).calls
      await until(async () => (await live()).filter((call) => call.state === 'active').length === 2, 10_000)
      const ended = await runCli(['end', '--call', older.id, '--port', String(listener.port)], configDir)
      expect(ended.exitCode).toBe(0)
      await until(async () => (await live()).length === 1, 5000)
      expect(await live()).toEqual([expect.objectContaining({id: newer.id, state: 'active'})])
    }, 40_000)

    test('a second ctrl_tcp client takes baresip over: callctl backs off and says so; once it leaves, callctl is back and calls work', async () => {
      const p = await ports()
      const receiver = await startWebhookReceiver()
      cleanups.push(async () => receiver.close())
      const baresip = await startBaresip(p)
      cleanups.push(async () => baresip.stop())
      const configDir = tempConfigDir()
      await configure(configDir, p, receiver)
      listener = await startListenerProcess(configDir)
      await listener.waitForLine((line) => line.kind === 'driver' && String(line.message).includes('connected to'))
      const other = connect(p.ctrl, '127.0.0.1')
      await new Promise((resolve) => other.once('connect', resolve))
      await listener.waitForLine((line) => line.kind === 'driver' && String(line.message).includes('another program'))
      // The other client keeps its connection: callctl did not take it back.
      await sleep(2500)
      expect(other.readyState).toBe('open')
      const status = (await (await fetch(`${listener.url}/status`)).json()) as {driver: {state: string; detail: string}}
      expect(status.driver.state).toBe('down')
      const refused = await runCli(['make', '020123456', '--port', String(listener.port)], configDir)
      expect(refused.exitCode).toBe(5)
      expect(refused.stderr).toContain('another program is connected to ctrl_tcp')
      other.destroy()
      await listener.waitForLine(
        () =>
          listener!.lines.filter((line) => String(line.message).startsWith('[driver:baresip] connected to')).length ===
          2,
        5000,
      )
      const sipp = startSipp('uas-answer.xml', ['-p', String(p.peer), '-mp', String(p.media)])
      cleanups.push(async () => sipp.stop())
      expect((await runCli(['make', '020123456', '--port', String(listener.port)], configDir)).exitCode).toBe(0)
      await receiver.waitFor(2, 10_000)
      expect(paths(receiver)).toEqual(['/outgoing', '/active'])
    }, 40_000)

    test('baresip killed -9 mid-call: /status shows the call as unknown and the driver down; a new baresip ends the vanished call', async () => {
      const p = await ports()
      const receiver = await startWebhookReceiver()
      cleanups.push(async () => receiver.close())
      const sipp = startSipp('uas-answer.xml', ['-p', String(p.peer), '-mp', String(p.media)])
      cleanups.push(async () => sipp.stop())
      const first = await startBaresip(p)
      cleanups.push(async () => first.stop())
      const configDir = tempConfigDir()
      await configure(configDir, p, receiver)
      listener = await startListenerProcess(configDir)
      await listener.waitForLine((line) => line.kind === 'driver' && String(line.message).includes('connected to'))
      expect((await runCli(['make', '020123456', '--port', String(listener.port)], configDir)).exitCode).toBe(0)
      await receiver.waitFor(2, 10_000)
      await execa('kill', ['-9', String(first.pid)])
      await listener.waitForLine((line) => line.kind === 'driver' && String(line.message).includes('not reachable'))
      const status = (await (await fetch(`${listener.url}/status`)).json()) as {
        driver: {state: string}
        calls: Array<{state: string; lastKnownState: string}>
      }
      expect(status.driver.state).toBe('down')
      expect(status.calls).toEqual([
        expect.objectContaining({number: '020123456', state: 'unknown', lastKnownState: 'active'}),
      ])
      const shown = await runCli(['status', '--port', String(listener.port)], configDir)
      expect(shown.stdout).toMatch(/^020123456 \(call \S+, outgoing state unknown, last known active\)$/m)
      const second = await startBaresip(p)
      cleanups.push(async () => second.stop())
      const [, , end] = await receiver.waitFor(3, 10_000)
      expect(end.url).toBe('/end?n=020123456&name=&reason=vanished%20while%20baresip%20was%20unreachable')
    }, 40_000)
  })

  describeWithTool(SIPP, 'scenarios', () => {
    let receiver: Receiver
    let listener: ListenerProcess | undefined
    const cleanups: Array<() => Promise<void>> = []
    beforeEach(async () => {
      receiver = await startWebhookReceiver()
    })
    afterEach(async () => {
      await listener?.stop()
      listener = undefined
      for (const cleanup of cleanups.splice(0)) await cleanup()
      await receiver.close()
    })

    test('1. callctl make → the callee rings, answers → outgoing, active; callctl end → end (local hangup)', async () => {
      const p = await ports()
      const configDir = tempConfigDir()
      await configure(configDir, p, receiver)
      const sipp = startSipp('uas-ring-answer.xml', ['-p', String(p.peer), '-mp', String(p.media)])
      cleanups.push(() => sipp.stop())
      listener = await startListenerProcess(configDir, ['--spawn'])
      const cli = (...args: string[]) => runCli([...args, '--port', String(listener!.port)], configDir)

      const made = await cli('make', '020123456')
      expect(made.exitCode).toBe(0)
      expect(made.stdout).toMatch(/^Dialing 020123456 \(call \S+, outgoing dialing\)$/)
      await receiver.waitFor(1)
      expect(paths(receiver)).toEqual(['/outgoing'])
      // The callee answers after its 1.5 s of ringing.
      await receiver.waitFor(2, 10_000)
      expect(paths(receiver)).toEqual(['/outgoing', '/active'])
      expect((await cli('end')).exitCode).toBe(0)
      const [, , end] = await receiver.waitFor(3)
      expect(end.url).toBe('/end?n=020123456&name=&reason=Connection%20reset%20by%20user')
      expect((await sipp.process).exitCode).toBe(0)
    }, 40_000)

    test('2. a caller rings in → incoming with number and name → callctl answer → active → the caller hangs up → end', async () => {
      const p = await ports()
      const configDir = tempConfigDir()
      await configure(configDir, p, receiver)
      listener = await startListenerProcess(configDir, ['--spawn'])
      const sipp = startSipp('uac-call-bye.xml', [
        `127.0.0.1:${p.sip}`,
        '-s',
        'alice',
        '-p',
        String(p.peer),
        '-mp',
        String(p.media),
      ])
      cleanups.push(() => sipp.stop())

      const [incoming] = await receiver.waitFor(1, 10_000)
      expect(incoming.url).toBe('/incoming?n=0612345678&name=Alice%20Caller&reason=')
      const answered = await runCli(['answer', '--port', String(listener.port)], configDir)
      expect(answered.exitCode).toBe(0)
      expect(answered.stdout).toMatch(/^Answered 0612345678 "Alice Caller" \(call \S+, incoming active\)$/)
      const received = await receiver.waitFor(3, 10_000)
      expect(received.map((request) => request.url)).toEqual([
        '/incoming?n=0612345678&name=Alice%20Caller&reason=',
        '/active?n=0612345678&name=Alice%20Caller&reason=',
        '/end?n=0612345678&name=Alice%20Caller&reason=Connection%20reset%20by%20peer',
      ])
      expect((await sipp.process).exitCode).toBe(0)
    }, 40_000)

    test('3. a busy callee (486) → end with that reason, no active', async () => {
      const p = await ports()
      const configDir = tempConfigDir()
      await configure(configDir, p, receiver)
      const sipp = startSipp('uas-busy.xml', ['-p', String(p.peer), '-mp', String(p.media)])
      cleanups.push(() => sipp.stop())
      listener = await startListenerProcess(configDir, ['--spawn'])
      expect((await runCli(['make', '0201234567', '--port', String(listener.port)], configDir)).exitCode).toBe(0)
      const received = await receiver.waitFor(2, 10_000)
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(receiver.received.map((request) => request.url)).toEqual([
        '/outgoing?n=0201234567&name=&reason=',
        expect.stringMatching(/^\/end\?n=0201234567&name=&reason=486%20Busy(%20Here)?$/),
      ])
      expect(received).toHaveLength(2)
    }, 40_000)

    test('5. callctl dial sip:bob@127.0.0.1:<peer> → baresip sends the INVITE to that URI; the call, webhooks and status carry the address; hostile URIs before it are 400 and change nothing', async () => {
      const p = await ports()
      const configDir = tempConfigDir()
      await configure(configDir, p, receiver)
      const trace = path.join(mkdtempSync(path.join(tmpdir(), 'callctl-sipp-')), 'messages.log')
      const sipp = startSipp('uas-ring-answer.xml', [
        '-p',
        String(p.peer),
        '-mp',
        String(p.media),
        '-trace_msg',
        '-message_file',
        trace,
      ])
      cleanups.push(() => sipp.stop())
      listener = await startListenerProcess(configDir, ['--spawn'])
      const cli = (...args: string[]) => runCli([...args, '--port', String(listener!.port)], configDir)

      // A second ctrl_tcp command after a line break, a quote that would end the JSON string, a header: refused
      // before baresip hears of them.
      for (const hostile of [
        `sip:bob@127.0.0.1:${p.peer}\r\n28:{"command":"quit","token":"x"},`,
        `sip:bo"b@127.0.0.1:${p.peer}`,
        `sip:bob@127.0.0.1:${p.peer}?Subject=x`,
      ]) {
        const response = await fetch(`${listener.url}/make/${encodeURIComponent(hostile)}`, {method: 'POST'})
        expect({hostile, status: response.status}).toEqual({hostile, status: 400})
      }

      // baresip 1.0 would call sip:sips:bob@… (user sips, password bob) over UDP: refused before it is asked.
      const sips = await fetch(`${listener.url}/make/${encodeURIComponent(`sips:bob@127.0.0.1:${p.peer}`)}`, {
        method: 'POST',
      })
      expect(sips.status).toBe(501)
      expect(((await sips.json()) as {error: {message: string}}).error.message).toContain(
        'does not dial sips: addresses',
      )

      const address = `sip:bob@127.0.0.1:${p.peer}`
      const dialled = await cli('dial', address)
      expect(dialled).toMatchObject({exitCode: 0, stderr: ''})
      expect(dialled.stdout).toMatch(new RegExp(`^Dialing ${address.replaceAll('.', '\\.')} \\(call \\S+\\)$`))
      const encoded = encodeURIComponent(address)
      const [outgoing, active] = await receiver.waitFor(2, 10_000)
      expect([outgoing.url, active.url]).toEqual([
        `/outgoing?n=${encoded}&name=&reason=`,
        `/active?n=${encoded}&name=&reason=`,
      ])
      const status = (await (await fetch(`${listener.url}/status`)).json()) as {calls: Array<{number: string}>}
      expect(status.calls).toEqual([expect.objectContaining({number: address, state: 'active'})])
      expect((await cli('end')).exitCode).toBe(0)
      const [, , end] = await receiver.waitFor(3)
      expect(end.url).toBe(`/end?n=${encoded}&name=&reason=Connection%20reset%20by%20user`)
      expect((await sipp.process).exitCode).toBe(0)
      // On the wire: one INVITE, to the address itself (not driver.baresip.dialUri filled with it).
      const invites = readFileSync(trace, 'utf8').match(/^INVITE \S+ SIP\/2\.0$/gm)
      expect(invites).toEqual([`INVITE ${address} SIP/2.0`])
      // The journal has it too (the listener's /history, which `callctl history` reads).
      const history = (await (await fetch(`${listener.url}/history`)).json()) as {calls: Array<{number: string}>}
      expect(history.calls).toEqual([expect.objectContaining({number: address})])
    }, 40_000)

    test('4. baresip killed while idle → 503 with a clear message; started again → commands work within 2 s', async () => {
      const p = await ports()
      const configDir = tempConfigDir()
      await configure(configDir, p, receiver)
      const baresipConfig = {
        sipListen: `127.0.0.1:${p.sip}`,
        ctrlHost: '127.0.0.1',
        ctrlPort: p.ctrl,
        account: '<sip:alice@127.0.0.1>;regint=0',
        rtpPorts: p.rtp,
        modulePath: '/usr/lib/baresip/modules',
      }
      const first = await spawnBaresip(
        'baresip',
        writeHeadlessConfig(baresipConfig, mkdtempSync(path.join(tmpdir(), 'callctl-baresip-'))),
      )
      cleanups.push(() => first.stop())
      // Attach mode: the listener connects to the baresip the test started.
      listener = await startListenerProcess(configDir)
      await listener.waitForLine((line) => line.kind === 'driver' && String(line.message).includes('connected'))
      const cli = (...args: string[]) => runCli([...args, '--port', String(listener!.port)], configDir)

      await execa('kill', ['-9', String(first.pid)])
      await first.exited
      await listener.waitForLine((line) => line.kind === 'driver' && String(line.message).includes('lost'))
      const down = await cli('make', '020123456')
      expect(down.exitCode).toBe(5)
      expect(down.stderr).toContain(
        `[driver:baresip] ctrl_tcp at 127.0.0.1:${p.ctrl} is not reachable: is baresip running?`,
      )
      const http = await fetch(`${listener.url}/make/020123456`)
      expect(http.status).toBe(503)

      const sipp = startSipp('uas-ring-answer.xml', ['-p', String(p.peer), '-mp', String(p.media)])
      cleanups.push(() => sipp.stop())
      const second = await spawnBaresip(
        'baresip',
        writeHeadlessConfig(baresipConfig, mkdtempSync(path.join(tmpdir(), 'callctl-baresip-'))),
      )
      cleanups.push(() => second.stop())
      const back = Date.now()
      await listener.waitForLine(
        (line) =>
          line.kind === 'driver' &&
          String(line.message).includes('connected') &&
          listener!.lines.indexOf(line) > listener!.lines.findIndex((l) => String(l.message).includes('lost')),
        5000,
      )
      expect(Date.now() - back).toBeLessThan(2000)
      const made = await cli('make', '020123456')
      expect(made.exitCode).toBe(0)
      await receiver.waitFor(1, 10_000)
      expect(paths(receiver)[0]).toBe('/outgoing')
      expect((await cli('end')).exitCode).toBe(0)
    }, 40_000)
  })
})

/** The pid of a child process of `parent` with this name, from /proc (Linux, where these suites run). */
function childNamed(parent: number, name: string): number {
  const {readdirSync, readFileSync} = process.getBuiltinModule('node:fs')
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      // comm is in parentheses and may hold spaces: the fields after the last ')' are state, ppid, ...
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === parent && comm === name) return Number(entry)
    } catch {
      // Gone meanwhile.
    }
  }

  throw new Error(`no child ${name} of ${parent}`)
}
