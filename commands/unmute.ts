import {Flags} from '@oclif/core'

import {EXIT_CODES_HELP, ListenerCommand} from '../src/cli/base-command.js'
import {actOnCall} from '../src/cli/forwarding.js'
import {type Call, ListenerClient} from '../src/cli/app.js'

export default class Unmute extends ListenerCommand {
  static override summary = 'Unmute your microphone on the current call (or --call ID)'
  static override description = EXIT_CODES_HELP
  static override examples = ['<%= config.bin %> unmute']
  static override flags = {call: Flags.string({description: 'id of the call to unmute'})}

  async run(): Promise<{call: Call}> {
    const {flags} = await this.parse(Unmute)
    const {data, lines} = await actOnCall(new ListenerClient({port: flags.port}), 'unmute', flags.call)
    for (const line of lines) this.log(line)
    return data
  }
}
