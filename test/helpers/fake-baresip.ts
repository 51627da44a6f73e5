import {createServer, type Server, type Socket} from 'node:net'

import {encodeNetstring, NetstringDecoder} from '../../src/drivers/baresip/netstring.js'

/** What the fake does with a `dial`: report the call and answer it, report it only, refuse it, or stay silent. */
export type DialBehaviour = 'answer' | 'ring' | 'refuse' | 'silent'

export interface FakeBaresip {
  port: number
  /** Every command received, in order (`dial sip:1@x`, `listcalls`). */
  commands: string[]
  /** Connections accepted so far (each one replaces the one before, as in baresip 1.0). */
  connections: number
  /** How a dial of a URI containing this text behaves; default `answer`. */
  onDial: Map<string, DialBehaviour>
  /** Live calls: id → peer URI. */
  calls: Map<string, string>
  /** Commands answered ok that then do nothing (a baresip that says ok to a hangup it does not carry out). */
  inert: Set<string>
  /** Stops answering anything (a hung baresip). */
  stall(): void
  /** Writes these bytes to the connected client as they are. */
  send(raw: string | Buffer): void
  event(fields: Record<string, unknown>): void
  /** baresip is gone: the port closes and the client's connection with it. */
  stop(): Promise<void>
  /** baresip is back on the same port, with no calls. */
  start(): Promise<void>
  close(): Promise<void>
}

/**
 * A ctrl_tcp server in the test: netstring JSON both ways, one client at a time (a new connection closes the previous
 * one), events before the response as baresip sends them, and `listcalls` naming each call by its peer URI.
 */
export async function startFakeBaresip(port = 0): Promise<FakeBaresip> {
  let server: Server
  let client: Socket | undefined
  let stalled = false
  let counter = 0
  /** The call `callfind` made current; else the newest is. */
  let current: string | undefined
  const sockets = new Set<Socket>()
  const fake: FakeBaresip = {
    port,
    commands: [],
    connections: 0,
    onDial: new Map(),
    calls: new Map(),
    inert: new Set(),
    stall: () => {
      stalled = true
    },
    send: (raw) => client?.write(raw),
    event: (fields) => client?.write(encodeNetstring({event: true, class: 'call', ...fields})),
    async stop() {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
      client = undefined
      fake.calls.clear()
    },
    async start() {
      stalled = false
      await listen(fake.port)
    },
    async close() {
      if (server.listening) await fake.stop()
    },
  }

  function reply(socket: Socket, token: unknown, ok: boolean, data = ''): void {
    socket.write(encodeNetstring({response: true, ok, data, ...(token === undefined ? {} : {token})}))
  }

  function handle(socket: Socket, message: {command?: string; params?: string; token?: unknown}): void {
    if (stalled || typeof message.command !== 'string') return
    fake.commands.push(message.params === undefined ? message.command : `${message.command} ${message.params}`)
    const send = (fields: Record<string, unknown>) =>
      socket.write(encodeNetstring({event: true, class: 'call', direction: 'outgoing', ...fields}))
    if (fake.inert.has(message.command)) {
      reply(socket, message.token, true)
      return
    }

    switch (message.command) {
      case 'listcalls': {
        const lines = [...fake.calls.values()].map(
          (uri, index) => `> [line ${index + 1}]  0:00:01   ESTABLISHED  ${uri}`,
        )
        reply(socket, message.token, true, `\n--- Active calls (${fake.calls.size}) ---\n${lines.join('\n')}\n`)
        break
      }

      case 'dial': {
        // As baresip 1.0's ua_uri_complete: a URI that holds no `sip:` gets it prepended.
        const uri = (message.params ?? '').includes('sip:') ? (message.params ?? '') : `sip:${message.params ?? ''}`
        const behaviour = [...fake.onDial].find(([text]) => uri.includes(text))?.[1] ?? 'answer'
        if (behaviour === 'refuse') {
          reply(socket, message.token, false, 'could not dial')
          break
        }

        const id = `fake-${++counter}`
        if (behaviour !== 'silent') {
          fake.calls.set(id, uri)
          // As baresip does: the first event has no id, the next ones come before the command's response.
          socket.write(encodeNetstring({event: true, class: 'other', type: 'CALL_LOCAL_SDP', peeruri: uri}))
          send({type: 'CALL_RINGING', peeruri: uri, id})
        }

        reply(socket, message.token, true)
        if (behaviour === 'answer') setTimeout(() => send({type: 'CALL_ESTABLISHED', peeruri: uri, id}), 20)
        break
      }

      case 'callfind': {
        // baresip: "setting current call: <id>"; hangup and accept then act on it.
        // An unknown id: ok all the same, and the current call stays what it was.
        const found = fake.calls.has(String(message.params))
        current = found ? String(message.params) : current
        reply(
          socket,
          message.token,
          true,
          found ? `setting current call: ${message.params}\n` : `call not found (id=${message.params})\n`,
        )
        break
      }

      case 'hangup': {
        const [id, uri] =
          current && fake.calls.has(current) ? [current, fake.calls.get(current)] : ([...fake.calls].at(-1) ?? [])
        current = undefined
        if (id) {
          fake.calls.delete(id)
          send({type: 'CALL_CLOSED', peeruri: uri, id, param: 'Connection reset by user'})
        }

        reply(socket, message.token, true)
        break
      }

      case 'hold':
      case 'resume':
      case 'mute':
      case 'sndcode': {
        reply(socket, message.token, true)
        break
      }

      case 'transfer': {
        // As baresip 1.0 does once the NOTIFY says the target answered.
        const [id, uri] =
          current && fake.calls.has(current) ? [current, fake.calls.get(current)] : ([...fake.calls].at(-1) ?? [])
        reply(socket, message.token, true)
        if (id) {
          fake.calls.delete(id)
          setTimeout(() => send({type: 'CALL_CLOSED', peeruri: uri, id, param: 'Call transfered'}), 20)
        }

        break
      }

      default: {
        reply(socket, message.token, message.command === 'accept', `command not found (${message.command})`)
      }
    }
  }

  async function listen(at: number): Promise<void> {
    server = createServer((socket) => {
      fake.connections++
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => {})
      client?.destroy()
      client = socket
      const decoder = new NetstringDecoder()
      socket.on('data', (chunk: Buffer) => {
        try {
          for (const message of decoder.push(chunk)) handle(socket, message as {command?: string})
        } catch {
          // baresip ignores what it cannot parse.
        }
      })
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(at, '127.0.0.1', () => resolve())
    })
    fake.port = (server.address() as {port: number}).port
  }

  await listen(port)
  return fake
}
