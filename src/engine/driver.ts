import type {Call, CallDetails, CallResult} from './call.js'

/**
 * What a driver can do; the listener answers 501 for a command the driver lacks, naming the drivers that can.
 * `mute` covers unmute too; `sip` is dialling a SIP address (`sip:alice@pbx.example.com`) as it is.
 */
export type Capability = 'make' | 'answer' | 'end' | 'reject' | 'hold' | 'resume' | 'transfer' | 'dtmf' | 'mute' | 'sip'

/** The call controls a phone has in some form; `sip` is not among them: only a SIP phone dials an address. */
export type CallCapability = Exclude<Capability, 'sip'>

export const CAPABILITIES: readonly CallCapability[] = [
  'make',
  'answer',
  'end',
  'reject',
  'hold',
  'resume',
  'transfer',
  'dtmf',
  'mute',
]

/**
 * How a driver reports what its phone did. Each method is one validated transition of the call engine, which
 * turns it into one call event.
 */
export interface DriverReporter {
  incoming(details: CallDetails): Call
  outgoing(details: CallDetails): Call
  active(id: string): Call
  updated(id: string, details: CallDetails): Call
  held(id: string): Call
  resumed(id: string): Call
  transferred(id: string, number: string): Call
  muted(id: string, muted: boolean): Call
  /** `result` only when the driver knows better than the engine would guess (e.g. `rejected`). */
  ended(id: string, reason?: string, result?: CallResult): Call
  /** Live calls as callctl knows them, so that a driver can check state before acting. */
  calls(): Call[]
}

export interface DriverContext<Settings = unknown> {
  reporter: DriverReporter
  /** The driver's own settings: `driver.<name>` from config, merged over its defaults when the config was read. */
  settings: Settings
  log: (message: string) => void
}

/**
 * Whether the driver can reach its phone: `connecting` until it first could (or while it tries again after a
 * failure it expects to pass), `down` while it cannot, with `detail` saying why and what callctl does about it.
 */
export interface DriverReachability {
  state: 'connected' | 'connecting' | 'down'
  detail: string
}

/**
 * One phone backend. `make` resolves with the new call once the driver has reported it; `answer` and `end` act on
 * a call the engine chose and has checked. Throw DriverError for anything the phone refused.
 */
export interface Driver {
  readonly name: string
  readonly capabilities: ReadonlySet<Capability>
  /** Connect, spawn or check the platform; throw DriverError with a clear reason when the driver cannot run here. */
  init?(): Promise<void>
  make(number: string): Promise<Call>
  /**
   * Present exactly when `sip` is declared: dials a SIP address checked by sipAddress (no space, control character
   * or header in it) as it is, and resolves with the call, whose number is that address, as `make` does.
   */
  dialSip?(uri: string): Promise<Call>
  answer(call: Call): Promise<void>
  end(call: Call): Promise<void>
  /*
   * The in-call actions, each present exactly when its capability is declared. Each reports its transition
   * (`held`, `resumed`, `transferred`, `muted`, `ended` with `rejected`) before it resolves, as `make` does.
   */
  /** Decline a ringing incoming call (busy or decline to the caller), which is not answering and hanging up. */
  reject?(call: Call): Promise<void>
  hold?(call: Call): Promise<void>
  resume?(call: Call): Promise<void>
  /** Blind transfer to a number already checked against the number rules. */
  transfer?(call: Call, number: string): Promise<void>
  /** `digits` are 0-9 * # A-D, with `,` a pause of about a second. */
  dtmf?(call: Call, digits: string): Promise<void>
  mute?(call: Call, muted: boolean): Promise<void>
  /**
   * For a driver that talks to a phone it can lose (a socket, a daemon): whether it reaches it now. Without this
   * hook a driver counts as always connected. While it is not connected, callctl cannot know its calls' state.
   */
  reachability?(): DriverReachability
  /** Free timers, sockets and child processes. Must be safe to call twice. */
  close?(): Promise<void>
}
