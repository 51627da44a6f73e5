import type {ActionCommand, ListenerClient} from '../client.js'
import type {Call} from '../engine/call.js'
import {describeCall} from './describe-call.js'

/** What a forwarding command returns (its `--json` output) and the lines it prints for people. */
export interface Forwarded<T> {
  data: T
  lines: string[]
}

export interface ListenerStatus {
  version: string
  /** Whether the driver reaches its phone; while it does not, the calls' state is `unknown`. */
  driver: {name: string; state: 'connected' | 'connecting' | 'down'; detail: string}
  pid: number
  calls: Array<Omit<Call, 'state'> & {state: Call['state'] | 'unknown'; lastKnownState?: Call['state']}>
}

/**
 * The forwarding commands, once: the oclif command classes and the fast path of `bin/run.js` both call these, so
 * the two can never print different things.
 */
export async function makeCall(client: ListenerClient, number: string): Promise<Forwarded<{call: Call}>> {
  const call = await client.make(number)
  return {data: {call}, lines: [describeCall('Dialing', call)]}
}

export async function answerCall(client: ListenerClient, callId?: string): Promise<Forwarded<{call: Call}>> {
  const call = await client.answer(callId)
  return {data: {call}, lines: [describeCall('Answered', call)]}
}

export async function endCall(client: ListenerClient, callId?: string): Promise<Forwarded<{call: Call}>> {
  const call = await client.end(callId)
  return {data: {call}, lines: [describeCall('Ended', call)]}
}

/** What the human line starts with after each in-call action. */
const ACTION_VERBS: Record<ActionCommand, string> = {
  reject: 'Rejected',
  hold: 'Held',
  resume: 'Resumed',
  transfer: 'Transferred',
  dtmf: 'Sent DTMF on',
  mute: 'Muted',
  unmute: 'Unmuted',
}

export async function actOnCall(
  client: ListenerClient,
  action: ActionCommand,
  callId?: string,
  arg?: string,
): Promise<Forwarded<{call: Call}>> {
  const call = await client.act(action, callId, arg)
  const verb = action === 'transfer' ? `Transferred to ${call.transferredTo ?? arg}:` : ACTION_VERBS[action]
  return {data: {call}, lines: [describeCall(verb, call)]}
}

export async function showStatus(client: ListenerClient): Promise<Forwarded<ListenerStatus>> {
  const status = await client.status<ListenerStatus>()
  return {
    data: status,
    lines: [
      `callctl ${status.version} listening on ${client.host}:${client.port} (pid ${status.pid}, driver ${status.driver.name})`,
      ...(status.driver.state === 'connected' ? [] : [`Driver ${status.driver.state}: ${status.driver.detail}`]),
      status.calls.length === 0
        ? 'No calls'
        : status.calls.map((call) => describeCall('', call).trim() + (call.muted ? ' (muted)' : '')).join('\n'),
    ],
  }
}
