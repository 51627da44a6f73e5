import {parseFast} from '../../src/cli/fast-path.js'
import {runCli} from '../helpers/cli.js'
import {setConfig} from '../helpers/config.js'
import {type ListenerProcess, startListenerProcess} from '../helpers/listener-process.js'
import {tempConfigDir} from '../helpers/paths.js'
import {startWebhookReceiver} from '../helpers/webhook-receiver.js'

describe('callctl hold, resume, transfer, dtmf, mute, unmute, reject against a real listener process', () => {
  let configDir: string
  let listener: ListenerProcess
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>
  const cli = (...args: string[]) => runCli([...args, '--port', String(listener.port)], configDir)
  const post = async (path: string) => (await fetch(`${listener.url}${path}`, {method: 'POST'})).json() as Promise<any>

  beforeAll(async () => {
    configDir = tempConfigDir()
    receiver = await startWebhookReceiver()
    await setConfig(configDir, {
      'driver.sim.answerAfterMs': '0',
      'notifications.end': `${receiver.url}/end?n={CALLERNUM}&result={RESULT}&duration={DURATION}&reason={REASON}`,
      'notifications.missed': `${receiver.url}/missed?n={CALLERNUM}&started={STARTED}&ended={ENDED}`,
      callbacks: JSON.stringify([{url: `${receiver.url}/wildix?event={EVENT}&to={TRANSFERTO}`, events: ['updated']}]),
    })
    listener = await startListenerProcess(configDir)
  })
  afterAll(async () => {
    await listener?.stop()
    await receiver?.close()
  })
  beforeEach(() => {
    receiver.received.length = 0
  })

  test('each action prints the call it acted on; --json prints it as JSON', async () => {
    const {call} = await post('/make/020123456')
    expect((await cli('hold')).stdout).toBe(`Held 020123456 (call ${call.id}, outgoing held)`)
    expect((await cli('resume', '--call', call.id)).stdout).toBe(`Resumed 020123456 (call ${call.id}, outgoing active)`)
    expect(JSON.parse((await cli('mute', '--json')).stdout)).toMatchObject({ok: true, call: {id: call.id, muted: true}})
    expect((await cli('status')).stdout).toContain(`(call ${call.id}, outgoing active) (muted)`)
    expect((await cli('unmute')).stdout).toBe(`Unmuted 020123456 (call ${call.id}, outgoing active)`)
    expect((await cli('dtmf', '1,2#')).stdout).toBe(`Sent DTMF on 020123456 (call ${call.id}, outgoing active)`)
    const transferred = await cli('transfer', '+31 20 111 1111')
    expect(transferred).toMatchObject({exitCode: 0, stderr: ''})
    expect(transferred.stdout).toBe(
      `Transferred to +31201111111: 020123456 (call ${call.id}, outgoing ended, transferred to +31201111111)`,
    )
    // Wildix `updated` on hold, resume and transfer (and mute, which changes the call); `end` carries the journal.
    const urls = (await receiver.waitFor(7)).map((request) => request.url)
    expect(urls.filter((url) => url.startsWith('/wildix'))).toEqual([
      '/wildix?event=active&to=',
      '/wildix?event=held&to=',
      '/wildix?event=resumed&to=',
      '/wildix?event=updated&to=',
      '/wildix?event=updated&to=',
      '/wildix?event=transferred&to=%2B31201111111',
    ])
    // Each CLI run takes a few hundred ms: the call was talked on for a second or so.
    expect(urls.filter((url) => url.startsWith('/end'))).toEqual([
      expect.stringMatching(
        /^\/end\?n=020123456&result=answered&duration=[0-9]&reason=transferred%20to%20%2B31201111111$/,
      ),
    ])
  })

  test('reject declines a ringing call; a missed call goes to the `missed` URL, not to `end`', async () => {
    await post('/notify/incoming?number=0612345678&call=rej')
    expect((await cli('reject')).stdout).toBe('Rejected 0612345678 (call rej, incoming ended, declined)')
    await post('/notify/incoming?number=0687654321&call=gone')
    await post('/notify/end?call=gone&reason=caller%20gave%20up')
    const urls = (await receiver.waitFor(2)).map((request) => request.url).sort()
    expect(urls[0]).toBe('/end?n=0612345678&result=rejected&duration=0&reason=declined')
    expect(urls[1]).toMatch(/^\/missed\?n=0687654321&started=2\d{3}-.+Z&ended=2\d{3}-.+Z$/)
  })

  test('a wrong state exits 4 with the reason; a wrong value is refused before it reaches the listener', async () => {
    const held = await cli('resume')
    expect(held.exitCode).toBe(4)
    expect(held.stderr).toMatch(/No held call to resume/)
    const bad = await cli('dtmf', '12x')
    expect(bad.exitCode).toBe(4)
    expect(bad.stderr).toMatch(/Invalid DTMF "12x": use 1 to 64 of 0-9 \* # A-D/)
    expect(bad.stderr).not.toMatch(/\n\s+at /)
    const missing = await runCli(['transfer'], configDir)
    expect(missing.exitCode).toBe(2)
  })

  test('the actions take the fast path, with the same flags as answer and end', () => {
    expect(parseFast(['hold', '--call', 'x'])).toEqual({command: 'hold', flags: {call: 'x'}, positional: []})
    expect(parseFast(['transfer', '201', '-p', '1'])).toEqual({
      command: 'transfer',
      flags: {port: 1},
      positional: ['201'],
    })
    expect(parseFast(['dtmf', '12#', '--json'])).toMatchObject({command: 'dtmf', positional: ['12#']})
    expect(parseFast(['transfer'])).toBeUndefined()
    expect(parseFast(['hold', '5'])).toBeUndefined()
    expect(parseFast(['mute', '--help'])).toBeUndefined()
  })

  test('a softphone hook reports hold, resume and a transfer with notify', async () => {
    await post('/notify/incoming?number=0655555555&call=hook-1')
    await post('/notify/active?call=hook-1')
    expect((await cli('notify', 'held', '--call', 'hook-1')).stdout).toMatch(/^Reported held: .*incoming held\)$/)
    expect((await cli('notify', 'resumed', '--call', 'hook-1')).stdout).toMatch(/incoming active\)$/)
    const moved = await cli('notify', 'transferred', '--call', 'hook-1', '--to', '201', '--json')
    expect(JSON.parse(moved.stdout).call).toMatchObject({transferredTo: '201', state: 'active'})
    expect((await cli('notify', 'end', '--call', 'hook-1', '--reason', 'transferred')).exitCode).toBe(0)
  })

  test('help lists the action commands', async () => {
    const help = await runCli(['--help'], configDir)
    for (const name of ['hold', 'resume', 'transfer', 'dtmf', 'mute', 'unmute', 'reject']) {
      expect(help.stdout).toMatch(new RegExp(`^\\s+${name}\\s`, 'm'))
    }
  })
})
