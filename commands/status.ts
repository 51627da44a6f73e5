import {EXIT_CODES_HELP, ListenerCommand} from '../src/cli/base-command.js'
import {type ListenerStatus, showStatus} from '../src/cli/forwarding.js'
import {ListenerClient} from '../src/cli/app.js'

export default class Status_ extends ListenerCommand {
  static override summary = 'Show whether the listener runs, its driver and the live calls'
  static override description = EXIT_CODES_HELP
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --json']

  async run(): Promise<ListenerStatus> {
    const {flags} = await this.parse(Status_)
    const {data, lines} = await showStatus(new ListenerClient({port: flags.port}))
    for (const line of lines) this.log(line)
    return data
  }
}
