import type {SettingChecks} from '../config/settings.js'
import {ConfigError} from '../errors.js'
import type {LookupSourceConfig} from './settings.js'
import {compileSources} from './sources.js'

const {isAbsolute, resolve} = process.getBuiltinModule('node:path')

/**
 * What the schema cannot say: one kind per source, a URL template that uses only {CALLERNUM}, and absolute file
 * paths: a relative one would be read against whatever folder each process started in (the listener found the
 * file, doctor run from elsewhere did not).
 */
function check(sources: LookupSourceConfig[]): void {
  compileSources(sources)
  for (const [index, source] of sources.entries()) {
    const file = source.csv ?? source.vcard
    if (file !== undefined && !isAbsolute(file))
      throw new ConfigError(`lookup.sources[${index}]: ${JSON.stringify(file)} is a relative path`, [
        `Give the whole path: {"${source.csv === undefined ? 'vcard' : 'csv'}": ${JSON.stringify(resolve(file))}} if the file is in this folder`,
      ])
  }
}

export const lookupChecks: SettingChecks = {
  'lookup.sources': (value) => check(value as LookupSourceConfig[]),
  lookup: (value) => check(((value as {sources?: LookupSourceConfig[]}).sources ?? []) as LookupSourceConfig[]),
}
