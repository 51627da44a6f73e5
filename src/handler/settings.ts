import {s} from '../config/schema.js'
import type {SettingsSlice} from '../config/settings.js'

/** The link handler's settings (README "Click-to-dial from any app"). */
export const handlerSettings = {
  handler: s.object({
    confirm: s.boolean({
      default: false,
      description: 'ask before dialling a clicked tel:, callto: or sip: link (clicking is the user’s own act: off)',
    }),
  }),
}

export const handlerSlice: SettingsSlice = {properties: handlerSettings}
