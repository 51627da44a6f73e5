import {Flags} from '@oclif/core'

import {BaseCommand, EXIT_CODES_HELP} from '../src/cli/base-command.js'
import {runListen} from '../src/cli/listen.js'
import {DRIVER_NAMES} from '../src/cli/app.js'

export default class Listen extends BaseCommand {
  static override enableJsonFlag = false
  static override summary = 'Run the local HTTP listener that takes command URLs and drives the phone'
  static override description = `Accepts Enreach-style command URLs (/make/<number>, /answer, /end), reports call events, and sends the configured notifications. Runs until Ctrl-C (SIGINT) or SIGTERM.

Flags override the config (callctl config set port 5679).

${EXIT_CODES_HELP}`

  static override examples = [
    '<%= config.bin %> listen',
    '<%= config.bin %> listen --port 5679',
    '<%= config.bin %> listen --json > events.jsonl',
    '<%= config.bin %> listen --driver baresip --spawn',
    'curl http://127.0.0.1:5678/make/020123456',
  ]

  static override flags = {
    port: Flags.integer({
      char: 'p',
      min: 0,
      max: 65_535,
      description: 'port to listen on; 0 picks a free one [default: config `port`, else 5678]',
    }),
    host: Flags.string({description: 'address to bind [default: config `host`, else 127.0.0.1]'}),
    driver: Flags.option({
      options: DRIVER_NAMES,
      description: 'phone backend [default: config `driver.name`, else sim]',
    })(),
    json: Flags.boolean({description: 'print events and requests as JSON lines'}),
    spawn: Flags.boolean({
      description: 'with --driver baresip: start baresip with a generated headless config, stop it on exit',
    }),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Listen)
    await runListen(flags, {version: this.config.version})
  }
}
