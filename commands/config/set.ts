import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {openConfigStore, runningListener} from '../../src/cli/app.js'

export default class ConfigSet extends BaseCommand {
  static override summary = 'Change one setting; a wrong value is refused and the file is left as it was'
  static override description =
    'The value is read as what the key takes: a number for port, true/false, JSON for lists and objects, else text. A running listener applies the change within a second (its log says so), except port and host, which need a restart. A file broken elsewhere is fixed one key at a time: a right value is set, and a warning names what else is wrong.'
  static override examples = [
    '<%= config.bin %> config set port 5679',
    "<%= config.bin %> config set notifications.incoming 'https://crm.example.com/incoming?callerid=$callerid'",
    '<%= config.bin %> config set driver.sim.answerAfterMs 0',
    '<%= config.bin %> config set security.allowedOrigins https://crm.example.com,https://desk.example.com',
    '<%= config.bin %> config set security.token --generate',
  ]

  static override args = {
    key: Args.string({required: true, description: 'dotted key, e.g. commands.make'}),
    value: Args.string({description: 'new value (not with --generate)'}),
  }

  static override flags = {
    generate: Flags.boolean({description: 'set a new random secret (for security.token)'}),
  }

  async run(): Promise<{key: string; value: unknown; otherProblems?: string}> {
    const {args, flags} = await this.parse(ConfigSet)
    const store = await openConfigStore()
    // Asked before the change: with the port or token it is about to change, the listener is found by the old ones.
    const running = runningListener()
    const set = flags.generate ? store.setGenerated(args.key, args.value) : store.setText(args.key, args.value)
    const {shown, otherProblems} = store.afterSet(args.key, set)
    // A generated secret is shown once, to be copied; a typed one is not echoed to the screen (or a CI log).
    const value = flags.generate ? set : shown
    this.log(`${args.key} = ${JSON.stringify(value)}`)
    if (otherProblems)
      this.warn(
        `${args.key} is set, but the config file has other problems: ${otherProblems.message}. callctl listen refuses the file until they are fixed: ${otherProblems.suggestions.join('; ') || 'callctl config set <key> <value> or callctl config unset <key>'}`,
      )
    const listener = await running
    if (listener && store.needsRestart(args.key)) {
      this.logToStderr(
        `The listener running now (pid ${listener.pid}) uses the old value until it restarts: stop it and run callctl listen again (or callctl service stop; callctl service start)`,
      )
    } else if (listener) {
      this.logToStderr(`The listener running now (pid ${listener.pid}) applies it within a second`)
    }

    return {key: args.key, value, ...(otherProblems && {otherProblems: otherProblems.message})}
  }
}
