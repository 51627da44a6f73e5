import {Flags} from '@oclif/core'

import {EXIT_CODES_HELP, ListenerCommand} from '../src/cli/base-command.js'
import {endCall} from '../src/cli/forwarding.js'
import {type Call, ListenerClient} from '../src/cli/app.js'

export default class End extends ListenerCommand {
  static override summary =
    'End the current call (the active one, else the newest ringing or dialing one, or --call ID)'
  static override description = EXIT_CODES_HELP
  static override examples = ['<%= config.bin %> end', '<%= config.bin %> end --call sim-1234']
  static override flags = {call: Flags.string({description: 'id of the call to end'})}

  async run(): Promise<{call: Call}> {
    const {flags} = await this.parse(End)
    const {data, lines} = await endCall(new ListenerClient({port: flags.port}), flags.call)
    for (const line of lines) this.log(line)
    return data
  }
}
