import {execa} from 'execa'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {spawnBaresip, writeHeadlessConfig} from '../../src/drivers/baresip/spawn.js'
import {runCli} from '../helpers/cli.js'
import {setConfig} from '../helpers/config.js'
import {type ListenerProcess, startListenerProcess} from '../helpers/listener-process.js'
import {tempConfigDir} from '../helpers/paths.js'
import {freePortBlock, startSipp} from '../helpers/sip.js'
import {BARESIP, describeWithTool, SIPP} from '../helpers/tools.js'
import {startWebhookReceiver} from '../helpers/webhook-receiver.js'

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

/** The event paths the receiver got, e.g. ['/outgoing', '/active']. */
const paths = (receiver: Receiver) => receiver.received.map((request) => request.url.split('?')[0])

describeWithTool(BARESIP, 'baresip driver with real SIP (baresip spawned by callctl, sipp as the other party)', () => {
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
