import {Flags} from '@oclif/core'

import {BaseCommand, EXIT_CODES_HELP} from '../src/cli/base-command.js'
import {listenerConsole} from '../src/cli/event-line.js'
import {ConfigStore} from '../src/config/store.js'
import {DRIVER_NAMES} from '../src/drivers/index.js'
import {startListener} from '../src/listener/start.js'

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
    driver: Flags.option({options: DRIVER_NAMES, description: 'phone backend [default: config `driver.name`, else sim]'})(),
    json: Flags.boolean({description: 'print events and requests as JSON lines'}),
    spawn: Flags.boolean({description: 'with --driver baresip: start baresip with a generated headless config, stop it on exit'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Listen)
    const config = (await ConfigStore.open()).effective()
    config.port = flags.port ?? config.port
    config.host = flags.host ?? config.host
    config.driver.name = flags.driver ?? config.driver.name
    if (flags.spawn) {
      if (config.driver.name !== 'baresip') this.error('--spawn starts baresip: use it with --driver baresip', {exit: 2})
      config.driver.baresip = {...config.driver.baresip, spawn: true}
    }

    const output = listenerConsole(flags.json, (line) => this.log(line))
    const running = await startListener({config, version: this.config.version, ...output})
    output.ready(running.url, config.driver.name)

    await new Promise<void>((resolve) => {
      const stop = () => resolve()
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
    })
    await running.close()
    output.stopped()
  }
}
