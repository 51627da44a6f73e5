import {Args, Flags} from '@oclif/core'

import {EXIT_CODES_HELP, ListenerCommand} from '../src/cli/base-command.js'
import {dial, type DialResult, reportDialFailure} from '../src/cli/app.js'

export default class Dial extends ListenerCommand {
  static override summary = 'Dial a tel:, callto: or sip: link, or a number (what a clicked phone link runs)'
  static override description = `Takes RFC 3966 tel: links (tel:+49-30-1234567;ext=12), callto: and callto://, sip: and sips: (the user part when it is a number; else the whole SIP address, sip:alice@pbx.example.com, which only a driver that speaks SIP dials: baresip; other drivers refuse it, exit 5), and plain numbers. The dialing rules (dialing.*) apply to numbers, as to /make, not to SIP addresses. When no listener answers, the installed service (else a detached \`callctl listen\`) is started and the call placed once it answers (at most 3 s). An ;ext= extension is keyed in by the listener as DTMF once the call is answered, where its driver can send DTMF (else a warning says it is not sent); --json has it as "ext" and "extKeyed". numbers.block and numbers.allow are checked first (--dry-run too, and before handler.confirm asks); a SIP address is blocked by a SIP URI entry (same user and host) or a host entry (@pbx.example.com), and with numbers.allow set it is dialled only when that list holds its exact URI. Many clicks at once start one listener. A link with no digit or a control character is refused (exit 4).

${EXIT_CODES_HELP}`

  static override examples = [
    "<%= config.bin %> dial 'tel:+49-30-1234567'",
    "<%= config.bin %> dial 'callto://+31201234567'",
    "<%= config.bin %> dial '+49 (0) 30 123 4567' --dry-run",
    "<%= config.bin %> dial 'sip:alice@pbx.example.com'",
  ]

  static override args = {link: Args.string({required: true, description: 'a tel:, callto: or sip: link, or a number'})}
  static override flags = {
    'dry-run': Flags.boolean({description: 'print the number that would be dialled and the rules that made it'}),
    notify: Flags.boolean({
      description:
        'also show a failure as a desktop notification (the link handler passes it: a click has no terminal)',
    }),
    'config-dir': Flags.directory({
      description:
        'the config folder to use, as CALLCTL_CONFIG_DIR (the link handler passes the one it was installed with)',
      hidden: true,
    }),
  }

  async run(): Promise<DialResult> {
    // A usage error (an empty link, a link that split into several words) from a clicked link has no terminal either.
    const notify = this.argv.includes('--notify')
    const report = async (error: unknown) => {
      if (notify) await reportDialFailure(this.argv.filter((word) => !word.startsWith('-')).join(' '), error)
    }

    const {args, flags} = await this.parse(Dial).catch(async (error: unknown) => {
      await report(error)
      throw error
    })
    if (args.link.trim() === '') {
      const message = 'No number given: callctl dial <link-or-number>'
      await report(new Error(message))
      this.error(message, {exit: 2})
    }
    const {data, lines, warnings} = await dial(args.link, {
      port: flags.port,
      dryRun: flags['dry-run'],
      notify: flags.notify,
      configDir: flags['config-dir'],
    })
    for (const warning of warnings) this.warn(warning)
    for (const line of lines) this.log(line)
    return data
  }
}
