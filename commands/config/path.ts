import {BaseCommand} from '../../src/cli/base-command.js'
import {configFile} from '../../src/cli/app.js'

export default class ConfigPath extends BaseCommand {
  static override summary = 'Print where the config file is (CALLCTL_CONFIG_DIR moves it)'
  static override examples = ['<%= config.bin %> config path']

  async run(): Promise<{path: string}> {
    await this.parse(ConfigPath)
    const path = configFile()
    this.log(path)
    return {path}
  }
}
