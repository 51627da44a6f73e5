import {Args, Flags} from '@oclif/core'

import {EXIT_CODES_HELP, ListenerCommand} from '../src/cli/base-command.js'
import {describeCall} from '../src/cli/describe-call.js'
import {type Call, CALL_EVENT_TYPES, ListenerClient} from '../src/cli/app.js'

export default class Notify extends ListenerCommand {
  static override summary = 'Report a call event to the listener (from a phone, a softphone hook or a script)'
  static override description = `incoming and outgoing create a call; the other events (active, updated, held, resumed, transferred, end, missed, rejected) act on --call, else on the live call with NUMBER (+31… and 0031… alike; none: refused, never another call), else on the current call. A NUMBER with --call must be that call's number (for updated, it is the call's new number). missed and rejected end a ringing incoming call saying how; end leaves that to callctl (an incoming call never answered ends missed).

${EXIT_CODES_HELP}`

  static override examples = [
    '<%= config.bin %> notify incoming 020123456 --name "Alice Example"',
    '<%= config.bin %> notify incoming 020123456 --tags vip,sales --channel SIP/trunk-1',
    '<%= config.bin %> notify active',
    '<%= config.bin %> notify end --call abc123 --reason "remote hangup"',
    '<%= config.bin %> notify transferred --call abc123 --to 201',
  ]

  static override args = {
    event: Args.string({required: true, options: [...CALL_EVENT_TYPES], description: 'what happened'}),
    number: Args.string({description: "the other party's number"}),
  }

  static override flags = {
    name: Flags.string({description: "the other party's display name"}),
    call: Flags.string({description: 'call id (given by the phone, or reported back by the listener)'}),
    reason: Flags.string({description: 'why the call ended (end, missed, rejected)'}),
    to: Flags.string({description: 'the number the call was transferred to (transferred only)'}),
    tags: Flags.string({description: 'call tags, comma-separated ({TAGS} in templates)'}),
    channel: Flags.string({description: 'call channel ({CHANNEL} in templates)'}),
  }

  async run(): Promise<{call: Call}> {
    const {args, flags} = await this.parse(Notify)
    const call = await new ListenerClient({port: flags.port}).notify(args.event, {
      number: args.number,
      name: flags.name,
      call: flags.call,
      reason: flags.reason,
      tags: flags.tags,
      channel: flags.channel,
      to: flags.to,
    })
    this.log(describeCall(`Reported ${args.event}:`, call))
    return {call}
  }
}
