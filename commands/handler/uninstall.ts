import {HandlerActionCommand} from '../../src/cli/handler-command.js'

export default class HandlerUninstall extends HandlerActionCommand {
  static override summary = 'Stop handling phone links: remove what `handler install` wrote'
  static override examples = ['<%= config.bin %> handler uninstall --dry-run', '<%= config.bin %> handler uninstall']
  protected readonly action = 'uninstall'
}
