import {Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {applyPlan, installPlan, type InstallPlan} from '../../src/cli/app.js'

export default class ScriptsInstall extends BaseCommand {
  static override summary = "Copy the wrappers where this OS looks for them (macOS Script menu, PowerShell module path)"
  static override examples = ['<%= config.bin %> scripts install --dry-run', '<%= config.bin %> scripts install']
  static override flags = {'dry-run': Flags.boolean({description: 'show what would be copied, copy nothing'})}

  async run(): Promise<InstallPlan & {dryRun: boolean}> {
    const {flags} = await this.parse(ScriptsInstall)
    const plan = installPlan()
    const verb = flags['dry-run'] ? 'Would copy' : 'Copied'
    if (!flags['dry-run']) applyPlan(plan)
    for (const {from, to} of plan.copies) this.log(`${verb} ${from} → ${to}`)
    for (const note of plan.notes) this.log(note)
    return {...plan, dryRun: flags['dry-run']}
  }
}
