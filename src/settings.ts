import {type Infer, s} from './config/schema.js'
import {Settings} from './config/settings.js'
import type {ConfigStore} from './config/store.js'
import {driverSettings, driverSlice} from './drivers/registry.js'
import {listenerSettings, listenerSlice} from './listener/settings.js'
import {deliverySettings, deliverySlice} from './delivery/settings.js'
import {dialingSettings, dialingSlice} from './dialing/settings.js'
import {handlerSettings, handlerSlice} from './handler/settings.js'
import {journalSettings, journalSlice} from './journal/settings.js'
import {lookupSettings, lookupSlice} from './lookup/settings.js'

/**
 * The config file, put together from each feature's slice: the listener's (port, host, URLs, security), the
 * drivers' (`driver.<name>`, see src/drivers/registry.ts), outbound delivery's (notifications, callbacks,
 * popups), the dialing rules, the link handler's, the call journal's and the caller-name lookup's. A new setting
 * goes into its feature's slice; nothing here changes.
 */
const root = s.object({
  ...listenerSettings,
  driver: driverSettings,
  ...deliverySettings,
  ...dialingSettings,
  ...handlerSettings,
  ...journalSettings,
  ...lookupSettings,
})

export type Config = Infer<typeof root>

export const SETTINGS = new Settings<Config>(
  root,
  [listenerSlice, driverSlice, deliverySlice, dialingSlice, handlerSlice, journalSlice, lookupSlice],
  {
    // 2026-12: the sim's settings joined the other drivers' under `driver`.
    sim: 'driver.sim',
  },
)

export const DEFAULTS: Config = SETTINGS.defaults

/** The effective config, checked: see Settings.load. */
export function loadConfig(file?: string): Config {
  return SETTINGS.load(file)
}

/** For the config commands; loaded on demand, since the forwarding commands only read the file. */
export async function openConfigStore(): Promise<ConfigStore<Config>> {
  const {ConfigStore} = await import('./config/store.js')
  return ConfigStore.open(SETTINGS)
}
