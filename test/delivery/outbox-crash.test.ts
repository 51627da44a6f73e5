import {createServer} from 'node:net'

import {runCli} from '../helpers/cli.js'
import {setConfig} from '../helpers/config.js'
import {startListenerProcess} from '../helpers/listener-process.js'
import {tempConfigDir} from '../helpers/paths.js'
import {startWebhookReceiver} from '../helpers/webhook-receiver.js'

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as {port: number}
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('durable outbox across kill -9 (real listener processes)', () => {
  test('receiver down, listener killed, both back: every notification delivered, each event id once', async () => {
    const configDir = tempConfigDir()
    const receiverPort = await freePort()
    const base = `http://127.0.0.1:${receiverPort}`
    for (const event of ['incoming', 'active', 'end']) {
      await setConfig(configDir, {[`notifications.${event}`]: `${base}/${event}?callerid=$callerid`})
    }

    // Receiver down: nothing listens on its port.
    const first = await startListenerProcess(configDir)
    // The calls reported over HTTP, as a softphone's hooks would: this is about the listener's outbox, not the CLI.
    const post = async (path: string) => (await fetch(`${first.url}${path}`, {method: 'POST'})).status
    for (const number of ['0201', '0202']) {
      expect(await post(`/notify/incoming?number=${number}`)).toBe(200)
      expect(await post('/answer')).toBe(200)
      expect(await post('/end')).toBe(200)
    }

    const outbox = await runCli(['outbox', '--json'], configDir)
    const pending = JSON.parse(outbox.stdout).pending as Array<{event: string; request: {url: string}}>
    expect(pending.map((delivery) => delivery.request.url)).toEqual([
      `${base}/incoming?callerid=0201`,
      `${base}/active?callerid=0201`,
      `${base}/end?callerid=0201`,
      `${base}/incoming?callerid=0202`,
      `${base}/active?callerid=0202`,
      `${base}/end?callerid=0202`,
    ])
    first.process.kill('SIGKILL')
    await first.process

    const receiver = await startWebhookReceiver(() => 200, receiverPort)
    const second = await startListenerProcess(configDir)
    try {
      const received = await receiver.waitFor(6, 15_000)
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(receiver.received).toHaveLength(6)
      const ids = receiver.received.map((request) => request.headers['x-callctl-event-id'])
      expect(new Set(ids).size).toBe(6)
      // Per call, in order.
      for (const number of ['0201', '0202']) {
        expect(
          received.filter((request) => request.url.endsWith(number)).map((request) => request.url.split('?')[0]),
        ).toEqual(['/incoming', '/active', '/end'])
      }

      expect(JSON.parse((await runCli(['outbox', '--json'], configDir)).stdout)).toEqual({
        ok: true,
        pending: [],
        failed: [],
      })
      expect((await runCli(['outbox'], configDir)).stdout).toBe('Outbox empty: every notification was delivered')
    } finally {
      await second.stop()
      await receiver.close()
    }
  }, 60_000)
})
