import type {CallEvent, CallEventType} from '../engine/call.js'
import type {UserIdentity} from './template.js'

/**
 * Standard Webhooks event types, one line per callctl event: a new event (held, transferred, …) is one more line.
 * An event missing here goes out as `call.<event>`.
 */
export const STANDARD_EVENT_TYPES: Record<CallEventType, string> = {
  incoming: 'call.ringing',
  outgoing: 'call.dialing',
  active: 'call.answered',
  updated: 'call.updated',
  end: 'call.ended',
  held: 'call.held',
  resumed: 'call.resumed',
  transferred: 'call.transferred',
  missed: 'call.missed',
  rejected: 'call.rejected',
}

export function standardType(event: string): string {
  return (STANDARD_EVENT_TYPES as Record<string, string>)[event] ?? `call.${event}`
}

/**
 * The body of a Standard Webhooks callback without a body template: `{type, timestamp, data}`, the spec's shape,
 * with the call as `/status` shows it and the user's own number and name.
 */
export function standardBody(event: CallEvent & {lookup?: object}, user: UserIdentity = {}): string {
  return JSON.stringify({
    type: standardType(event.type),
    timestamp: event.at,
    data: {
      event: event.type,
      eventId: event.id,
      call: event.call,
      user: {number: user.number ?? '', name: user.name ?? ''},
      // Where the caller's name came from and how long it took, when a lookup ran.
      ...(event.lookup && {lookup: event.lookup}),
    },
  })
}
