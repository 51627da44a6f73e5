import {type Infer, s} from '../config/schema.js'
import type {Call} from '../engine/call.js'
import {CAPABILITIES, type Driver, type DriverContext} from '../engine/driver.js'
import {CallStateError} from '../errors.js'
import {defineDriver} from './driver-module.js'

// Ids come from the global Web Crypto, not node:crypto: every command that reads the config imports this file, and
// the forwarding commands should not pay for loading node:crypto at start-up.

/** Milliseconds: 0 at once, -1 never. */
const delay = (fallback: number) =>
  s.integer({minimum: -1, default: fallback, description: 'milliseconds; 0 at once, -1 never'})

const settings = s.object({
  /** Until the simulated remote answers an outgoing call. */
  answerAfterMs: delay(1000),
  /** After answering, until the simulated remote hangs up. */
  hangupAfterMs: delay(-1),
})

export type SimSettings = Infer<typeof settings>

export const simDriver = defineDriver({
  name: 'sim',
  settings,
  capabilities: CAPABILITIES,
  check: () => ({verdict: 'ok', message: 'sim (the built-in simulated phone)'}),
  create: createSimDriver,
})

/** The built-in phone: no audio, no network, but the same call life cycle as a real one. */
function createSimDriver({reporter, settings, log}: DriverContext<SimSettings>): Driver {
  const {answerAfterMs, hangupAfterMs} = settings
  const timers = new Map<string, NodeJS.Timeout>()

  function schedule(id: string, delay: number, action: () => void): void {
    clearTimeout(timers.get(id))
    const timer = setTimeout(() => {
      timers.delete(id)
      try {
        action()
      } catch (error) {
        // The call was ended meanwhile by another route (e.g. `notify end`): nothing left for the remote to do.
        if (!(error instanceof CallStateError)) throw error
      }
    }, delay)
    // A pending simulated answer must not keep a stopping listener alive.
    timer.unref()
    timers.set(id, timer)
  }

  function remoteHangsUpLater(id: string): void {
    if (hangupAfterMs >= 0) schedule(id, hangupAfterMs, () => reporter.ended(id, 'remote hangup'))
  }

  function cancel(id: string): void {
    clearTimeout(timers.get(id))
    timers.delete(id)
  }

  return {
    name: 'sim',
    capabilities: new Set(CAPABILITIES),

    async make(number) {
      const call = reporter.outgoing({id: `sim-${globalThis.crypto.randomUUID()}`, number})
      if (answerAfterMs === 0) {
        remoteHangsUpLater(call.id)
        return reporter.active(call.id)
      }

      if (answerAfterMs > 0) {
        schedule(call.id, answerAfterMs, () => {
          reporter.active(call.id)
          remoteHangsUpLater(call.id)
        })
      }

      return call
    },

    async answer(call: Call) {
      reporter.active(call.id)
      remoteHangsUpLater(call.id)
    },

    async end(call: Call) {
      cancel(call.id)
      reporter.ended(call.id, 'local hangup')
    },

    async reject(call: Call) {
      cancel(call.id)
      reporter.ended(call.id, 'declined', 'rejected')
    },

    async hold(call: Call) {
      reporter.held(call.id)
    },

    async resume(call: Call) {
      reporter.resumed(call.id)
    },

    async transfer(call: Call, number: string) {
      cancel(call.id)
      reporter.transferred(call.id, number)
      // A blind transfer hands the call on: it is over for us once the phone has sent it.
      reporter.ended(call.id, `transferred to ${number}`)
    },

    async dtmf(call: Call, digits: string) {
      log(`sim: sent DTMF ${digits} on call ${call.id}`)
    },

    async mute(call: Call, muted: boolean) {
      reporter.muted(call.id, muted)
    },

    async close() {
      for (const timer of timers.values()) clearTimeout(timer)
      timers.clear()
    },
  }
}
