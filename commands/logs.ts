import {Flags} from '@oclif/core'

import {BaseCommand} from '../src/cli/base-command.js'
import {formatRecord} from '../src/cli/console.js'
import {printable} from '../src/cli/printable.js'
import {followRecords, lastRecords, type ListenerRecord, logDir, logFile} from '../src/cli/app.js'

export default class Logs extends BaseCommand {
  static override enableJsonFlag = false
  static override summary = "Show the listener's log: requests, call events, notifications"
  static override description = `The listener writes one JSON line per request, call event and delivery to listener.jsonl in the log folder (CALLCTL_LOG_DIR; else logs/ in CALLCTL_CONFIG_DIR when that is set; else the OS's per-user log folder), rotated at 5 MB, three old files kept.`

  static override examples = [
    '<%= config.bin %> logs',
    '<%= config.bin %> logs -f',
    '<%= config.bin %> logs -n 200 --json | jq \'select(.kind == "delivery")\'',
  ]
  static override flags = {
    follow: Flags.boolean({char: 'f', description: 'keep printing new lines as they are written'}),
    lines: Flags.integer({char: 'n', min: 0, default: 50, description: 'how many of the last lines to show first'}),
    json: Flags.boolean({description: 'the JSON lines as written'}),
    path: Flags.boolean({description: 'print where the log file is, and nothing else'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Logs)
    if (flags.path) {
      this.log(logFile())
      return
    }

    const print = (record: ListenerRecord) =>
      this.log(
        flags.json
          ? JSON.stringify(record)
          : record.kind === 'unreadable'
            ? printable(String(record.line))
            : formatRecord(record),
      )
    const past = lastRecords(flags.lines)
    // -n 0 asks for no record (with --follow: only new ones): an empty answer, not "no log yet".
    if (past.length === 0 && !flags.follow && flags.lines > 0)
      this.logToStderr(`No log yet in ${logDir()}: it starts with \`callctl listen\``)
    for (const record of past) print(record)
    if (!flags.follow) return
    const stop = new AbortController()
    process.once('SIGINT', () => stop.abort())
    process.once('SIGTERM', () => stop.abort())
    await followRecords(print, stop.signal)
  }
}
