/**
 * What the oclif commands use from the layers below src/cli, in one place: commands import only src/cli (checked
 * by .dependency-cruiser.cjs), so that this file is the whole surface they stand on.
 */
export {ListenerClient, runningListener} from '../client.js'
export {configFile} from '../config/paths.js'
export type {ConfigStore} from '../config/store.js'
export {type Check, diagnose} from '../doctor/doctor.js'
export {DRIVER_NAMES} from '../drivers/registry.js'
export {CALL_EVENT_TYPES, type Call} from '../engine/call.js'
export {CallctlError, ExitCode} from '../errors.js'
export {logDir, logFile} from '../logs/log-file.js'
export {followRecords, lastRecords} from '../logs/read-log.js'
export type {ListenerRecord} from '../logs/log-file.js'
export {describeOff, enableName, openOutbox, shownDelivery, shownRaw} from '../delivery/outbox.js'
export {setCallbackSecret} from '../delivery/callback-secret.js'
export {openInBrowser} from '../os/launch.js'
export type {JournalEntry} from '../journal/journal.js'
export {serviceStatus, type ServiceStatus} from '../service/index.js'
export {openConfigStore} from '../settings.js'
export {applyPlan, installPlan, type InstallPlan, wrapperDirs} from '../wrappers/install.js'
export {dial, type DialResult} from '../handler/dial.js'
export {reportDialFailure} from '../handler/report.js'
export {type DialScheme, handlerStatus, type HandlerStatus} from '../handler/index.js'
