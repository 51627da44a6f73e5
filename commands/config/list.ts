import {BaseCommand} from '../../src/cli/base-command.js'
import {openConfigStore} from '../../src/cli/app.js'

export default class ConfigList extends BaseCommand {
  static override summary = 'Show every setting with its value (defaults marked)'
  static override examples = ['<%= config.bin %> config list', '<%= config.bin %> config list --json']

  async run(): Promise<{config: unknown}> {
    await this.parse(ConfigList)
    const store = await openConfigStore()
    const stored = store.stored()
    for (const key of store.keys()) {
      const value = store.get(key)
      const isSet =
        key
          .split('.')
          .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], stored) !== undefined
      this.log(
        `${key} = ${value === undefined ? '(not set)' : JSON.stringify(value)}${isSet || value === undefined ? '' : '  (default)'}`,
      )
    }

    return {config: store.effective()}
  }
}
