import {BaseCommand} from '../../src/cli/base-command.js'
import {schemeFlag} from '../../src/cli/handler-command.js'
import {type DialScheme, handlerStatus, type HandlerStatus} from '../../src/cli/app.js'

export default class HandlerStatus_ extends BaseCommand {
  static override summary = 'Show, per link scheme, which application opens it now and whether that is callctl'
  static override examples = ['<%= config.bin %> handler status', '<%= config.bin %> handler status --json']
  static override flags = {scheme: schemeFlag}

  async run(): Promise<HandlerStatus> {
    const {flags} = await this.parse(HandlerStatus_)
    const status = await handlerStatus({schemes: flags.scheme as DialScheme[] | undefined})
    this.log(`${status.installed ? 'Installed' : 'Not installed'}: ${status.file}`)
    for (const scheme of status.schemes) {
      const now = scheme.handler ?? `no default${scheme.detail ? ` (${scheme.detail})` : ''}`
      this.log(`${scheme.scheme}: ${scheme.callctl ? 'callctl' : 'not callctl'} (${now})`)
    }

    for (const problem of status.problems) this.warn(problem)

    return status
  }
}
