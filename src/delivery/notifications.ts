import type {DeliverySettings} from './settings.js'
import type {Call, CallEvent} from '../engine/call.js'
import type {CallEngine} from '../engine/engine.js'
import {CallStateError} from '../errors.js'
import {Deliverer, type DeliveryRecord} from './delivery.js'
import {type Argv, launch} from '../os/launch.js'
import type {Outbox} from './outbox.js'
import {clickPopups, compilePopups, popupsFor} from './popups.js'
import {compileInternalNumbers, compileTargets, identityAt} from './targets.js'
import {type TemplateValues, valuesFor} from './template.js'

export interface PopupRecord {
  popup: string
  callId: string
  argv: Argv
  /** Set when the program could not be started. */
  error?: string
}

export interface NotificationOptions {
  config: DeliverySettings
  userAgent: string
  outbox: Outbox
  onDelivery?: (record: DeliveryRecord) => void
  /** Something about the stored deliveries the user should know: damaged records set aside, a failed read. */
  onTrouble?: (message: string) => void
  onPopup?: (record: PopupRecord) => void
  /** A `click` popup's URL for an event, for the console to show as a link. */
  onPopupLink?: (callId: string, url: string) => void
  /** Starts a program; tests on platforms callctl cannot run here replace it to see the exact argv. */
  launcher?: (argv: Argv) => Promise<void>
  /**
   * Fills in what the phone did not say before anything renders (the caller-name lookup): the event as it should be
   * delivered, or undefined to deliver it as it is. Its promise must settle within its own budget.
   */
  enrich?: (event: CallEvent) => Promise<DeliveredEvent> | undefined
}

/** An event as delivered: the engine's, with what a lookup added (source, time) when there was one. */
export type DeliveredEvent = CallEvent & {lookup?: object}

export interface Notifications {
  /** Opens the `click` popups of a call: the given one, else the newest live call, else the last ended one. */
  openClickPopups(callId?: string): Promise<PopupRecord[]>
  deliveries(): ReturnType<Deliverer['counts']>
  /** Reads the outbox and the quarantine again now, rather than at the next periodic look. */
  refresh(): void
  /**
   * Takes a changed config (templates, callbacks, popups, user, delivery limits) for the events from now on. Every
   * template is compiled first: a mistake throws and changes nothing. What waits in the outbox stays, but for a
   * notification URL or callback no longer in the config (removed, or another URL): that is given up.
   */
  reconfigure(config: DeliverySettings): void
  close(): void
}

/**
 * Subscribes callbacks, Enreach notifications and popups to the engine's events. Every template is compiled here
 * first, so a config mistake stops the listener at start with the template and variable named.
 */
export function startNotifications(engine: CallEngine, options: NotificationOptions): Notifications {
  const {onDelivery, onPopup, onPopupLink, launcher = launch} = options
  let config = options.config
  let targets = compileTargets(config)
  let popups = compilePopups(config)
  let isInternal = compileInternalNumbers(config.internalNumbers)
  const deliverer = new Deliverer({
    outbox: options.outbox,
    userAgent: options.userAgent,
    timeoutMs: config.delivery.timeoutMs,
    concurrency: config.delivery.concurrency,
    maxAgeHours: config.delivery.maxAgeHours,
    onDelivery,
    onTrouble: options.onTrouble,
    // By identity first: a callback moved in the list keeps its secret, and a new one at its old index has its own.
    secretFor: (delivery) => targetOf(delivery)?.secret,
    // Records of an older callctl carry no identity: they are sent as stored, as before.
    configured: (delivery) =>
      delivery.targetId === undefined || targets.some((target) => target.id === delivery.targetId),
  })
  identifyOlderSwitchOffs(options.outbox, config, options.onTrouble)
  deliverer.start()

  function targetOf({target: key, targetId}: {target: string; targetId?: string}) {
    if (targetId === undefined) return targets.find((target) => target.key === key)
    const same = targets.filter((target) => target.id === targetId)
    return same.find((target) => target.key === key) ?? same[0]
  }

  async function open(popup: ReturnType<typeof compilePopups>[number], call: Call, argv: Argv): Promise<PopupRecord> {
    const record: PopupRecord = {popup: popup.key, callId: call.id, argv}
    try {
      await launcher(argv)
    } catch (error) {
      record.error = (error as Error).message
    }

    onPopup?.(record)
    return record
  }

  /** Each target and popup on its own: one that cannot render or be stored never costs the others theirs. */
  function each(event: CallEvent, key: string, what: () => void): void {
    try {
      what()
    } catch (error) {
      options.onTrouble?.(`notifications: ${key} of ${event.type} ${event.call.id}: ${(error as Error).message}`)
    }
  }

  /**
   * The event's callbacks and notifications, into the outbox now (inside the engine's transaction, stored with the
   * event). With `ready` (a lookup under way), each is stored as it renders now and rewritten with the name before
   * it is sent.
   */
  function deliverTargets(event: CallEvent, ready?: Promise<DeliveredEvent>): void {
    if (targets.length === 0) return
    const internal = isInternal(event.call)
    const user = config.user
    // Made for the first target the event is for: most events of most setups are for none.
    let made: TemplateValues | undefined
    for (const target of targets) {
      if (!target.matches(event, internal)) continue
      const values = (made ??= valuesFor(event, user))
      each(event, target.key, () =>
        deliverer.enqueue(event, target, target.request(values, event, user), {
          scheme: target.scheme,
          ready: ready?.then((found) => target.request(valuesFor(found, user), found, user)),
        }),
      )
    }
  }

  function openPopups(event: DeliveredEvent): void {
    if (popups.length === 0) return
    const due = popupsFor(popups, event, isInternal(event.call))
    const links =
      event.type === 'incoming' || event.type === 'outgoing'
        ? clickPopups(popups, event.call).filter((popup) => popup.url)
        : []
    if (due.length === 0 && links.length === 0) return
    const values = valuesFor(event, config.user)
    for (const popup of due) each(event, popup.key, () => void open(popup, event.call, popup.argv(values)))
    for (const popup of links) each(event, popup.key, () => onPopupLink?.(event.call.id, popup.url!(values)))
  }

  let closed = false
  /** Per call, the lookup its events wait for: a call's popups open in order, each after the one before. */
  const waiting = new Map<string, Promise<void>>()
  const unsubscribe = engine.subscribe((event) => {
    const enriched = options.enrich?.(event)
    const before = waiting.get(event.call.id)
    if (!enriched && !before) {
      deliverTargets(event)
      openPopups(event)
      return
    }

    const ready = (before ?? Promise.resolve()).then(async () => (enriched ? enriched.catch(() => event) : event))
    deliverTargets(event, ready)
    const next = ready
      .then((found) => {
        if (!closed) openPopups(found)
      })
      .catch((error: unknown) => options.onTrouble?.(`notifications: ${(error as Error).message}`))
    waiting.set(event.call.id, next)
    void next.finally(() => {
      if (waiting.get(event.call.id) === next) waiting.delete(event.call.id)
    })
  })

  return {
    async openClickPopups(callId) {
      const call = callId === undefined ? (engine.live().at(-1) ?? engine.recent()[0]) : engine.get(callId)
      if (!call)
        throw new CallStateError(
          callId === undefined ? 'No call to open popups for' : `No call ${callId}`,
          'ERR_NO_CALL',
        )
      const event: CallEvent = {
        id: '',
        type: call.state === 'ended' ? 'end' : 'updated',
        at: new Date().toISOString(),
        call,
      }
      // The name a lookup found for the call (within its budget; a file or the cache answers at once).
      const ready = (await options.enrich?.(event)?.catch(() => event)) ?? event
      const values = valuesFor(ready, config.user)
      const chosen = clickPopups(popups, call)
      return Promise.all(chosen.map((popup) => open(popup, call, popup.argv(values))))
    },
    deliveries: () => deliverer.counts(),
    refresh: () => deliverer.refresh(),
    reconfigure(next) {
      const compiled = {
        targets: compileTargets(next),
        popups: compilePopups(next),
        isInternal: compileInternalNumbers(next.internalNumbers),
      }
      ;({targets, popups, isInternal} = compiled)
      config = next
      deliverer.setLimits(next.delivery)
      deliverer.retarget()
    },
    close() {
      unsubscribe()
      closed = true
      // What waits for a lookup is in the outbox already, as rendered without the name: sent at the next start.
      deliverer.close()
    },
  }
}

/**
 * Targets an older callctl switched off after a 410 are stored by their place in the config (`callbacks[0]`): each
 * is switched off by the identity of the target at that place now, if that sends to the server that answered 410,
 * and dropped otherwise (a later 410 switches that one off again). Said in the log either way.
 */
function identifyOlderSwitchOffs(
  outbox: Outbox,
  config: DeliverySettings,
  onTrouble: ((message: string) => void) | undefined,
): void {
  try {
    const {identified, dropped} = outbox.identifyDisabled((row) => identityAt(config, row.target, row.url))
    for (const row of identified)
      onTrouble?.(`outbox: ${row.target} (${row.url}), switched off by an older callctl, stays off by its URL`)
    for (const row of dropped)
      onTrouble?.(
        `outbox: ${row.target} (${row.url}) was switched off by an older callctl, but ${row.target} is another URL now (or none): that switch-off is dropped, and a 410 switches it off again`,
      )
  } catch (error) {
    onTrouble?.(
      `outbox: the switched-off targets could not be read (${(error as Error).message}); tried again at the next start`,
    )
  }
}
