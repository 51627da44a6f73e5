import {Flags} from '@oclif/core'

import {type ServiceAction, serviceAction, type ServiceReport} from '../service/index.js'
import {BaseCommand, EXIT_CODES_HELP} from './base-command.js'

/** install, uninstall, start and stop: the same flags, one call into src/service, its lines printed. */
export abstract class ServiceActionCommand extends BaseCommand {
  static override description = EXIT_CODES_HELP
  static override flags = {
    'dry-run': Flags.boolean({
      description: 'print every file (with its content) and command line it would write and run, and do nothing',
    }),
  }

  protected abstract readonly action: ServiceAction

  async run(): Promise<Omit<ServiceReport, 'lines'>> {
    const {flags} = await this.parse(this.constructor as typeof ServiceActionCommand)
    const {lines, ...report} = await serviceAction(this.action, {dryRun: flags['dry-run']})
    for (const line of lines) this.log(line)
    return report
  }
}
