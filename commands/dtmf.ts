import {Args, Flags} from '@oclif/core'

import {EXIT_CODES_HELP, ListenerCommand} from '../src/cli/base-command.js'
import {actOnCall} from '../src/cli/forwarding.js'
import {type Call, ListenerClient} from '../src/cli/app.js'

export default class Dtmf extends ListenerCommand {
  static override summary =
    'Send DTMF digits on the current call (or --call ID): 0-9 * # A-D, with , for a pause (at most 10)'
  static override description = EXIT_CODES_HELP
  static override examples = ['<%= config.bin %> dtmf 1234#', '<%= config.bin %> dtmf "1,,2#" --call sim-1234']
  static override args = {digits: Args.string({required: true, description: 'digits to send, e.g. 1234#'})}
  static override flags = {call: Flags.string({description: 'id of the call to send the digits on'})}

  async run(): Promise<{call: Call}> {
    const {args, flags} = await this.parse(Dtmf)
    if (args.digits.trim() === '') this.error('No digits given: callctl dtmf <digits>', {exit: 2})
    const {data, lines} = await actOnCall(new ListenerClient({port: flags.port}), 'dtmf', flags.call, args.digits)
    for (const line of lines) this.log(line)
    return data
  }
}
