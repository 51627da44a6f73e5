import {Flags} from '@oclif/core'

import {BaseCommand} from '../src/cli/base-command.js'
import {Outbox} from '../src/cli/app.js'

export default class OutboxCommand extends BaseCommand {
  static override summary = 'List notifications waiting to be delivered, and those that failed'
  static override description =
    'Notifications are written to the outbox before they are sent and removed after a 2xx answer. Failed ones are retried with backoff for delivery.maxAgeHours, then kept as failed. A running listener picks up retried ones within 10 seconds.'

  static override examples = [
    '<%= config.bin %> outbox',
    '<%= config.bin %> outbox --retry',
    '<%= config.bin %> outbox --purge',
  ]
  static override flags = {
    retry: Flags.boolean({description: 'put failed deliveries back in the queue', exclusive: ['purge']}),
    purge: Flags.boolean({description: 'delete failed deliveries', exclusive: ['retry']}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(OutboxCommand)
    const outbox = new Outbox()
    if (flags.retry) {
      const count = outbox.retryFailed()
      this.log(`${count} failed ${count === 1 ? 'delivery' : 'deliveries'} queued again`)
      return {retried: count}
    }

    if (flags.purge) {
      const count = outbox.purgeFailed()
      this.log(`${count} failed ${count === 1 ? 'delivery' : 'deliveries'} deleted`)
      return {purged: count}
    }

    const pending = outbox.pending()
    const failed = outbox.failed()
    const line = (state: string, d: (typeof pending)[number]) =>
      `${state.padEnd(7)} ${d.createdAt} ${d.event.padEnd(8)} ${d.request.method} ${d.request.url} (${d.target}, ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}${d.lastError ? `: ${d.lastError}` : ''})`
    if (pending.length + failed.length === 0) this.log('Outbox empty: every notification was delivered')
    for (const delivery of pending) this.log(line('pending', delivery))
    for (const delivery of failed) this.log(line('failed', delivery))
    const strip = ({secret: _secret, ...delivery}: (typeof pending)[number]) => delivery
    return {pending: pending.map(strip), failed: failed.map(strip)}
  }
}
