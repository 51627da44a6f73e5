import {Args, loadHelpClass} from '@oclif/core'

import {BaseCommand} from '../src/cli/base-command.js'

/**
 * @oclif/plugin-help's command, with callctl's error handling: `callctl help nosuch` is a usage error in words (and
 * in the --json shape), never a stack trace.
 */
export default class Help extends BaseCommand {
  static override summary = 'Display help for callctl, or for one command or topic'
  static override strict = false
  static override args = {
    command: Args.string({description: 'command or topic to show help for, e.g. make or config set'}),
  }
  static override examples = [
    '<%= config.bin %> help',
    '<%= config.bin %> help make',
    '<%= config.bin %> help config set',
  ]

  async run(): Promise<void> {
    const {argv} = await this.parse(Help)
    const HelpClass = await loadHelpClass(this.config)
    await new HelpClass(this.config, {all: false}).showHelp(argv as string[])
  }
}
