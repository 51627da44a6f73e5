import {Flags} from '@oclif/core'

import {EXIT_CODES_HELP, ListenerCommand} from '../src/cli/base-command.js'
import {actOnCall} from '../src/cli/forwarding.js'
import {type Call, ListenerClient} from '../src/cli/app.js'

export default class Resume extends ListenerCommand {
  static override summary =
    'Take a held call off hold (the one held last, or --call ID); the call talked on goes on hold, so this swaps calls'
  static override description = EXIT_CODES_HELP
  static override examples = ['<%= config.bin %> resume', '<%= config.bin %> resume --call sim-1234']
  static override flags = {call: Flags.string({description: 'id of the held call to resume'})}

  async run(): Promise<{call: Call}> {
    const {flags} = await this.parse(Resume)
    const {data, lines} = await actOnCall(new ListenerClient({port: flags.port}), 'resume', flags.call)
    for (const line of lines) this.log(line)
    return data
  }
}
