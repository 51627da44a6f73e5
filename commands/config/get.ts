import {Args} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {openConfigStore} from '../../src/cli/app.js'

export default class ConfigGet extends BaseCommand {
  static override summary = 'Print one setting (its default when not set)'
  static override examples = [
    '<%= config.bin %> config get port',
    '<%= config.bin %> config get notifications.incoming',
  ]
  static override args = {key: Args.string({required: true, description: 'dotted key, e.g. commands.make'})}

  async run(): Promise<{key: string; value: unknown}> {
    const {args} = await this.parse(ConfigGet)
    const value = (await openConfigStore()).get(args.key)
    this.log(value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value))
    return {key: args.key, value}
  }
}
