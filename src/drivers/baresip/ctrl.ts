import {EventEmitter} from 'node:events'
import {connect, type Socket} from 'node:net'

import {encodeNetstring, NetstringDecoder} from './netstring.js'

export interface BaresipEvent {
  event: true
  type: string
  class?: string
  direction?: string
  peeruri?: string
  peerdisplayname?: string
  id?: string
  param?: string
  accountaor?: string
}

export interface BaresipResponse {
  response: true
  ok: boolean
  data: string
  token?: string
}

const EVENT_FIELDS = ['class', 'direction', 'peeruri', 'peerdisplayname', 'id', 'param', 'accountaor'] as const

/**
 * A ctrl_tcp message as baresip sends it, or undefined for JSON of another shape. Fields of the wrong type are left
 * out rather than trusted: a peer's reply is input like a request.
 */
export function parseCtrlMessage(message: unknown): BaresipEvent | BaresipResponse | undefined {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return undefined
  const record = message as Record<string, unknown>
  if (record.event === true && typeof record.type === 'string') {
    const event: BaresipEvent = {event: true, type: record.type}
    for (const field of EVENT_FIELDS) if (typeof record[field] === 'string') event[field] = record[field]
    return event
  }

  if (record.response === true && typeof record.ok === 'boolean') {
    return {
      response: true,
      ok: record.ok,
      data: typeof record.data === 'string' ? record.data : '',
      ...(typeof record.token === 'string' && {token: record.token}),
    }
  }

  return undefined
}

/** Why a connection attempt did not give a usable ctrl_tcp. `refused` means nothing listens there. */
export class CtrlConnectError extends Error {
  constructor(
    message: string,
    readonly reason: 'refused' | 'not-ctrl-tcp' | 'timeout',
  ) {
    super(message)
    this.name = 'CtrlConnectError'
  }
}

/** Why a verified connection ended: `peerClosed` when baresip closed it cleanly, `garbled` when it sent garbage. */
export interface CtrlDown {
  reason: string
  peerClosed: boolean
  garbled: boolean
}

interface Pending {
  resolve: (response: BaresipResponse) => void
  reject: (error: Error) => void
  timer: NodeJS.Timeout
}

/**
 * One ctrl_tcp connection at a time. A connection counts only once baresip has answered a harmless command (a
 * port that accepts TCP may be anything: baresip's SIP/TLS port, an HTTP server). Emits `event` for baresip
 * events, `alive` for every message, and `down` (with the reason) when a verified connection is lost. Commands are matched to responses by
 * token and time out, since baresip does not answer malformed ones.
 */
export class CtrlConnection extends EventEmitter {
  #socket?: Socket
  #send?: (command: string, params: string | undefined, timeoutMs: number) => Promise<BaresipResponse>
  #counter = 0
  /** Events of a connection whose `listcalls` reply the caller has not taken in yet. */
  #held: BaresipEvent[] | undefined

  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super()
  }

  get connected(): boolean {
    return this.#socket !== undefined
  }

  /** The local port of the current connection (to tell it from other clients of the same ctrl_tcp). */
  get localPort(): number | undefined {
    return this.#socket?.localPort
  }

  /**
   * Connects and verifies that ctrl_tcp answers: resolves with baresip's reply to `listcalls` (the live calls), or
   * throws CtrlConnectError saying what was found instead. Events are held until release().
   */
  async connect(timeoutMs: number): Promise<BaresipResponse> {
    if (this.#socket) throw new Error('already connected')
    const where = `${this.host}:${this.port}`
    this.#held = []
    // A command is one small write that baresip answers: Nagle's wait for an ACK would only delay the INVITE.
    const socket = connect({host: this.host, port: this.port, noDelay: true})
    const pending = new Map<string, Pending>()
    const decoder = new NetstringDecoder()
    let verified = false
    let peerClosed = false
    let failure: Error | undefined
    /** The peer sent what baresip never sends (as opposed to a network error). */
    let garbled = false

    const rejectAll = (error: Error) => {
      for (const [token, entry] of pending) {
        clearTimeout(entry.timer)
        pending.delete(token)
        entry.reject(error)
      }
    }

    socket.on('data', (chunk: Buffer) => {
      let messages: unknown[]
      try {
        messages = decoder.push(chunk)
      } catch (error) {
        failure = error as Error
        garbled = true
        socket.destroy()
        return
      }

      for (const raw of messages) {
        const message = parseCtrlMessage(raw)
        if (!message) {
          // JSON that no baresip sends: with a non-object this is not ctrl_tcp at all.
          if (typeof raw !== 'object' || raw === null) {
            failure = new Error(`a message that is not a ctrl_tcp object: ${JSON.stringify(raw).slice(0, 40)}`)
            garbled = true
            socket.destroy()
            return
          }

          continue
        }

        if (verified) this.emit('alive')
        if ('event' in message) {
          // Held until the caller has read the `listcalls` reply (see release()), so that it is not older news.
          if (this.#held) this.#held.push(message)
          else this.emit('event', message)
          continue
        }

        const entry = message.token === undefined ? undefined : pending.get(message.token)
        if (!entry) continue
        clearTimeout(entry.timer)
        pending.delete(message.token!)
        entry.resolve(message)
      }
    })
    socket.on('end', () => {
      peerClosed = true
    })
    socket.on('error', (error) => {
      failure ??= error
    })
    socket.on('close', () => {
      const reason = failure ? failure.message : peerClosed ? 'baresip closed the connection' : 'the connection closed'
      rejectAll(new Error(`connection to baresip lost (${reason})`))
      if (this.#socket !== socket) return
      this.#socket = undefined
      this.#send = undefined
      this.emit('down', {reason, peerClosed: peerClosed && !failure, garbled} satisfies CtrlDown)
    })

    const send = async (command: string, params: string | undefined, ms: number) =>
      new Promise<BaresipResponse>((resolve, reject) => {
        if (socket.destroyed) {
          reject(new Error('connection to baresip lost'))
          return
        }

        const token = `callctl-${++this.#counter}`
        const timer = setTimeout(() => {
          pending.delete(token)
          reject(new Error(`no answer to "${command}" within ${ms} ms`))
        }, ms)
        pending.set(token, {resolve, reject, timer})
        const message = params === undefined ? {command, token} : {command, params: String(params), token}
        socket.write(encodeNetstring(message))
      })

    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          failure ??= new Error(`no TCP connection within ${timeoutMs} ms`)
          socket.destroy()
        }, timeoutMs)
        socket.once('connect', () => {
          clearTimeout(timer)
          resolve()
        })
        socket.once('close', () => {
          clearTimeout(timer)
          reject(failure ?? new Error('the connection closed'))
        })
      })
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      throw new CtrlConnectError(
        code === 'ECONNREFUSED'
          ? `nothing listens on ${where}`
          : `cannot connect to ${where}: ${(error as Error).message}`,
        code === 'ECONNREFUSED' ? 'refused' : 'timeout',
      )
    }

    let listing: BaresipResponse
    try {
      listing = await send('listcalls', undefined, timeoutMs)
    } catch (error) {
      socket.destroy()
      const timedOut = /^no answer/.test((error as Error).message)
      throw new CtrlConnectError(
        timedOut
          ? `${where} accepted a connection but did not answer a ctrl_tcp command within ${timeoutMs} ms: is it baresip's ctrl_tcp port?`
          : `${where} is not baresip's ctrl_tcp: ${failure ? `it sent ${failure.message}` : peerClosed ? 'it closed the connection without answering' : (error as Error).message}`,
        'not-ctrl-tcp',
      )
    }

    verified = true
    this.#socket = socket
    this.#send = send
    return listing
  }

  /** Emits the events that came while the connection was being checked; from now on each is emitted as it comes. */
  release(): void {
    const held = this.#held ?? []
    this.#held = undefined
    for (const event of held) this.emit('event', event)
  }

  /** Sends a command; params are always a JSON string (a number crashes baresip 1.0). */
  async command(command: string, params?: string, timeoutMs = 3000): Promise<BaresipResponse> {
    if (!this.#socket || !this.#send) throw new Error('not connected')
    return this.#send(command, params, timeoutMs)
  }

  close(): void {
    const socket = this.#socket
    this.#socket = undefined
    this.#send = undefined
    // Its close handler rejects the commands still waiting on it.
    socket?.destroy()
  }
}
