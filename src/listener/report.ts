import type {DeliveryRecord} from '../delivery/delivery.js'
import type {PopupRecord} from '../delivery/notifications.js'
import type {CallEvent} from '../engine/call.js'
import type {LookupReport} from '../lookup/lookup.js'
import type {RequestRecord} from './app.js'

/**
 * Everything a running listener reports, one record type tagged by `kind`: the console, `listen --json` and the
 * log file all take these from one sink, so a new kind of report is added once.
 */
export type ListenerReport =
  | ({kind: 'event'} & CallEvent)
  | RequestRecord
  | ({kind: 'delivery'} & DeliveryRecord)
  | ({kind: 'popup'} & PopupRecord)
  | {kind: 'popup-link'; callId: string; url: string}
  | ({kind: 'lookup'; callId: string} & LookupReport)
  | {kind: 'driver'; message: string}
  | {kind: 'warning'; message: string}
  | {kind: 'config'; message: string}
  | {kind: 'ready'; url: string; driver: string; pid: number}
  | {kind: 'stopped'}

export type ReportSink = (report: ListenerReport) => void
