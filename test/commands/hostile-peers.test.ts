import {execa} from 'execa'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

import {runCli} from '../helpers/cli.js'
import {startListenerProcess} from '../helpers/listener-process.js'
import {RUN_JS, tempConfigDir} from '../helpers/paths.js'
import {setConfig} from '../helpers/config.js'

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{server: Server; port: string}> {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {server, port: String((server.address() as AddressInfo).port)}
}

describe('the CLI against peers that are not (or no longer) a well-behaved callctl', () => {
  test.each([
    ['a 200 with another shape', 200, '{"ok":true}'],
    ['a 200 with null', 200, 'null'],
    ['a 409 with null', 409, 'null'],
    ['a 200 status without calls', 200, '{"calls":null}'],
  ])('%s: not a callctl listener (exit 3), never an unexpected error', async (_, status, body) => {
    const {server, port} = await serve((_req, res) =>
      res.writeHead(status, {'content-type': 'application/json'}).end(body),
    )
    try {
      for (const args of [['make', '0201'], ['status'], ['answer', '--json']]) {
        const result = await runCli([...args, '--port', port], tempConfigDir())
        expect(result.exitCode).toBe(3)
        expect(`${result.stdout}${result.stderr}`).toContain('ERR_NOT_CALLCTL')
      }
    } finally {
      server.close()
    }
  })

  test('an error message with escape sequences from the network is shown escaped', async () => {
    const message = 'bad \u001B]0;owned\u0007 \u001B[2J\r\nFake: line'
    const body = JSON.stringify({ok: false, error: {code: 'ERR_X', message}})
    // A callctl (it says so at `/`, where make asks first) that answers make with a hostile message.
    const {server, port} = await serve((req, res) =>
      req.url === '/'
        ? res.writeHead(200, {'content-type': 'application/json', 'content-length': 18}).end('{"name":"callctl"}')
        : res.writeHead(400, {'content-type': 'application/json', 'content-length': Buffer.byteLength(body)}).end(body),
    )
    try {
      const result = await runCli(['make', '0201', '--port', port], tempConfigDir())
      expect(result.exitCode).toBe(4)
      expect(result.stderr).not.toContain('\u001B')
      expect(result.stderr).toContain('bad \\u001b]0;owned\\u0007 \\u001b[2J\\u000d\\u000aFake: line')
    } finally {
      server.close()
    }
  })

  test('an answer to `/` that claims callctl without a Content-Length is not callctl, at once (no wait for a close)', async () => {
    // Keeps the connection open and never says where its answer ends: the identity check cannot wait for the end.
    const {server, port} = await serve((_req, res) => {
      res.writeHead(200, {'content-type': 'application/json'})
      res.write('{"name":"callctl"}')
    })
    try {
      const started = performance.now()
      const result = await runCli(['make', '0201', '--port', port], tempConfigDir())
      expect(result.exitCode).toBe(3)
      expect(result.stderr).toContain('ERR_NOT_CALLCTL')
      // The client's own timeout is 10 s.
      expect(performance.now() - started).toBeLessThan(5000)
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })

  test('make sends its number on the connection of the identity check: one TCP handshake, not two', async () => {
    const connections: string[][] = []
    const server = createServer((req, res) => {
      const body = req.url === '/' ? '{"name":"callctl"}' : '{"call":{"id":"c1","state":"dialing","number":"0201"}}'
      res.writeHead(200, {'content-type': 'application/json', 'content-length': Buffer.byteLength(body)}).end(body)
    })
    server.on('connection', (socket) => {
      const requests: string[] = []
      connections.push(requests)
      socket.on('data', (chunk: Buffer) => requests.push(...(chunk.toString().match(/^[A-Z]+ \S+/gm) ?? [])))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const result = await runCli(
        ['make', '0201', '--port', String((server.address() as AddressInfo).port)],
        tempConfigDir(),
      )
      expect(result.exitCode).toBe(0)
      expect(connections).toEqual([['GET /', 'POST /make/0201']])
    } finally {
      server.close()
    }
  })

  test('events: messages that are not call events are skipped, the ones around them kept', async () => {
    const event = (number: string) =>
      JSON.stringify({
        id: number,
        type: 'incoming',
        at: new Date().toISOString(),
        call: {id: `c-${number}`, number, name: '', state: 'ringing', direction: 'incoming'},
        variables: {},
      })
    const stream = [event('1'), 'not json at all', 'null', '5', '[]', '{"type":"end","call":null}', event('2')]
      .map((data) => `data: ${data}\n\n`)
      .join('')
    const {server, port} = await serve((_req, res) => {
      res.writeHead(200, {'content-type': 'text/event-stream'})
      res.end(stream)
    })
    try {
      const json = await runCli(['events', '--json', '--port', port], tempConfigDir())
      const lines = json.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as {call?: {number: string}; ok?: boolean})
      expect(lines.slice(0, 2).map((line) => line.call?.number)).toEqual(['1', '2'])
      expect(lines[2]).toMatchObject({ok: false, error: {code: 'ERR_LISTENER_STOPPED'}})
      const people = await runCli(['events', '--port', port], tempConfigDir())
      expect(people.exitCode).toBe(json.exitCode)
      expect(people.stdout.split('\n')).toHaveLength(2)
    } finally {
      server.close()
    }
  })
})

test('a listener stopped while a command is in flight: it answers within its grace time and stops cleanly (exit 0, all logged); the client is told the truth', async () => {
  const configDir = tempConfigDir()
  await setConfig(configDir, {
    'driver.name': 'command',
    'driver.command.make': '["sleep","1"]',
    'driver.command.timeoutMs': '20000',
  })
  const listener = await startListenerProcess(configDir)
  const made = execa(process.execPath, [RUN_JS, 'make', '0201', '--port', String(listener.port), '--json'], {
    env: {CALLCTL_CONFIG_DIR: configDir},
    reject: false,
  })
  await listener.waitForLine((line) => line.kind === 'driver' || line.kind === 'request', 3000).catch(() => undefined)
  await new Promise((resolve) => setTimeout(resolve, 300))
  listener.process.kill('SIGTERM')
  const [result, stopped] = await Promise.all([made, listener.process])
  // sleep 1 ends within the 2 s grace: the call was made and the client hears so.
  expect(JSON.parse(result.stdout)).toMatchObject({ok: true, call: {number: '0201'}})
  expect(stopped.exitCode).toBe(0)
  expect(listener.lines.at(-1)).toEqual({kind: 'stopped'})
  expect(listener.lines.some((line) => line.kind === 'request' && line.path === '/make/0201')).toBe(true)
})

test('a listener that closes the connection without answering: the client says the command may have been carried out', async () => {
  const {server, port} = await serve((req) => req.socket.end())
  try {
    const result = await runCli(['make', '0201', '--port', port, '--json'], tempConfigDir())
    expect(result.exitCode).toBe(3)
    expect(JSON.parse(result.stdout)).toMatchObject({
      ok: false,
      error: {code: 'ERR_LISTENER_CUT_OFF', hints: [expect.stringContaining('may have been carried out')]},
    })
  } finally {
    server.close()
  }
})
