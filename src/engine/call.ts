export type Direction = 'incoming' | 'outgoing'
/** `held`: answered, and put on hold by us (the other party hears music or silence). */
export type CallState = 'ringing' | 'dialing' | 'active' | 'held' | 'ended'

/**
 * One event per transition. A call ends with exactly one of `end`, `missed` (an incoming call that ended
 * unanswered) or `rejected` (declined with `reject`): subscribers that only care that it ended test
 * `call.state === 'ended'`.
 */
export type CallEventType =
  'incoming' | 'outgoing' | 'active' | 'updated' | 'held' | 'resumed' | 'transferred' | 'end' | 'missed' | 'rejected'

export const CALL_EVENT_TYPES: readonly CallEventType[] = [
  'incoming',
  'outgoing',
  'active',
  'updated',
  'held',
  'resumed',
  'transferred',
  'end',
  'missed',
  'rejected',
]

/** The events that end a call. */
export const FINAL_EVENT_TYPES: readonly CallEventType[] = ['end', 'missed', 'rejected']

/** How a finished call went, for the journal and `{RESULT}`. */
export type CallResult = 'answered' | 'missed' | 'rejected' | 'busy' | 'failed' | 'cancelled'

export const CALL_RESULTS: readonly CallResult[] = ['answered', 'missed', 'rejected', 'busy', 'failed', 'cancelled']

export interface Call {
  id: string
  direction: Direction
  /** The other party's number, as far as it is known. */
  number: string
  /** The other party's display name, '' when unknown. */
  name: string
  state: CallState
  createdAt: string
  answeredAt?: string
  endedAt?: string
  /** Why the call ended, in the driver's words ("local hangup", "486 Busy Here"). */
  endReason?: string
  /** Set once the call has ended. */
  result?: CallResult
  /** Our microphone is muted on this call. */
  muted?: boolean
  /** The number the call was blind-transferred to. */
  transferredTo?: string
  tags: string[]
  channel: string
}

export interface CallEvent {
  /** Unique per event: receivers use it as an idempotency key. */
  id: string
  type: CallEventType
  at: string
  call: Call
}

/** What a driver or a `notify` request may tell about a call. */
export interface CallDetails {
  id?: string
  number?: string
  name?: string
  tags?: string[]
  channel?: string
}

/** A call id as messages show it: a caller-chosen id of any length is cut, so that an error stays one short line. */
export function shownId(id: string): string {
  return id.length > 64 ? `${id.slice(0, 64)}… (${id.length} characters)` : id
}
