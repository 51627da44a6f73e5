import {Flags} from '@oclif/core'

import {EXIT_CODES_HELP, ListenerCommand} from '../src/cli/base-command.js'
import {ListenerClient, openInBrowser} from '../src/cli/app.js'

export default class Open extends ListenerCommand {
  static override summary =
    "Open the listener's status page in the browser: live calls, answer and end buttons, a dial field"
  static override description = EXIT_CODES_HELP
  static override examples = ['<%= config.bin %> open', '<%= config.bin %> open --print']
  static override flags = {print: Flags.boolean({description: 'print the address only, open nothing'})}

  async run(): Promise<{url: string}> {
    const {flags} = await this.parse(Open)
    const client = new ListenerClient({port: flags.port})
    // Opening a page of a listener that is not running would only show the browser's error.
    if (!flags.print) await client.status()
    const url = `http://${client.host.includes(':') ? `[${client.host}]` : client.host}:${client.port}/`
    if (!flags.print) await openInBrowser(url)
    this.log(flags.print ? url : `Opened ${url}`)
    return {url}
  }
}
