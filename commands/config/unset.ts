import {Args} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {type ConfigStore, openConfigStore} from '../../src/cli/app.js'

export default class ConfigUnset extends BaseCommand {
  static override summary = 'Remove one setting, so that its default applies again'
  static override examples = ['<%= config.bin %> config unset port']
  static override args = {key: Args.string({required: true, description: 'dotted key, e.g. commands.make'})}

  async run(): Promise<{key: string; value: unknown}> {
    const {args} = await this.parse(ConfigUnset)
    const store = await openConfigStore()
    store.unset(args.key)
    const value = defaultOf(store, args.key)
    this.log(`${args.key} unset${value === undefined ? '' : ` (default: ${JSON.stringify(value)})`}`)
    return {key: args.key, value}
  }
}

/** What applies now that the key is unset; nothing to show for a stray key, or while the file has other problems. */
function defaultOf(store: ConfigStore<unknown>, key: string): unknown {
  try {
    return store.get(key)
  } catch {
    return undefined
  }
}
