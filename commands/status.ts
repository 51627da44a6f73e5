import {EXIT_CODES_HELP, ListenerCommand} from '../src/cli/base-command.js'
import {describeCall} from '../src/cli/describe-call.js'
import {ListenerClient} from '../src/client.js'
import type {Call} from '../src/engine/call.js'

interface Status {
  version: string
  driver: string
  pid: number
  calls: Call[]
}

export default class Status_ extends ListenerCommand {
  static override summary = 'Show whether the listener runs, its driver and the live calls'
  static override description = EXIT_CODES_HELP
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --json']

  async run(): Promise<Status> {
    const {flags} = await this.parse(Status_)
    const client = new ListenerClient({port: flags.port})
    const status = await client.status<Status>()
    this.log(`callctl ${status.version} listening on ${client.host}:${client.port} (pid ${status.pid}, driver ${status.driver})`)
    this.log(status.calls.length === 0 ? 'No calls' : status.calls.map((call) => describeCall('', call).trim()).join('\n'))
    return status
  }
}
