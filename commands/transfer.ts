import {Args, Flags} from '@oclif/core'

import {EXIT_CODES_HELP, ListenerCommand} from '../src/cli/base-command.js'
import {actOnCall} from '../src/cli/forwarding.js'
import {type Call, ListenerClient} from '../src/cli/app.js'

export default class Transfer extends ListenerCommand {
  static override summary = 'Blind-transfer the current call (or --call ID) to a number'
  static override description = EXIT_CODES_HELP
  static override examples = ['<%= config.bin %> transfer 0201234567', '<%= config.bin %> transfer 201 --call sim-1234']
  static override args = {number: Args.string({required: true, description: 'number to transfer the call to'})}
  static override flags = {call: Flags.string({description: 'id of the call to transfer'})}

  async run(): Promise<{call: Call}> {
    const {args, flags} = await this.parse(Transfer)
    if (args.number.trim() === '') this.error('No number given: callctl transfer <number>', {exit: 2})
    const {data, lines} = await actOnCall(new ListenerClient({port: flags.port}), 'transfer', flags.call, args.number)
    for (const line of lines) this.log(line)
    return data
  }
}
