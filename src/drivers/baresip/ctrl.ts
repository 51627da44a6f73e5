import {EventEmitter} from 'node:events'
import {connect, type Socket} from 'node:net'

import {encodeNetstring, NetstringDecoder} from './netstring.js'

export interface BaresipEvent {
  event: true
  type: string
  class?: string
  direction?: 'incoming' | 'outgoing'
  peeruri?: string
  peerdisplayname?: string
  id?: string
  param?: string
  accountaor?: string
}

interface BaresipResponse {
  response: true
  ok: boolean
  data?: string
  token?: string
}

/**
 * One ctrl_tcp connection. Emits `event` for baresip events, `up` when connected and `down` when the connection is
 * lost. Commands are matched to responses by token and time out, since baresip does not answer malformed ones.
 */
export class CtrlConnection extends EventEmitter {
  #socket?: Socket
  #pending = new Map<
    string,
    {resolve: (r: BaresipResponse) => void; reject: (e: Error) => void; timer: NodeJS.Timeout}
  >()
  #counter = 0

  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super()
  }

  get connected(): boolean {
    return this.#socket !== undefined
  }

  async connect(timeoutMs = 1000): Promise<void> {
    const socket = connect({host: this.host, port: this.port})
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => socket.destroy(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs)
      socket.once('connect', () => {
        clearTimeout(timer)
        resolve()
      })
      socket.once('error', (error) => {
        clearTimeout(timer)
        reject(error)
      })
    })
    const decoder = new NetstringDecoder()
    socket.on('data', (chunk: Buffer) => {
      let messages: unknown[]
      try {
        messages = decoder.push(chunk)
      } catch (error) {
        socket.destroy(error as Error)
        return
      }

      for (const message of messages) this.#dispatch(message as BaresipEvent | BaresipResponse)
    })
    socket.on('error', () => {})
    socket.on('close', () => {
      if (this.#socket !== socket) return
      this.#socket = undefined
      for (const [token, pending] of this.#pending) {
        clearTimeout(pending.timer)
        pending.reject(new Error('connection to baresip lost'))
        this.#pending.delete(token)
      }

      this.emit('down')
    })
    this.#socket = socket
    this.emit('up')
  }

  /** Sends a command; params are always a JSON string (a number crashes baresip 1.0). */
  async command(command: string, params?: string, timeoutMs = 3000): Promise<BaresipResponse> {
    const socket = this.#socket
    if (!socket) throw new Error('not connected')
    const token = `callctl-${++this.#counter}`
    const message = params === undefined ? {command, token} : {command, params: String(params), token}
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(token)
        reject(new Error(`no answer to "${command}" within ${timeoutMs} ms`))
      }, timeoutMs)
      this.#pending.set(token, {resolve, reject, timer})
      socket.write(encodeNetstring(message))
    })
  }

  close(): void {
    const socket = this.#socket
    this.#socket = undefined
    socket?.destroy()
  }

  #dispatch(message: BaresipEvent | BaresipResponse): void {
    if ('event' in message && message.event) {
      this.emit('event', message)
      return
    }

    if ('response' in message && message.token) {
      const pending = this.#pending.get(message.token)
      if (!pending) return
      clearTimeout(pending.timer)
      this.#pending.delete(message.token)
      pending.resolve(message)
    }
  }
}
