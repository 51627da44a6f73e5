import {Flags} from '@oclif/core'

import {EXIT_CODES_HELP, ListenerCommand} from '../src/cli/base-command.js'
import {ListenerClient} from '../src/cli/app.js'

export default class Popup extends ListenerCommand {
  static override summary = 'Open the "click" popups (config popups with "on": "click") for the current or last call'
  static override description = EXIT_CODES_HELP
  static override examples = ['<%= config.bin %> popup', '<%= config.bin %> popup --call sim-1234']
  static override flags = {
    call: Flags.string({description: 'id of the call (default: the newest live call, else the last one)'}),
  }

  async run(): Promise<{popups: Awaited<ReturnType<ListenerClient['popup']>>}> {
    const {flags} = await this.parse(Popup)
    const popups = await new ListenerClient({port: flags.port}).popup(flags.call)
    if (popups.length === 0) this.log('No click popups configured for this call')
    for (const {popup, argv, error} of popups) {
      this.log(
        `${error ? 'Failed to open' : 'Opened'} ${popup}: ${[argv[0], ...argv[1]].join(' ')}${error ? ` (${error})` : ''}`,
      )
    }

    return {popups}
  }
}
