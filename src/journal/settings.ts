import {type Infer, s} from '../config/schema.js'
import type {SettingsSlice} from '../config/settings.js'

/** The call journal's own settings (README "The call journal"). */
export const journalSettings = {
  journal: s.object({
    retentionDays: s.integer({
      minimum: 1,
      maximum: 36_500,
      default: 90,
      description: 'days a finished call is kept in the journal (callctl history)',
    }),
  }),
}

export type JournalSettings = Infer<ReturnType<typeof s.object<typeof journalSettings>>>

export const journalSlice: SettingsSlice = {properties: journalSettings}
