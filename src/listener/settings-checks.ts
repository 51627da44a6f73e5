import type {SettingChecks} from '../config/settings.js'
import {compileNumberPolicy} from '../engine/number-policy.js'
import {COMMAND_ROUTES, commandSegmentProblem} from './routes.js'
import type {ListenerSettings} from './settings.js'

const segment = (route: string) => (value: unknown, config: object) =>
  commandSegmentProblem({...(config as ListenerSettings).commands, [route]: value as string})

/** What the schema cannot say about the listener's settings, for `config set` (the listener checks them as it starts). */
export const listenerChecks: SettingChecks = {
  'numbers.allow': (value) => void compileNumberPolicy({allow: value as string[], block: []}),
  'numbers.block': (value) => void compileNumberPolicy({allow: [], block: value as string[]}),
  ...Object.fromEntries(COMMAND_ROUTES.map((route) => [`commands.${route}`, segment(route)])),
}
