import {ServiceActionCommand} from '../../src/cli/service-command.js'

export default class ServiceInstall extends ServiceActionCommand {
  static override summary =
    'Run the listener in the background, at every login (LaunchAgent, Run value, or systemd user unit)'
  static override examples = ['<%= config.bin %> service install --dry-run', '<%= config.bin %> service install']
  protected readonly action = 'install'
}
