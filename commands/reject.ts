import {Flags} from '@oclif/core'

import {EXIT_CODES_HELP, ListenerCommand} from '../src/cli/base-command.js'
import {actOnCall} from '../src/cli/forwarding.js'
import {type Call, ListenerClient} from '../src/cli/app.js'

export default class Reject extends ListenerCommand {
  static override summary =
    'Decline the ringing call (the oldest one, or --call ID): the caller hears busy; the call ends rejected'
  static override description = EXIT_CODES_HELP
  static override examples = ['<%= config.bin %> reject', '<%= config.bin %> reject --call sim-1234']
  static override flags = {call: Flags.string({description: 'id of the ringing call to reject'})}

  async run(): Promise<{call: Call}> {
    const {flags} = await this.parse(Reject)
    const {data, lines} = await actOnCall(new ListenerClient({port: flags.port}), 'reject', flags.call)
    for (const line of lines) this.log(line)
    return data
  }
}
