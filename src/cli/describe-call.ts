import type {Call, CallState} from '../engine/call.js'

/** A call as `/status` may show it: `unknown` while the driver cannot reach the phone. */
type ShownCall = Omit<Call, 'state'> & {state: CallState | 'unknown'; lastKnownState?: CallState}

/** One human line about a call: `Dialing 020123456 (call sim-…, dialing)`. */
export function describeCall(verb: string, call: ShownCall): string {
  const who = [call.number || 'unknown number', call.name && `"${call.name}"`].filter(Boolean).join(' ')
  const reason = call.state === 'ended' && call.endReason ? `, ${call.endReason}` : ''
  const state = call.state === 'unknown' ? `state unknown, last known ${call.lastKnownState ?? 'nothing'}` : call.state
  return `${verb} ${who} (call ${call.id}, ${call.direction} ${state}${reason})`
}
