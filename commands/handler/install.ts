import {HandlerActionCommand} from '../../src/cli/handler-command.js'

export default class HandlerInstall extends HandlerActionCommand {
  static override summary =
    'Make callctl the handler of tel:, callto: and sip: links (desktop entry, HKCU classes, or an applet)'
  static override examples = [
    '<%= config.bin %> handler install --dry-run',
    '<%= config.bin %> handler install',
    '<%= config.bin %> handler install --scheme tel',
  ]

  protected readonly action = 'install'
}
