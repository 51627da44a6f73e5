import {BaseCommand} from '../../src/cli/base-command.js'
import {openConfigStore} from '../../src/cli/app.js'

export default class ConfigList extends BaseCommand {
  static override summary = 'Show every setting with its value (defaults marked)'
  static override examples = ['<%= config.bin %> config list', '<%= config.bin %> config list --json']

  async run(): Promise<{config: unknown}> {
    await this.parse(ConfigList)
    const store = await openConfigStore()
    for (const {key, value, set} of store.list()) {
      this.log(
        `${key} = ${value === undefined ? '(not set)' : JSON.stringify(value)}${set || value === undefined ? '' : '  (default)'}`,
      )
    }

    return {config: store.effective()}
  }
}
