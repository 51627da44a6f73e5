import {Flags} from '@oclif/core'

import {BaseCommand} from '../src/cli/base-command.js'
import {printHistory, showHistory} from '../src/cli/history.js'
import type {JournalEntry} from '../src/cli/app.js'

export default class History extends BaseCommand {
  static override summary = 'List finished calls from the call journal, newest first'
  static override description = `Every call that ends is written to the journal in the store (callctl.db in the config folder): its number, name, direction, when it started, was answered and ended, how long it was talked, how it ended (answered, missed, rejected, busy, failed, cancelled), why, and which notifications were delivered. Entries older than journal.retentionDays (default 90) are dropped. The listener need not run, and calls are printed as they are read. GET /history on the listener answers the same, at most 1,000 calls a request, and not to pages of other sites.`

  static override examples = [
    '<%= config.bin %> history',
    '<%= config.bin %> history --since 1d --result missed',
    '<%= config.bin %> history --number 0612345678 --limit 10 --json',
    '<%= config.bin %> history --since 2026-12-01 --csv > calls.csv',
  ]

  static override flags = {
    since: Flags.string({
      description:
        'only calls that ended since: an age (30m, 12h, 1d, 2w; up to 100 years) or a real date (2026-12-01)',
    }),
    number: Flags.string({
      description:
        'only calls whose number contains these digits (+, * and # allowed), or whose SIP address contains this one (sip:bob@pbx.example.com, any case)',
    }),
    result: Flags.option({
      options: ['answered', 'missed', 'rejected', 'busy', 'failed', 'cancelled'] as const,
      description: 'only calls that ended so',
    })(),
    limit: Flags.integer({min: 1, max: 100_000, description: 'at most this many calls (default 50)'}),
    csv: Flags.boolean({description: 'print CSV (one header line, then a line per call)', exclusive: ['json']}),
  }

  async run(): Promise<{calls: JournalEntry[]} | undefined> {
    const {flags} = await this.parse(History)
    const query = {
      since: flags.since,
      number: flags.number,
      result: flags.result,
      limit: flags.limit === undefined ? undefined : String(flags.limit),
    }
    // oclif prints --json itself (coloured on a terminal); text and CSV are printed as they are read.
    if (this.jsonEnabled()) return (await showHistory(query)).data
    await printHistory(query, flags.csv ? 'csv' : 'text')
    return undefined
  }
}
