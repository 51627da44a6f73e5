import {Flags} from '@oclif/core'

import {DIAL_SCHEMES, type DialScheme, handlerAction, type HandlerReport} from '../handler/index.js'
import {BaseCommand, EXIT_CODES_HELP} from './base-command.js'

export const schemeFlag = Flags.option({
  options: DIAL_SCHEMES,
  multiple: true,
  description: 'a link scheme (repeat for several) [default: tel, callto and sip]',
})()

/** install and uninstall: the same flags, one call into src/handler, its lines printed. */
export abstract class HandlerActionCommand extends BaseCommand {
  static override description = EXIT_CODES_HELP
  static override flags = {
    scheme: schemeFlag,
    'dry-run': Flags.boolean({
      description: 'print every file (with its content) and command line it would write and run, and do nothing',
    }),
  }

  protected abstract readonly action: 'install' | 'uninstall'

  async run(): Promise<Omit<HandlerReport, 'lines'>> {
    const {flags} = await this.parse(this.constructor as typeof HandlerActionCommand)
    const {lines, ...report} = await handlerAction(this.action, {
      schemes: flags.scheme as DialScheme[] | undefined,
      dryRun: flags['dry-run'],
    })
    for (const line of lines) this.log(line)
    return report
  }
}
