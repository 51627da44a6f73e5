export type Direction = 'incoming' | 'outgoing'
export type CallState = 'ringing' | 'dialing' | 'active' | 'ended'
export type CallEventType = 'incoming' | 'outgoing' | 'active' | 'updated' | 'end'

export const CALL_EVENT_TYPES: readonly CallEventType[] = ['incoming', 'outgoing', 'active', 'updated', 'end']

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
