import {Args} from '@oclif/core'

import {EXIT_CODES_HELP, ListenerCommand} from '../src/cli/base-command.js'
import {makeCall} from '../src/cli/forwarding.js'
import {type Call, ListenerClient} from '../src/cli/app.js'

export default class Make extends ListenerCommand {
  static override summary = 'Dial a number through the running listener'
  static override description = `Digits, a leading +, * and # are allowed; spaces, dashes, dots and parentheses are ignored.

${EXIT_CODES_HELP}`

  static override examples = ['<%= config.bin %> make 020123456', '<%= config.bin %> make "+31 (20) 123-4567" --json']
  static override args = {number: Args.string({required: true, description: 'number to dial'})}

  async run(): Promise<{call: Call}> {
    const {args, flags} = await this.parse(Make)
    if (args.number.trim() === '') this.error('No number given: callctl make <number>', {exit: 2})
    const {data, lines} = await makeCall(new ListenerClient({port: flags.port}), args.number)
    for (const line of lines) this.log(line)
    return data
  }
}
