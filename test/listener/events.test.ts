import {execa} from 'execa'
import {createInterface} from 'node:readline'

import {runCli} from '../helpers/cli.js'
import {setConfig} from '../helpers/config.js'
import {type ListenerProcess, startListenerProcess} from '../helpers/listener-process.js'
import {RUN_JS, tempConfigDir} from '../helpers/paths.js'
import {until} from '../helpers/wait.js'

const TOKEN = 'events-test-token-0123456789'

/** Reads Server-Sent Events from a real HTTP connection, as a web CRM's EventSource would. */
async function subscribe(url: string) {
  const stop = new AbortController()
  const response = await fetch(url, {signal: stop.signal})
  const messages: Array<{event: string; data: any}> = []
  const done = (async () => {
    let buffer = ''
    const decoder = new TextDecoder()
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk)
        let end: number
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end).split('\n')
          buffer = buffer.slice(end + 2)
          const event = block.find((line) => line.startsWith('event: '))?.slice(7)
          const data = block.find((line) => line.startsWith('data: '))?.slice(6)
          if (event && data) messages.push({event, data: JSON.parse(data)})
        }
      }
    } catch {}
  })()
  return {response, messages, close: () => stop.abort(), done}
}

describe('GET /events and callctl events against a real listener', () => {
  let listener: ListenerProcess
  let configDir: string
  const subscribers = async () =>
    ((await (await fetch(`${listener.url}/status?token=${TOKEN}`)).json()) as {subscribers: number}).subscribers

  beforeAll(async () => {
    configDir = tempConfigDir()
    await setConfig(configDir, {'sim.answerAfterMs': '0', 'security.token': TOKEN, 'user.number': '201'})
    listener = await startListenerProcess(configDir)
  })
  afterAll(async () => {
    await listener?.stop()
  })

  test('a stream of every call event with its call and the notification variables', async () => {
    const stream = await subscribe(`${listener.url}/events?token=${TOKEN}`)
    expect(stream.response.status).toBe(200)
    expect(stream.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect((await runCli(['make', '+31 20 123', '--port', String(listener.port)], configDir)).exitCode).toBe(0)
    expect((await runCli(['end', '--port', String(listener.port)], configDir)).exitCode).toBe(0)
    await until(() => stream.messages.length === 3)
    expect(stream.messages.map((message) => message.event)).toEqual(['outgoing', 'active', 'end'])
    expect(stream.messages[0].data).toMatchObject({
      type: 'outgoing',
      call: {number: '+3120123', direction: 'outgoing'},
      variables: {CALLERNUM: '+3120123', USERNUM: '201', CALLTYPE: 'outgoing', EVENT: 'outgoing'},
    })
    stream.close()
    await stream.done
  })

  test('the token is required, as on every route; the error is JSON', async () => {
    const response = await fetch(`${listener.url}/events`)
    expect(response.status).toBe(401)
    expect(((await response.json()) as any).error.code).toBe('ERR_TOKEN')
  })

  test('subscribers that go away are cleaned up', async () => {
    const streams = await Promise.all(
      Array.from({length: 20}, async () => subscribe(`${listener.url}/events?token=${TOKEN}`)),
    )
    await until(async () => (await subscribers()) === 20)
    for (const stream of streams) stream.close()
    await until(async () => (await subscribers()) === 0)
  })

  test('a subscriber that stops reading is dropped instead of piling up events; at most 100 streams', async () => {
    const {connect} = await import('node:net')
    const stalled = connect(listener.port, '127.0.0.1')
    await new Promise((resolve) => stalled.once('connect', resolve))
    stalled.write(`GET /events?token=${TOKEN} HTTP/1.1\r\nHost: 127.0.0.1:${listener.port}\r\n\r\n`)
    // Read nothing, ever.
    stalled.pause()
    await until(async () => (await subscribers()) === 1)
    const name = 'N'.repeat(120)
    const post = (path: string) =>
      fetch(`${listener.url}${path}`, {method: 'POST', headers: {authorization: `Bearer ${TOKEN}`}}).then((response) =>
        response.arrayBuffer(),
      )
    for (let round = 0; round < 400 && (await subscribers()) > 0; round++) {
      await Promise.all(
        Array.from({length: 10}, async (_, i) => {
          const id = `stall-${round}-${i}`
          await post(`/notify/incoming?number=0612345678&name=${name}&call=${id}`)
          await post(`/notify/end?call=${id}`)
        }),
      )
    }

    expect(await subscribers()).toBe(0)
    stalled.destroy()

    const streams = await Promise.all(
      Array.from({length: 100}, async () => subscribe(`${listener.url}/events?token=${TOKEN}`)),
    )
    const refused = await fetch(`${listener.url}/events?token=${TOKEN}`)
    expect(refused.status).toBe(503)
    expect(((await refused.json()) as any).error.code).toBe('ERR_TOO_MANY_SUBSCRIBERS')
    for (const stream of streams) stream.close()
    await until(async () => (await subscribers()) === 0)
  }, 60_000)

  test('callctl events --json follows the stream; Ctrl-C ends it with exit 0', async () => {
    const follower = execa(process.execPath, [RUN_JS, 'events', '--json', '--port', String(listener.port)], {
      env: {CALLCTL_CONFIG_DIR: configDir},
      reject: false,
    })
    const lines: string[] = []
    createInterface({input: follower.stdout!}).on('line', (line) => lines.push(line))
    await until(async () => (await subscribers()) === 1)
    await runCli(['notify', 'incoming', '0612345678', '--name', 'Alice', '--port', String(listener.port)], configDir)
    await until(() => lines.length === 1)
    expect(JSON.parse(lines[0])).toMatchObject({
      type: 'incoming',
      call: {number: '0612345678', name: 'Alice'},
      variables: {CALLERNAME: 'Alice'},
    })
    follower.kill('SIGINT')
    expect((await follower).exitCode).toBe(0)
    await until(async () => (await subscribers()) === 0)
    await fetch(`${listener.url}/end?token=${TOKEN}`)
  })

  test('callctl events prints a line per event for people', async () => {
    const follower = execa(process.execPath, [RUN_JS, 'events', '--port', String(listener.port)], {
      env: {CALLCTL_CONFIG_DIR: configDir, NO_COLOR: '1'},
      reject: false,
    })
    const lines: string[] = []
    createInterface({input: follower.stdout!}).on('line', (line) => lines.push(line))
    await until(async () => (await subscribers()) === 1)
    await runCli(['notify', 'incoming', '0612345678', '--port', String(listener.port)], configDir)
    await until(() => lines.length === 1)
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d incoming +0612345678 /)
    follower.kill('SIGINT')
    await follower
    await fetch(`${listener.url}/end?token=${TOKEN}`)
  })

  test('no listener: exit 3', async () => {
    const result = await runCli(['events', '--port', '1'], configDir)
    expect(result.exitCode).toBe(3)
    expect(result.stderr).toContain('No callctl listener is running on 127.0.0.1:1')
  })
})

describe('callctl events when the other side is not a running callctl', () => {
  test('the listener stops mid-stream: says so, exit 3', async () => {
    const configDir = tempConfigDir()
    const listener = await startListenerProcess(configDir)
    const follow = (json: string[]) =>
      execa(process.execPath, [RUN_JS, 'events', '--port', String(listener.port), ...json], {
        env: {CALLCTL_CONFIG_DIR: configDir, NO_COLOR: '1'},
        reject: false,
      })
    const [follower, jsonFollower] = [follow([]), follow(['--json'])]
    await until(
      async () => ((await (await fetch(`${listener.url}/status`)).json()) as {subscribers: number}).subscribers === 2,
    )
    await listener.stop()
    const [result, json] = await Promise.all([follower, jsonFollower])
    expect(result.exitCode).toBe(3)
    expect(result.stderr).toContain(`Error: The listener on 127.0.0.1:${listener.port} stopped`)
    // --json: the records so far, then the failure in the one error shape.
    expect(json.exitCode).toBe(3)
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      error: {code: 'ERR_LISTENER_STOPPED', message: `The listener on 127.0.0.1:${listener.port} stopped`},
    })
  })

  test('a listener that stops tells its subscribers that its live calls ended ("listener stopped") before the stream ends', async () => {
    const configDir = tempConfigDir()
    const listener = await startListenerProcess(configDir)
    const stream = await subscribe(`${listener.url}/events`)
    await until(
      async () => ((await (await fetch(`${listener.url}/status`)).json()) as {subscribers: number}).subscribers === 1,
    )
    await fetch(`${listener.url}/notify/incoming?number=0612345678`, {method: 'POST'})
    await until(async () => stream.messages.length === 1)
    await listener.stop()
    await stream.done
    expect(stream.messages.map(({event, data}) => [event, data.call.state, data.call.endReason])).toEqual([
      ['incoming', 'ringing', undefined],
      ['missed', 'ended', 'listener stopped'],
    ])
  })

  test('another program on the port: not a callctl listener, exit 3', async () => {
    const {createServer} = await import('node:http')
    const server = createServer((_req, res) => res.writeHead(404, {'content-type': 'text/html'}).end('<!DOCTYPE html>'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const result = await runCli(
        ['events', '--port', String((server.address() as {port: number}).port)],
        tempConfigDir(),
      )
      expect(result.exitCode).toBe(3)
      expect(result.stderr).toContain('is not a callctl listener (HTTP 404)')
    } finally {
      server.close()
    }
  })
})
