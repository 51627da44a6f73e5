import {spawn} from 'node:child_process'
import {createServer, type Server, type Socket} from 'node:net'

import {ListenerClient} from '../../src/client.js'
import {loadConfig} from '../../src/settings.js'
import {runCli} from '../helpers/cli.js'
import {setConfig} from '../helpers/config.js'
import {RUN_JS, tempConfigDir} from '../helpers/paths.js'
import {closedPort} from '../helpers/ports.js'

// The hostile test of the one-connection client (2026-12-03): peers on the port that trickle, flood or answer
// unasked, and exit codes that must survive. The client is driven in process where its timeout is the point (a
// short one keeps the test fast); everything else goes through the real bin/run.js.

const IDENTITY = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 18\r\n\r\n{"name":"callctl"}'

async function rawServer(onConnection: (socket: Socket) => void): Promise<{server: Server; port: number}> {
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    onConnection(socket)
  })
  server.on('close', () => {
    for (const socket of sockets) socket.destroy()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {server, port: (server.address() as {port: number}).port}
}

function answer(body: string): string {
  return `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
}

const client = (port: number, timeoutMs = 10_000) =>
  new ListenerClient({port, timeoutMs}, loadConfig(`${tempConfigDir()}/config.json`))

describe('the client against hostile peers (one connection for the identity check and the command)', () => {
  test('a peer that trickles its answer a byte at a time is given up on at the timeout, in all', async () => {
    const {server, port} = await rawServer((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\n')
        const drip = setInterval(() => socket.write('X'), 50)
        // Bounded, so that a client that waits for the end still ends (and fails this test) instead of hanging it.
        setTimeout(() => socket.end(), 3000)
        socket.on('close', () => clearInterval(drip))
      })
    })
    try {
      const started = performance.now()
      await expect(client(port, 400).status()).rejects.toMatchObject({code: 'ERR_LISTENER_TIMEOUT'})
      expect(performance.now() - started).toBeLessThan(2000)
    } finally {
      server.close()
    }
  })

  test('a peer that streams an endless answer is not callctl once it is past any answer of a listener', async () => {
    const {server, port} = await rawServer((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n')
        const chunk = Buffer.alloc(64 * 1024, 'x')
        // 16 MB, four times the most an answer may have; then the peer only holds the connection open.
        let left = 256
        const flood = () => {
          while (left-- > 0 && !socket.destroyed && socket.write(chunk));
        }

        socket.on('drain', flood)
        flood()
      })
    })
    try {
      await expect(client(port).status()).rejects.toMatchObject({code: 'ERR_NOT_CALLCTL'})
    } finally {
      server.close()
    }
  })

  test('a second answer sent unasked behind the identity answer is not taken for the answer to make', async () => {
    const requests: string[][] = []
    const {server, port} = await rawServer((socket) => {
      const seen: string[] = []
      requests.push(seen)
      socket.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString().match(/^[A-Z]+ \S+/gm) ?? []) {
          seen.push(line)
          if (line === 'GET /') {
            socket.write(IDENTITY)
            // A stale answer nobody asked for, before make is sent.
            socket.write(answer('{"call":{"id":"stale","state":"dialing","number":"1"}}'))
          } else {
            socket.end(answer('{"call":{"id":"real","state":"dialing","number":"0201"}}'))
          }
        }
      })
    })
    try {
      const call = await client(port).make('0201')
      expect(call.id).toBe('real')
      expect(requests).toEqual([['GET /'], ['POST /make/0201']])
    } finally {
      server.close()
    }
  })

  test('a status that only says callctl (no driver, no calls) is not a listener: exit 3, never exit 1', async () => {
    const {server, port} = await rawServer((socket) => socket.on('data', () => socket.end(IDENTITY)))
    try {
      for (const args of [['status'], ['status', '--json']]) {
        const result = await runCli([...args, '--port', String(port)], tempConfigDir())
        expect(result.exitCode).toBe(3)
        expect(`${result.stdout}${result.stderr}`).toContain('ERR_NOT_CALLCTL')
      }
    } finally {
      server.close()
    }
  })

  test('a call id too long for a request line is refused as such (exit 4), not blamed on the listener', async () => {
    const result = await runCli(
      ['end', '--call', 'a'.repeat(20_000), '--port', String(await closedPort())],
      tempConfigDir(),
    )
    expect(result.exitCode).toBe(4)
    expect(result.stderr).toContain('The call id is too long (20000 characters; at most 256)')
    expect(result.stderr).toContain('ERR_INVALID_CALL_ID')
  })

  test('make waits for the driver: its timeout is the client timeout plus the longest configured dial timeout', async () => {
    // The listener answers make after its driver placed the call, which baresip may take dialTimeoutMs to report.
    const configDir = tempConfigDir()
    await setConfig(configDir, {'driver.baresip.dialTimeoutMs': '700'})
    const {server, port} = await rawServer((socket) =>
      socket.on('data', (chunk: Buffer) => {
        if (chunk.toString().startsWith('GET / ')) socket.write(IDENTITY)
        else setTimeout(() => socket.end(answer('{"call":{"id":"c1","state":"dialing","number":"0201"}}')), 600)
      }),
    )
    try {
      const slow = new ListenerClient({port, timeoutMs: 300}, loadConfig(`${configDir}/config.json`))
      await expect(slow.make('0201')).resolves.toMatchObject({id: 'c1'})
      // answer is not make: it keeps the plain timeout.
      await expect(slow.answer()).rejects.toMatchObject({code: 'ERR_LISTENER_TIMEOUT'})
    } finally {
      server.close()
    }
  })

  test('a failure printed as --json to a reader that went away keeps its exit code', async () => {
    const port = String(await closedPort())
    for (const [args, code] of [
      [['make', '1', '--port', port, '--json'], 3],
      [['dial', 'abc', '--json'], 4],
      [['history', '--since', 'bogus', '--json'], 2],
    ] as const) {
      const child = spawn(process.execPath, [RUN_JS, ...args], {
        env: {...process.env, CALLCTL_CONFIG_DIR: tempConfigDir()},
        stdio: ['ignore', 'pipe', 'ignore'],
      })
      // The reader is gone before callctl prints anything (`| head -0`).
      child.stdout.destroy()
      const exit = await new Promise((resolve) => child.on('exit', resolve))
      expect(exit).toBe(code)
    }
  })
})
