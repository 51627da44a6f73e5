/** Calls whose looked-up name is kept: enough for the live calls and the recent ones `/status` lists. */
const KEPT = 1000

/**
 * The caller names the lookup found (src/lookup), for what shows calls without a webhook in between: `/status` (so
 * `callctl status` and the status page) and the journal (`callctl history`). Popups and callbacks get the name in
 * the event itself; the engine's call keeps the phone's own, so that no event is invented for it.
 */
export interface LookedUpNames {
  found(callId: string, name: string): void
  /** The name to show for a call: the looked-up one where the lookup's name wins, else the phone's. */
  nameOf(call: {id: string; name: string}): string
  /** Bumped by each name found: a key for what is cached from the calls. */
  revision(): number
}

export function lookedUpNames(overridePhoneName: () => boolean): LookedUpNames {
  const names = new Map<string, string>()
  let revision = 0
  return {
    found(callId, name) {
      names.delete(callId)
      names.set(callId, name)
      if (names.size > KEPT) names.delete(names.keys().next().value!)
      revision++
    },
    nameOf(call) {
      const found = names.get(call.id)
      return found !== undefined && (call.name === '' || overridePhoneName()) ? found : call.name
    },
    revision: () => revision,
  }
}
