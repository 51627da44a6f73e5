import {BaseCommand} from '../../src/cli/base-command.js'
import {serviceStatus, type ServiceStatus} from '../../src/cli/app.js'

export default class ServiceStatus_ extends BaseCommand {
  static override summary = 'Show whether the background listener is installed and running'
  static override examples = ['<%= config.bin %> service status', '<%= config.bin %> service status --json']

  async run(): Promise<ServiceStatus> {
    await this.parse(ServiceStatus_)
    const status = await serviceStatus()
    this.log(`${status.installed ? 'Installed' : 'Not installed'}: ${status.file}`)
    const running = status.running === undefined ? 'unknown' : status.running ? 'yes' : 'no'
    this.log(`Running: ${running}${status.detail ? ` (${status.detail})` : ''}`)
    return status
  }
}
