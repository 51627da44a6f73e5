import {Args} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {openConfigStore, runningListener, setCallbackSecret} from '../../src/cli/app.js'

export default class CallbacksSecret extends BaseCommand {
  static override summary = 'Give a callback a new Standard Webhooks signing secret (whsec_…) and print it once'
  static override description =
    'Writes a new random whsec_ secret into callbacks[N] (numbered from 0, as in `callctl config get callbacks`), which makes the callback signed the Standard Webhooks way unless it names "signature": "callctl". Give the printed secret to the receiver: a standardwebhooks library verifies the requests with it. A running listener applies it within a second.'

  static override examples = ['<%= config.bin %> callbacks secret 0', '<%= config.bin %> callbacks secret 1 --json']

  static override args = {
    index: Args.integer({required: true, min: 0, description: "the callback's number in the callbacks list, from 0"}),
  }

  async run(): Promise<{key: string; secret: string}> {
    const {args} = await this.parse(CallbacksSecret)
    const store = await openConfigStore()
    const running = runningListener()
    const result = setCallbackSecret(store, args.index)
    // Shown once, to be copied into the receiver's config; `config get` hides it afterwards.
    this.log(`${result.key}.secret = ${result.secret}`)
    const listener = await running
    if (listener) this.logToStderr(`The listener running now (pid ${listener.pid}) applies it within a second`)
    return result
  }
}
