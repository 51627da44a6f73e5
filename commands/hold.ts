import {Flags} from '@oclif/core'

import {EXIT_CODES_HELP, ListenerCommand} from '../src/cli/base-command.js'
import {actOnCall} from '../src/cli/forwarding.js'
import {type Call, ListenerClient} from '../src/cli/app.js'

export default class Hold extends ListenerCommand {
  static override summary = 'Put the current call on hold (the active one answered last, or --call ID)'
  static override description = EXIT_CODES_HELP
  static override examples = ['<%= config.bin %> hold', '<%= config.bin %> hold --call sim-1234']
  static override flags = {call: Flags.string({description: 'id of the call to hold'})}

  async run(): Promise<{call: Call}> {
    const {flags} = await this.parse(Hold)
    const {data, lines} = await actOnCall(new ListenerClient({port: flags.port}), 'hold', flags.call)
    for (const line of lines) this.log(line)
    return data
  }
}
