import {ServiceActionCommand} from '../../src/cli/service-command.js'

export default class ServiceStop extends ServiceActionCommand {
  static override summary = 'Stop the background listener until the next login (or `service start`)'
  static override examples = ['<%= config.bin %> service stop']
  protected readonly action = 'stop'
}
