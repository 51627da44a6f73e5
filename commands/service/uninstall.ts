import {ServiceActionCommand} from '../../src/cli/service-command.js'

export default class ServiceUninstall extends ServiceActionCommand {
  static override summary = 'Stop the background listener and remove what `service install` wrote'
  static override examples = ['<%= config.bin %> service uninstall --dry-run', '<%= config.bin %> service uninstall']
  protected readonly action = 'uninstall'
}
