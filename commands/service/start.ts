import {ServiceActionCommand} from '../../src/cli/service-command.js'

export default class ServiceStart extends ServiceActionCommand {
  static override summary = 'Start the installed background listener now'
  static override examples = ['<%= config.bin %> service start']
  protected readonly action = 'start'
}
