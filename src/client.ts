import type {Socket} from 'node:net'

import type {Call, CallEvent} from './engine/call.js'
import {MAX_NUMBER_LENGTH} from './engine/number.js'
import {isSipAddress, sipAddress} from './engine/sip-address.js'
import {CallctlError, ExitCode, type ExitCodeValue, isCallctlError, RequestError} from './errors.js'
import {storeFile} from './config/paths.js'
import {type Config, loadConfig} from './settings.js'

/** The in-call actions a client can ask for (README "In-call actions"). */
export type ActionCommand = 'reject' | 'hold' | 'resume' | 'transfer' | 'dtmf' | 'mute' | 'unmute'

export interface ClientOptions {
  /** Overrides the configured port. */
  port?: number
  timeoutMs?: number
}

/** A call event as `/events` streams it: the event, its call, and the template variables of its notifications. */
export interface StreamedEvent extends CallEvent {
  variables: Record<string, string>
}

interface ErrorBody {
  ok: false
  error: {code: string; message: string; hints?: string[]}
}

/**
 * Talks to the running listener, for `make`, `answer`, `end`, `notify` and `status`. Plain node:http: this is the
 * latency-critical path of every forwarding command. Never retries: a replayed `make` would dial twice.
 */
export class ListenerClient {
  readonly host: string
  readonly port: number
  readonly commands: Config['commands']
  readonly #timeoutMs: number
  /** make's: a driver may take its own dial timeout to place the call, and the listener answers after it. */
  readonly #makeTimeoutMs: number
  readonly #token: string | undefined
  /** The port answered `/` as callctl: the token and numbers may go there. */
  #identified = false
  /** The identity check's connection, left open for the command after it. */
  #open: Connection | undefined

  constructor(options: ClientOptions = {}, config: Config = loadConfig()) {
    // A listener bound to every interface is still reached over loopback.
    this.host = ['0.0.0.0', '::', ''].includes(config.host) ? '127.0.0.1' : config.host
    this.port = options.port ?? config.port
    this.commands = config.commands
    this.#timeoutMs = options.timeoutMs ?? 10_000
    this.#makeTimeoutMs = this.#timeoutMs + longestDialTimeout(config.driver)
    this.#token = config.security.token
  }

  get #where(): string {
    return `${this.host}:${this.port}`
  }

  /**
   * `make` with a link's `;ext=` (`?ext=`): the listener keys it in after answer where its driver can send DTMF
   * (`keyed`), else it only dials.
   */
  async makeWithExtension(number: string, ext: string): Promise<{call: Call; keyed: boolean}> {
    if (number.length > MAX_RAW_NUMBER) return {call: await this.make(number), keyed: false}
    await this.identify()
    const answer = await this.request<{call?: Call; ext?: {keyedAfterAnswer?: unknown}} | null>(
      'POST',
      `/${this.commands.make}/${encodeURIComponent(number)}${query({ext})}`,
      undefined,
      {timeoutMs: this.#makeTimeoutMs},
    )
    return {call: this.#callIn(answer), keyed: answer?.ext?.keyedAfterAnswer === true}
  }

  async make(number: string): Promise<Call> {
    // Far past any number with its decoration: the listener would refuse the request line itself, unanswered.
    if (number.length > MAX_RAW_NUMBER) {
      // An address says so itself: too long for an address, with its own limit.
      if (isSipAddress(number)) sipAddress(number)
      throw new RequestError(
        `Number too long (${number.length} characters): a number has at most ${MAX_NUMBER_LENGTH} digits`,
        'ERR_INVALID_NUMBER',
      )
    }

    await this.identify()
    return this.#call(`/${this.commands.make}/${encodeURIComponent(number)}`, undefined, this.#makeTimeoutMs)
  }

  /**
   * Asks whatever holds the port, without the token, whether it is a callctl listener (`GET /` answers its name to
   * anyone), before a number or the token is sent: another program that took the port gets neither. Asked once.
   */
  async identify(): Promise<void> {
    if (this.#identified) return
    let name: unknown
    try {
      name = (await this.request<{name?: unknown} | null>('GET', '/', undefined, {anonymous: true, keepOpen: true}))
        ?.name
    } catch (error) {
      this.#open?.close()
      // A refusal (any status not 2xx) is no answer of a callctl listener to `/`; no listener at all stays that.
      const refused =
        error instanceof CallctlError && (error.exit === ExitCode.refused || error.exit === ExitCode.driver)
      throw refused ? notCallctl(this.#where, error.status) : error
    }

    if (name !== 'callctl') {
      this.#open?.close()
      throw notCallctl(this.#where, 200)
    }

    this.#identified = true
  }

  async answer(callId?: string): Promise<Call> {
    return this.#call(`/${this.commands.answer}${query({call: callId})}`)
  }

  async end(callId?: string): Promise<Call> {
    return this.#call(`/${this.commands.end}${query({call: callId})}`)
  }

  /**
   * An in-call action (`hold`, `resume`, `transfer`, `dtmf`, `mute`, `unmute`, `reject`) on the given call, else
   * the current one; `arg` is the number of a transfer or the digits of a dtmf.
   */
  async act(action: ActionCommand, callId?: string, arg?: string): Promise<Call> {
    const path = arg === undefined ? '' : `/${encodeURIComponent(arg.slice(0, MAX_RAW_NUMBER + 1))}`
    return this.#call(`/${this.commands[action]}${path}${query({call: callId})}`)
  }

  async notify(event: string, fields: Record<string, string | undefined>): Promise<Call> {
    return this.#call(`/notify/${encodeURIComponent(event)}`, fields)
  }

  async popup(callId?: string): Promise<Array<{popup: string; argv: [string, string[]]; error?: string}>> {
    const answer = await this.request<{
      popups?: Array<{popup: string; argv: [string, string[]]; error?: string}>
    } | null>('POST', `/popup${query({call: callId})}`)
    if (!Array.isArray(answer?.popups)) throw notCallctl(this.#where, 200)
    return answer.popups
  }

  async status<T = Record<string, unknown>>(): Promise<T> {
    const status = await this.request<T & {name?: unknown}>('GET', '/status')
    // Another program's JSON on the port (or one that only says callctl) is not a listener's status.
    const {driver, calls} = (status ?? {}) as {driver?: {name?: unknown}; calls?: unknown}
    if (status?.name !== 'callctl' || typeof driver?.name !== 'string' || !Array.isArray(calls))
      throw notCallctl(this.#where, 200)
    return status
  }

  /** Follows `/events` until the listener closes the stream (or `signal` aborts): one call event at a time. */
  async *events(signal?: AbortSignal): AsyncGenerator<StreamedEvent> {
    const where = this.#where
    if (this.#token) await this.identify()
    // node:http here: a stream is long-lived, so its start-up cost does not matter.
    const {request} = await import('node:http')
    const response = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      const req = request(
        {
          host: this.host,
          port: this.port,
          path: '/events',
          headers: this.#token ? {authorization: `Bearer ${this.#token}`} : {},
          signal,
        },
        (res) => {
          req.setTimeout(0)
          resolve(res)
        },
      )
      // Only until the stream starts: once it runs, quiet hours are normal.
      req.setTimeout(this.#timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), {code: 'ETIMEDOUT'})))
      req.on('error', reject)
      req.end()
    }).catch((error: NodeJS.ErrnoException) => {
      throw unreachable(error, where)
    })
    const isStream = response.headers['content-type']?.startsWith('text/event-stream')
    if (response.statusCode !== 200 || !isStream) {
      let text = ''
      for await (const chunk of response) text += String(chunk)
      throw refusal(where, response.statusCode ?? 0, text, ExitCode.refused)
    }

    // The stream format (partial chunks, comments, multi-line data) is eventsource-parser's: events are not on the
    // forwarding fast path, so its import costs nothing there.
    const {createParser} = await import('eventsource-parser')
    const parsed: StreamedEvent[] = []
    const parser = createParser({
      onEvent: ({data}) => {
        const event = parseEvent(data)
        // A message that is not a call event (another server's stream, a damaged line) is skipped, not fatal.
        if (event) parsed.push(event)
      },
    })
    response.setEncoding('utf8')
    try {
      for await (const chunk of response as AsyncIterable<string>) {
        parser.feed(chunk)
        yield* parsed.splice(0)
      }
    } catch {
      // Stopped by the caller (Ctrl-C), or the listener went away mid-stream: either way the stream has ended.
    }
  }

  async #call(path: string, fields?: Record<string, string | undefined>, timeoutMs = this.#timeoutMs): Promise<Call> {
    const body = fields && JSON.stringify(Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)))
    return this.#callIn(await this.request<{call?: Call} | null>('POST', path, body, {timeoutMs}))
  }

  /** The call a listener's answer carries; an answer without one is not callctl's. */
  #callIn(answer: {call?: Call} | null): Call {
    const call = answer?.call
    if (typeof call !== 'object' || call === null || typeof call.id !== 'string' || typeof call.state !== 'string') {
      throw notCallctl(this.#where, 200)
    }

    return call
  }

  async request<T>(
    method: string,
    path: string,
    body?: string,
    {anonymous = false, keepOpen = false, timeoutMs = this.#timeoutMs} = {},
  ): Promise<T> {
    const where = this.#where
    if (this.#token && !anonymous) await this.identify()
    // The request is written by hand. No header can be added through it: the token and host come from a checked
    // config (printable ASCII without spaces, a host name or address) and the path is percent-encoded.
    const headers = [
      `${method} ${path} HTTP/1.1`,
      `Host: ${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`,
      keepOpen ? 'Connection: keep-alive' : 'Connection: close',
      ...(this.#token && !anonymous ? [`Authorization: Bearer ${this.#token}`] : []),
      ...(body === undefined ? [] : ['Content-Type: application/json']),
      `Content-Length: ${body === undefined ? 0 : Buffer.byteLength(body)}`,
    ]
    const connection = this.#open?.reusable ? this.#open : new Connection(this.host, this.port)
    this.#open = keepOpen ? connection : undefined
    const {status, text} = await connection
      .exchange(`${headers.join('\r\n')}\r\n\r\n${body ?? ''}`, keepOpen, timeoutMs)
      .catch((error: NodeJS.ErrnoException) => {
        throw unreachable(error, where)
      })

    // 5xx means the phone backend failed; anything else is the listener refusing the request.
    if (status < 200 || status >= 300)
      throw refusal(where, status, text, status >= 500 ? ExitCode.driver : ExitCode.refused)
    try {
      return JSON.parse(text) as T
    } catch {
      throw notCallctl(where, status)
    }
  }
}

/**
 * A connection to the listener, HTTP/1.1 written by hand on node:net rather than node:http (or fetch): the
 * forwarding commands spend most of their time starting up, and on Node 24 here `import('node:http')` alone takes
 * 55–65 ms against 4–6 ms for node:net, more than this whole command. The identity check keeps the connection open
 * for the command after it (one TCP handshake less); every other request asks the listener to close after
 * answering. The listener answers with Content-Length; anything else on the port shows up as an answer that is not
 * callctl's JSON.
 */
class Connection {
  readonly #socket: Socket
  readonly #chunks: Buffer[] = []
  #received = 0
  #connected = false
  #sent = false
  #ended = false
  #failure: NodeJS.ErrnoException | undefined
  /** Told of every change: data, end, error. */
  #wake: () => void = () => {}

  constructor(host: string, port: number) {
    // Loaded here, not imported: the fast path's bundle would load node:net (4 ms) for `history` and `listen` too.
    const {connect} = process.getBuiltinModule('node:net')
    this.#socket = connect({host, port}, () => {
      this.#connected = true
    })
    this.#socket.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk)
      this.#received += chunk.length
      this.#wake()
    })
    // After a request went out, a failure is not "no listener": the command may have been carried out.
    this.#socket.on('error', (error: NodeJS.ErrnoException) => {
      const cutOff = this.#connected && this.#sent && error.code !== 'ETIMEDOUT'
      this.#failure = cutOff ? Object.assign(error, {code: 'ERR_CUT_OFF'}) : error
      this.#wake()
    })
    this.#socket.on('end', () => {
      this.#ended = true
      this.#wake()
    })
  }

  /**
   * Still open for another request: the last answer was complete, the listener did not close, and nothing came
   * unasked since (which the next request would take for its answer).
   */
  get reusable(): boolean {
    return !this.#ended && this.#failure === undefined && !this.#socket.destroyed && this.#chunks.length === 0
  }

  /**
   * Sends one request and reads its answer, within `timeoutMs` in all (a peer that trickles bytes does not hold
   * the command); `keepOpen` leaves the connection open for the next one.
   */
  async exchange(request: string, keepOpen: boolean, timeoutMs: number): Promise<{status: number; text: string}> {
    this.#sent = true
    this.#socket.ref()
    this.#socket.write(request)
    const timer = setTimeout(
      () => this.#socket.destroy(Object.assign(new Error('timeout'), {code: 'ETIMEDOUT'})),
      timeoutMs,
    )
    try {
      for (;;) {
        const answer = this.#answer(keepOpen)
        if (answer) return answer
        if (this.#failure) throw this.#failure
        // Closed with no answer at all after the request went out (e.g. the listener stopped meanwhile): not "another program".
        if (this.#ended) throw Object.assign(new Error('no answer'), {code: 'ERR_CUT_OFF'})
        await new Promise<void>((resolve) => {
          this.#wake = resolve
        })
      }
    } finally {
      clearTimeout(timer)
      // Closing as soon as the answer is in, rather than after the half-close, lets the process exit sooner; a
      // connection kept for a next request does not hold the process open either.
      if (!keepOpen || !this.reusable) this.close()
      else this.#socket.unref()
    }
  }

  close(): void {
    this.#socket.destroy()
  }

  /**
   * The answer, once it is complete: its Content-Length is in, or else the listener has closed. An answer to a
   * keep-alive request without a Content-Length is not callctl's, and complete as it is: nothing says where it ends;
   * so is one larger than any answer of callctl's.
   */
  #answer(keepOpen: boolean): {status: number; text: string} | undefined {
    if (this.#chunks.length === 0) return undefined
    if (this.#received > MAX_ANSWER_BYTES) return this.#notCallctl()
    const raw = this.#chunks.length === 1 ? this.#chunks[0] : Buffer.concat(this.#chunks)
    this.#chunks.splice(0, this.#chunks.length, raw)
    const split = raw.indexOf('\r\n\r\n')
    if (split === -1) return this.#ended ? {status: statusOf(raw.toString('latin1')), text: ''} : undefined
    const head = raw.subarray(0, split).toString('latin1')
    const declared = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1]
    const body = raw.subarray(split + 4)
    if (declared === undefined && keepOpen) return this.#notCallctl()
    if (!this.#ended && (declared === undefined || body.length < Number(declared))) return undefined
    const length = declared === undefined ? body.length : Math.min(Number(declared), body.length)
    // What follows the answer would be a second answer to one request: the connection is not used again.
    if (body.length > length || /\r\nconnection: *close/i.test(head)) this.#ended = true
    this.#chunks.length = 0
    return {status: statusOf(head), text: body.subarray(0, length).toString('utf8')}
  }

  /** An answer that cannot be callctl's: the status it had, no body; the connection is not used again. */
  #notCallctl(): {status: number; text: string} {
    const status = statusOf(Buffer.concat(this.#chunks).subarray(0, 16).toString('latin1'))
    this.#chunks.length = 0
    this.#ended = true
    this.close()
    return {status, text: ''}
  }
}

function statusOf(head: string): number {
  return Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0)
}

/**
 * This config folder's running listener, if it answers at once; for hints such as "restart it to apply". Found by
 * the holder its store records (the port it took, even one given with `--port`), and only if the listener that
 * answers there is that holder: another folder's listener on the configured port does not apply this folder's settings.
 */
export async function runningListener(): Promise<{pid: number} | undefined> {
  const {readHolder} = await import('./store/database.js')
  const holder = readHolder(storeFile())
  if (!holder?.port) return undefined
  try {
    const status = await new ListenerClient({port: holder.port, timeoutMs: 500}).status<{pid: number}>()
    return status.pid === holder.pid ? status : undefined
  } catch {
    return undefined
  }
}

/**
 * This config folder's listener when it runs on another port than `port`: its store records the port it took (one
 * given with `listen --port`, or the old one after a `config set port` that waits for a restart).
 */
export async function listenerElsewhere(port: number): Promise<{pid: number; port: number} | undefined> {
  const {readHolder} = await import('./store/database.js')
  const holder = readHolder(storeFile())
  if (!holder?.port || holder.port === port) return undefined
  try {
    process.kill(holder.pid, 0)
  } catch (error) {
    // EPERM: alive, and another user's.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return undefined
  }

  return {pid: holder.pid, port: holder.port}
}

/** "No listener on port P", said with where this folder's listener runs instead, when it runs elsewhere. */
export async function explainNoListener(error: unknown): Promise<unknown> {
  if (!isCallctlError(error) || error.code !== 'ERR_NO_LISTENER') return error
  // The connection's own error names the port it was refused on.
  const {port} = (error.cause ?? {}) as {port?: number}
  const elsewhere = port === undefined ? undefined : await listenerElsewhere(port)
  if (!elsewhere) return error
  return new CallctlError(
    `${error.message}; this config folder's listener (pid ${elsewhere.pid}) runs on port ${elsewhere.port}`,
    {
      code: error.code,
      exit: error.exit,
      cause: error,
      suggestions: [
        `Pass --port ${elsewhere.port}, or restart that listener to move it to port ${port}: stop it and run callctl listen again (or callctl service stop; callctl service start)`,
      ],
    },
  )
}

/** A call event from /events, or undefined for anything else. */
function parseEvent(data: string): StreamedEvent | undefined {
  try {
    const event = JSON.parse(data) as Partial<StreamedEvent> | null
    const {call} = event ?? {}
    if (typeof event?.type !== 'string' || typeof call !== 'object' || call === null || typeof call.id !== 'string')
      return undefined
    return event as StreamedEvent
  } catch {
    return undefined
  }
}

/** The longest dial timeout among the drivers' settings (baresip's `dialTimeoutMs`), whichever driver runs. */
function longestDialTimeout(drivers: object): number {
  const timeouts = Object.values(drivers).map(
    (settings) => (settings as {dialTimeoutMs?: unknown} | null)?.dialTimeoutMs,
  )
  return Math.max(0, ...timeouts.filter((ms): ms is number => typeof ms === 'number'))
}

/** Far larger than any answer of a listener's (a status with many calls is a few KB): more is not callctl. */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024

/** The longest number, spaces, dashes and brackets included, worth sending (the listener allows 32 digits). */
const MAX_RAW_NUMBER = 256

/** The listener's own hint is for HTTP clients; the CLI takes the token from its config file. */
const TOKEN_HINT =
  "callctl sends the token in its config: run `callctl config set security.token <the listener's token>` with the listener's config folder"

/** A query string; a value longer than any call id or extension is refused here, as the listener would refuse the line. */
function query(fields: Record<string, string | undefined>): string {
  const entries = Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== undefined)
  for (const [name, value] of entries) {
    if (value.length > MAX_RAW_NUMBER) {
      const what = name === 'call' ? 'call id' : name
      throw new RequestError(
        `The ${what} is too long (${value.length} characters; at most ${MAX_RAW_NUMBER})`,
        name === 'call' ? 'ERR_INVALID_CALL_ID' : 'ERR_INVALID_ARGUMENT',
        400,
        name === 'call' ? ['`callctl status` lists the calls and their ids'] : [],
      )
    }
  }

  return entries.length === 0 ? '' : `?${new URLSearchParams(entries)}`
}

/** A listener's refusal (its JSON error) as the CLI's error; anything else on the port is not callctl. */
function refusal(where: string, status: number, text: string, exit: ExitCodeValue): CallctlError {
  let error: Partial<ErrorBody['error']> | undefined
  try {
    error = (JSON.parse(text) as Partial<ErrorBody> | null)?.error
  } catch {}

  if (typeof error?.message !== 'string') return notCallctl(where, status)
  return new CallctlError(error.message, {
    code: typeof error.code === 'string' ? error.code : 'ERR_REFUSED',
    status,
    exit,
    suggestions: status === 401 ? [TOKEN_HINT] : Array.isArray(error.hints) ? error.hints.map(String) : [],
  })
}

/** Something answered on the port, but not with callctl's JSON. */
function notCallctl(where: string, status: number | undefined): CallctlError {
  return new CallctlError(`Something on ${where} answered, but it is not a callctl listener (HTTP ${status})`, {
    code: 'ERR_NOT_CALLCTL',
    exit: ExitCode.noListener,
    suggestions: ['Check the port: callctl listens on the port given to `callctl listen --port`'],
  })
}

function unreachable(error: NodeJS.ErrnoException, where: string): CallctlError {
  if (error.code === 'ERR_CUT_OFF') {
    return new CallctlError(
      `The callctl listener on ${where} closed the connection before answering (${error.message})`,
      {
        code: 'ERR_LISTENER_CUT_OFF',
        exit: ExitCode.noListener,
        cause: error,
        suggestions: ['The command may have been carried out: check with `callctl status` before trying again'],
      },
    )
  }

  const timedOut = error.code === 'ETIMEDOUT'
  return new CallctlError(
    timedOut ? `The callctl listener on ${where} did not answer in time` : `No callctl listener is running on ${where}`,
    {
      code: timedOut ? 'ERR_LISTENER_TIMEOUT' : 'ERR_NO_LISTENER',
      exit: ExitCode.noListener,
      cause: error,
      suggestions: timedOut
        ? [
            "Check the listener's console for what it is doing",
            'A command may have been carried out: check with `callctl status` before trying again',
          ]
        : ['Start one with `callctl listen` (from a clone: `npm start`)', 'If it runs on another port, pass --port'],
    },
  )
}
