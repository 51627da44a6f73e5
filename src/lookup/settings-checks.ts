import type {SettingChecks} from '../config/settings.js'
import type {LookupSourceConfig} from './settings.js'
import {compileSources} from './sources.js'

/** What the schema cannot say: one kind per source, a URL template that uses only {CALLERNUM}. */
export const lookupChecks: SettingChecks = {
  'lookup.sources': (value) => void compileSources(value as LookupSourceConfig[]),
  lookup: (value) =>
    void compileSources(((value as {sources?: LookupSourceConfig[]}).sources ?? []) as LookupSourceConfig[]),
}
