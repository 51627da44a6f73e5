import {Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {openConfigStore} from '../../src/cli/app.js'

export default class ConfigList extends BaseCommand {
  static override summary = 'Show every setting with its value (defaults marked)'
  static override description =
    'Secrets (security.token, the secret and credential headers of callbacks) show as <hidden>, in --json too; --reveal shows them.'

  static override examples = [
    '<%= config.bin %> config list',
    '<%= config.bin %> config list --json',
    '<%= config.bin %> config list --reveal',
  ]

  static override flags = {
    reveal: Flags.boolean({description: 'show secrets (security.token, callback secrets) instead of <hidden>'}),
  }

  async run(): Promise<{config: unknown}> {
    const {flags} = await this.parse(ConfigList)
    const store = await openConfigStore()
    for (const {key, value, set} of store.list({reveal: flags.reveal})) {
      this.log(
        `${key} = ${value === undefined ? '(not set)' : JSON.stringify(value)}${set || value === undefined ? '' : '  (default)'}`,
      )
    }

    return {config: store.view({reveal: flags.reveal})}
  }
}
