import {Flags} from '@oclif/core'

import {EXIT_CODES_HELP, ListenerCommand} from '../src/cli/base-command.js'
import {formatRecord} from '../src/cli/console.js'
import {CallctlError, ExitCode, ListenerClient} from '../src/cli/app.js'

export default class Events extends ListenerCommand {
  static override enableJsonFlag = false
  static override summary = 'Follow the call events of the running listener as they happen'
  static override description = `Reads the listener's /events stream (Server-Sent Events) until Ctrl-C or until the listener stops. --json prints one JSON object per line: the event, its call and the template variables its notifications get.

${EXIT_CODES_HELP}`

  static override examples = ['<%= config.bin %> events', '<%= config.bin %> events --json | jq .call.number']
  static override flags = {json: Flags.boolean({description: 'one JSON object per line'})}

  async run(): Promise<void> {
    const {flags} = await this.parse(Events)
    const stop = new AbortController()
    process.once('SIGINT', () => stop.abort())
    process.once('SIGTERM', () => stop.abort())
    const client = new ListenerClient({port: flags.port})
    for await (const event of client.events(stop.signal)) {
      this.log(flags.json ? JSON.stringify(event) : formatRecord({kind: 'event', ...event}))
    }

    if (!stop.signal.aborted) {
      throw new CallctlError(`The listener on ${client.host}:${client.port} stopped`, {
        code: 'ERR_LISTENER_STOPPED',
        exit: ExitCode.noListener,
        suggestions: ['Start it again with `callctl listen`, then follow it again'],
      })
    }
  }
}
