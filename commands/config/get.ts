import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {openConfigStore} from '../../src/cli/app.js'

export default class ConfigGet extends BaseCommand {
  static override summary = 'Print one setting (its default when not set)'
  static override description =
    'Secrets (security.token, the secret and credential headers of callbacks) print as <hidden>, in --json too; --reveal prints them.'

  static override examples = [
    '<%= config.bin %> config get port',
    '<%= config.bin %> config get notifications.incoming',
    '<%= config.bin %> config get security.token --reveal',
  ]

  static override args = {key: Args.string({required: true, description: 'dotted key, e.g. commands.make'})}
  static override flags = {
    reveal: Flags.boolean({description: 'print a secret (security.token, callback secrets) instead of <hidden>'}),
  }

  async run(): Promise<{key: string; value: unknown}> {
    const {args, flags} = await this.parse(ConfigGet)
    const value = (await openConfigStore()).get(args.key, {reveal: flags.reveal})
    this.log(value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value))
    return {key: args.key, value}
  }
}
