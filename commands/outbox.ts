import {Flags} from '@oclif/core'

import {BaseCommand} from '../src/cli/base-command.js'
import {
  CallctlError,
  describeOff,
  enableName,
  ExitCode,
  openOutbox,
  printable,
  shownDelivery,
  shownRaw,
} from '../src/cli/app.js'

export default class OutboxCommand extends BaseCommand {
  static override summary = 'List notifications waiting to be delivered, those that failed, and damaged records'
  static override description =
    'Notifications are stored in the outbox (callctl.db in the config folder) before they are sent and removed after a 2xx answer. Transient failures (network, timeouts, 408, 429, 5xx) are retried with backoff for delivery.maxAgeHours, later when the receiver sends Retry-After; a request that can never succeed (a 3xx, a 4xx, a bad URL or header) fails at once. Failed ones are kept. A target whose receiver answers 410 Gone is switched off: nothing more is sent to it until --enable. What waits for a callback or notification URL removed from the config (or changed to another URL) is failed, not sent. A stored record that is damaged is never sent: it is kept, raw, in the quarantine and listed here. A running listener picks up retried and enabled ones within 10 seconds.'

  static override examples = [
    '<%= config.bin %> outbox',
    '<%= config.bin %> outbox --retry',
    '<%= config.bin %> outbox --purge',
    '<%= config.bin %> outbox --purge-damaged',
    '<%= config.bin %> outbox --enable "callbacks[0]"',
  ]
  static override flags = {
    retry: Flags.boolean({
      description: 'put failed deliveries back in the queue',
      exclusive: ['purge', 'purge-damaged', 'enable'],
    }),
    purge: Flags.boolean({description: 'delete failed deliveries', exclusive: ['retry', 'purge-damaged', 'enable']}),
    'purge-damaged': Flags.boolean({
      description: 'delete the damaged records kept in the quarantine',
      exclusive: ['retry', 'purge', 'enable'],
    }),
    enable: Flags.string({
      description:
        'switch on again a target a 410 Gone switched off, by the name `callctl outbox` gives it ("callbacks[0]", or its id when two had that place), or "all"',
      exclusive: ['retry', 'purge', 'purge-damaged'],
    }),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(OutboxCommand)
    // What the store holds may have been written by anyone who can write the file: never raw to the terminal.
    const log = (line: string) => this.log(printable(line))
    const outbox = openOutbox()
    const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`
    try {
      if (flags.retry) {
        const count = outbox.retryFailed()
        log(`${count} failed ${count === 1 ? 'delivery' : 'deliveries'} queued again`)
        return {retried: count}
      }

      if (flags.purge) {
        const count = outbox.purgeFailed()
        log(`${count} failed ${count === 1 ? 'delivery' : 'deliveries'} deleted`)
        return {purged: count}
      }

      if (flags.enable !== undefined) {
        const enabled = outbox.enable(flags.enable === 'all' ? undefined : flags.enable)
        if (enabled.length === 0)
          throw new CallctlError(`${flags.enable} is not switched off`, {
            code: 'ERR_NOT_DISABLED',
            exit: ExitCode.usage,
            suggestions: ['callctl outbox lists the targets that are switched off'],
          })
        log(`switched on again: ${describeOff(enabled)}`)
        return {enabled: enabled.map((off) => off.target), targets: enabled}
      }

      if (flags['purge-damaged']) {
        const count = outbox.store.purgeQuarantine()
        log(`${plural(count, 'damaged record')} deleted`)
        return {purged: count}
      }

      const pending = outbox.pending().map(shownDelivery)
      const failed = outbox.failed().map(shownDelivery)
      const damaged = outbox.store.quarantined()
      const disabled = outbox.disabled()
      const line = (state: string, d: (typeof pending)[number]) =>
        `${state.padEnd(7)} ${d.createdAt} ${d.event.padEnd(8)} ${d.request.method} ${d.request.url} (${d.target}, ${plural(d.attempts, 'attempt')}${d.lastError ? `: ${d.lastError}` : ''})`
      for (const off of disabled)
        log(
          `off     ${off.at} ${off.target}: ${off.url} answered ${off.reason}; callctl outbox --enable ${enableName(off, disabled)}`,
        )
      if (pending.length + failed.length + damaged.length === 0) log('Outbox empty: every notification was delivered')
      for (const delivery of pending) log(line('pending', delivery))
      for (const delivery of failed) log(line('failed', delivery))
      for (const record of damaged)
        log(
          `damaged ${record.at} ${record.source}: ${record.reason} (${plural(Buffer.byteLength(record.raw), 'byte')} kept)`,
        )
      return {
        pending,
        failed,
        ...(disabled.length > 0 && {disabled}),
        ...(damaged.length > 0 && {damaged: damaged.map((record) => ({...record, raw: shownRaw(record.raw)}))}),
      }
    } finally {
      outbox.store.close()
    }
  }
}
