import type {SettingChecks} from '../config/settings.js'
import {compilePopups} from './popups.js'
import type {CallbackConfig, PopupConfig} from './settings.js'
import {compileInternalNumbers, compileTargets} from './targets.js'
import {compileTemplate} from './template.js'

/** What the schema cannot say (an unknown template variable, a bad pattern), for `config set`. */
export const deliveryChecks: SettingChecks = {
  callbacks: (value) =>
    void compileTargets({notifications: {includeInternal: false}, callbacks: value as CallbackConfig[]}),
  popups: (value) => void compilePopups({popups: value as PopupConfig[]}),
  internalNumbers: (value) => void compileInternalNumbers(value as string),
  ...Object.fromEntries(
    ['incoming', 'outgoing', 'active', 'end', 'missed'].map((event) => [
      `notifications.${event}`,
      (value: unknown) => void compileTemplate(value as string, `notifications.${event}`),
    ]),
  ),
}
