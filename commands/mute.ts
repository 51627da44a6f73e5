import {Flags} from '@oclif/core'

import {EXIT_CODES_HELP, ListenerCommand} from '../src/cli/base-command.js'
import {actOnCall} from '../src/cli/forwarding.js'
import {type Call, ListenerClient} from '../src/cli/app.js'

export default class Mute extends ListenerCommand {
  static override summary = 'Mute your microphone on the current call (or --call ID)'
  static override description = EXIT_CODES_HELP
  static override examples = ['<%= config.bin %> mute']
  static override flags = {call: Flags.string({description: 'id of the call to mute'})}

  async run(): Promise<{call: Call}> {
    const {flags} = await this.parse(Mute)
    const {data, lines} = await actOnCall(new ListenerClient({port: flags.port}), 'mute', flags.call)
    for (const line of lines) this.log(line)
    return data
  }
}
