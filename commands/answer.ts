import {Flags} from '@oclif/core'

import {EXIT_CODES_HELP, ListenerCommand} from '../src/cli/base-command.js'
import {describeCall} from '../src/cli/describe-call.js'
import {ListenerClient} from '../src/client.js'
import type {Call} from '../src/engine/call.js'

export default class Answer extends ListenerCommand {
  static override summary = 'Answer the ringing call (the oldest one, or --call ID)'
  static override description = EXIT_CODES_HELP
  static override examples = ['<%= config.bin %> answer', '<%= config.bin %> answer --call sim-1234']
  static override flags = {call: Flags.string({description: 'id of the call to answer'})}

  async run(): Promise<Call> {
    const {flags} = await this.parse(Answer)
    const call = await new ListenerClient({port: flags.port}).answer(flags.call)
    this.log(describeCall('Answered', call))
    return call
  }
}
