import {createSocket, type Socket} from 'node:dgram'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {runCli} from '../helpers/cli.js'
import {setConfig} from '../helpers/config.js'
import {type ListenerProcess, startListenerProcess} from '../helpers/listener-process.js'
import {tempConfigDir} from '../helpers/paths.js'
import {freePortBlock, type Sipp, startSipp} from '../helpers/sip.js'
import {BARESIP, describeWithTool, SIPP} from '../helpers/tools.js'
import {sleep, until} from '../helpers/wait.js'

/** RFC 4733 event codes as digits. */
const DIGITS = '0123456789*#ABCD'

/** A UDP socket standing in for the callee's RTP port: it collects the DTMF events (payload type 101) sent to it. */
async function dtmfReceiver(): Promise<{port: number; digits: () => string; close: () => Promise<void>}> {
  const socket: Socket = createSocket('udp4')
  const ends: Array<{timestamp: number; event: number}> = []
  socket.on('message', (packet) => {
    if (packet.length < 16 || (packet[1] & 0x7f) !== 101) return
    const timestamp = packet.readUInt32BE(4)
    const event = packet[12]
    // One digit is several packets, the last few with the end bit and the same timestamp: counted once.
    if (packet[13] & 0x80 && !ends.some((end) => end.timestamp === timestamp)) ends.push({timestamp, event})
  })
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  return {
    port: socket.address().port,
    digits: () => ends.map((end) => DIGITS[end.event] ?? '?').join(''),
    close: async () => new Promise((resolve) => socket.close(() => resolve())),
  }
}

describeWithTool(BARESIP, 'in-call actions through a real baresip (spawned by callctl)', () => {
  describeWithTool(SIPP, 'with sipp as the other party', () => {
    let listener: ListenerProcess | undefined
    let sipp: Sipp | undefined
    let configDir: string
    const cleanups: Array<() => Promise<void>> = []
    const cli = (...args: string[]) => runCli([...args, '--port', String(listener!.port)], configDir)
    const state = async () => {
      const status = (await (await fetch(`${listener!.url}/status`)).json()) as {calls: Array<{state: string}>}
      return status.calls[0]?.state
    }

    async function start(scenario: string, args: string[]) {
      const base = await freePortBlock(10)
      const p = {sip: base, ctrl: base + 3, peer: base + 5, media: base + 7}
      sipp = startSipp(scenario, ['-p', String(p.peer), '-mp', String(p.media), ...args])
      configDir = tempConfigDir()
      await setConfig(configDir, {
        'driver.name': 'baresip',
        'driver.baresip.port': String(p.ctrl),
        'driver.baresip.sipListen': `127.0.0.1:${p.sip}`,
        'driver.baresip.rtpPorts': `${base + 100}-${base + 199}`,
        'driver.baresip.account': '<sip:alice@127.0.0.1>;regint=0',
        'driver.baresip.dialUri': `sip:{NUMBER}@127.0.0.1:${p.peer}`,
        'driver.baresip.spawn': 'true',
      })
      listener = await startListenerProcess(configDir)
      expect((await cli('make', '201')).exitCode).toBe(0)
      await until(async () => (await state()) === 'active', 10_000)
      return p
    }

    afterEach(async () => {
      await listener?.stop()
      await sipp?.stop()
      listener = undefined
      sipp = undefined
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
    })

    test('hold and resume send re-INVITEs (sendonly, then sendrecv); DTMF reaches the callee as RFC 4733 events; mute', async () => {
      const dtmf = await dtmfReceiver()
      cleanups.push(dtmf.close)
      await start('uas-hold-resume.xml', ['-key', 'dtmfport', String(dtmf.port)])
      expect((await cli('hold')).stdout).toMatch(/^Held 201 .*outgoing held\)$/)
      expect((await cli('resume')).stdout).toMatch(/^Resumed 201 .*outgoing active\)$/)
      expect(JSON.parse((await cli('mute', '--json')).stdout).call.muted).toBe(true)
      expect(JSON.parse((await cli('unmute', '--json')).stdout).call.muted).toBe(false)
      expect((await cli('dtmf', '12#')).exitCode).toBe(0)
      await until(() => dtmf.digits() === '12#', 5000)
      expect((await cli('end')).exitCode).toBe(0)
      // sipp checked the two re-INVITEs in order (a=sendonly, then a=sendrecv), then our BYE: it exits 0 only so.
      const {exitCode} = await sipp!.process
      expect(exitCode).toBe(0)
      const events = listener!.lines.filter((line) => line.kind === 'event').map((line) => line.type)
      expect(events).toEqual(['outgoing', 'active', 'held', 'resumed', 'updated', 'updated', 'end'])
    }, 60_000)

    test('call waiting: a second caller rings as such; answering it holds the first; resume --call swaps', async () => {
      const base = await freePortBlock(12)
      const p = {sip: base, ctrl: base + 3, first: base + 5, second: base + 7, media: base + 9}
      configDir = tempConfigDir()
      await setConfig(configDir, {
        'driver.name': 'baresip',
        'driver.baresip.port': String(p.ctrl),
        'driver.baresip.sipListen': `127.0.0.1:${p.sip}`,
        'driver.baresip.rtpPorts': `${base + 100}-${base + 199}`,
        'driver.baresip.account': '<sip:alice@127.0.0.1>;regint=0',
        'driver.baresip.spawn': 'true',
      })
      listener = await startListenerProcess(configDir)
      const caller = (scenario: string, port: number, number: string) =>
        startSipp(scenario, [
          `127.0.0.1:${p.sip}`,
          '-s',
          'alice',
          '-p',
          String(port),
          '-mp',
          String(port === p.first ? p.media : p.media + 1),
          '-key',
          'number',
          number,
          '-key',
          'caller',
          `Caller ${number}`,
        ])
      const calls = async () =>
        (
          (await (await fetch(`${listener!.url}/status`)).json()) as {
            calls: Array<{id: string; number: string; state: string}>
          }
        ).calls
      const first = caller('uac-held-resumed.xml', p.first, '0611111111')
      cleanups.push(async () => first.stop())
      await until(async () => (await calls()).length === 1, 10_000)
      expect((await cli('answer')).exitCode).toBe(0)
      const second = caller('uac-held.xml', p.second, '0622222222')
      cleanups.push(async () => second.stop())
      await until(async () => (await calls()).length === 2, 10_000)
      expect((await calls()).map((call) => [call.number, call.state])).toEqual([
        ['0611111111', 'active'],
        ['0622222222', 'ringing'],
      ])
      expect((await cli('answer')).stdout).toMatch(/^Answered 0622222222 "Caller 0622222222" .*incoming active\)$/)
      expect((await calls()).map((call) => call.state)).toEqual(['held', 'active'])
      const [held] = await calls()
      expect((await cli('resume', '--call', held.id)).stdout).toMatch(/^Resumed 0611111111 /)
      expect((await calls()).map((call) => call.state)).toEqual(['active', 'held'])
      expect((await cli('status')).stdout).toMatch(/0611111111 .*incoming active\)\n.*0622222222 .*incoming held\)$/)
      expect((await cli('end')).stdout).toMatch(/^Ended 0611111111 /)
      // baresip 1.0 takes the held call off hold itself when another ends: callctl reports it as `resumed`.
      expect((await calls()).map((call) => [call.number, call.state])).toEqual([['0622222222', 'active']])
      expect((await cli('end')).stdout).toMatch(/^Ended 0622222222 /)
      // Each caller checked its re-INVITEs in order: the first held then taken back, the second held.
      expect((await first.process).exitCode).toBe(0)
      expect((await second.process).exitCode).toBe(0)
    }, 60_000)

    test('DTMF for a call that ends mid-way stops there with 409: the rest never reaches the next call (two calls, own RTP ports)', async () => {
      const first = await dtmfReceiver()
      const second = await dtmfReceiver()
      cleanups.push(first.close, second.close)
      const ports = path.join(mkdtempSync(path.join(tmpdir(), 'callctl-sipp-')), 'ports.csv')
      writeFileSync(ports, `SEQUENTIAL\n${first.port}\n${second.port}\n`)
      await start('uas-answer-own-port.xml', ['-inf', ports, '-m', '2'])
      const startedAt = Date.now()
      const dtmf = fetch(`${listener!.url}/dtmf/2%2C%2C%2C%2C9`, {method: 'POST'})
      await until(() => first.digits() === '2', 5000)
      expect((await cli('end')).exitCode).toBe(0)
      // The next call comes up while the old request's pauses would still run; nothing of it may reach that call.
      expect((await cli('make', '201')).exitCode).toBe(0)
      await until(async () => (await state()) === 'active', 10_000)
      const response = await dtmf
      expect(response.status).toBe(409)
      expect(((await response.json()) as {error: {message: string}}).error.message).toMatch(
        /ended while DTMF was being sent: sent "2", not "9"/,
      )
      await sleep(Math.max(0, startedAt + 6000 - Date.now()))
      expect(first.digits()).toBe('2')
      expect(second.digits()).toBe('')
      // The live call still takes DTMF of its own.
      expect((await cli('dtmf', '7')).exitCode).toBe(0)
      await until(() => second.digits() === '7', 5000)
    }, 60_000)

    test('DTMF requests for one call take turns, never mixed; at most 10 pauses a request and 4 requests a call; the queue goes when the call ends', async () => {
      const receiver = await dtmfReceiver()
      cleanups.push(receiver.close)
      const ports = path.join(mkdtempSync(path.join(tmpdir(), 'callctl-sipp-')), 'ports.csv')
      writeFileSync(ports, `SEQUENTIAL\n${receiver.port}\n`)
      await start('uas-answer-own-port.xml', ['-inf', ports])
      const send = async (digits: string) =>
        fetch(`${listener!.url}/dtmf/${encodeURIComponent(digits)}`, {method: 'POST'})
      const together = await Promise.all([send('1,1,1'), send('2,2,2')])
      expect(together.map((response) => response.status)).toEqual([200, 200])
      await until(() => receiver.digits() === '111222', 5000)
      const long = await send(`${','.repeat(11)}1`)
      expect(long.status).toBe(400)
      expect(((await long.json()) as {error: {message: string}}).error.message).toMatch(
        /at most 10 pauses \(,\) in one request, got 11$/,
      )
      const queued = [1, 2, 3, 4].map(async () => send('3,,,,,,,,,3'))
      await until(() => receiver.digits() === '1112223', 5000)
      const fifth = await send('4')
      expect(fifth.status).toBe(429)
      expect(((await fifth.json()) as {error: {code: string}}).error.code).toBe('ERR_DTMF_BUSY')
      const endedAt = Date.now()
      expect((await cli('end')).exitCode).toBe(0)
      const statuses = (await Promise.all(queued)).map((response) => response.status)
      expect(statuses).toEqual([409, 409, 409, 409])
      // All four answered at once, not after their pauses.
      expect(Date.now() - endedAt).toBeLessThan(3000)
      expect(receiver.digits()).toBe('1112223')
    }, 60_000)

    test('transfer sends a REFER to the number; the callee NOTIFYs success and baresip ends the call as transferred', async () => {
      const trace = mkdtempSync(path.join(tmpdir(), 'callctl-sipp-'))
      const messages = path.join(trace, 'messages.log')
      const p = await start('uas-refer.xml', ['-trace_msg', '-message_file', messages])
      const transferred = await cli('transfer', '0201111111', '--json')
      expect(transferred.exitCode).toBe(0)
      expect(JSON.parse(transferred.stdout).call).toMatchObject({
        state: 'ended',
        transferredTo: '0201111111',
        endReason: 'Call transfered',
        result: 'answered',
      })
      const {exitCode} = await sipp!.process
      expect(exitCode).toBe(0)
      expect(readFileSync(messages, 'utf8')).toMatch(
        new RegExp(`^Refer-To: <?sip:0201111111@127\\.0\\.0\\.1:${p.peer}>?\\r?$`, 'm'),
      )
      const events = listener!.lines.filter((line) => line.kind === 'event').map((line) => line.type)
      expect(events).toEqual(['outgoing', 'active', 'transferred', 'end'])
    }, 60_000)
  })
})
