import {Flags} from '@oclif/core'

import {EXIT_CODES_HELP, ListenerCommand} from '../src/cli/base-command.js'
import {answerCall} from '../src/cli/forwarding.js'
import {type Call, ListenerClient} from '../src/cli/app.js'

export default class Answer extends ListenerCommand {
  static override summary = 'Answer the ringing call (the oldest one, or --call ID)'
  static override description = EXIT_CODES_HELP
  static override examples = ['<%= config.bin %> answer', '<%= config.bin %> answer --call sim-1234']
  static override flags = {call: Flags.string({description: 'id of the call to answer'})}

  async run(): Promise<{call: Call}> {
    const {flags} = await this.parse(Answer)
    const {data, lines} = await answerCall(new ListenerClient({port: flags.port}), flags.call)
    for (const line of lines) this.log(line)
    return data
  }
}
