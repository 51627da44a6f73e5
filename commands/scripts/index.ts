import {BaseCommand} from '../../src/cli/base-command.js'
import {wrapperDirs} from '../../src/cli/app.js'

export default class Scripts extends BaseCommand {
  static override summary = 'Show where the bundled AppleScript and PowerShell wrappers are'
  static override description = 'They call the listener on this computer: make, answer and end calls from the Script menu, Shortcuts, osascript or PowerShell. `callctl scripts install` copies them where your OS looks for them.'
  static override examples = ['<%= config.bin %> scripts', 'osascript "$(<%= config.bin %> scripts --json | jq -r .applescript)/make-call.applescript" 020123456']

  async run(): Promise<{applescript: string; powershell: string}> {
    await this.parse(Scripts)
    const dirs = wrapperDirs()
    this.log(`AppleScript (macOS): ${dirs.applescript}`)
    this.log(`PowerShell (Windows, pwsh): ${dirs.powershell}`)
    return dirs
  }
}
