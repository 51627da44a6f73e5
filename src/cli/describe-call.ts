import type {Call} from '../engine/call.js'

/** One human line about a call: `Dialing 020123456 (call sim-…, dialing)`. */
export function describeCall(verb: string, call: Call): string {
  const who = [call.number || 'unknown number', call.name && `"${call.name}"`].filter(Boolean).join(' ')
  const reason = call.state === 'ended' && call.endReason ? `, ${call.endReason}` : ''
  return `${verb} ${who} (call ${call.id}, ${call.direction} ${call.state}${reason})`
}
