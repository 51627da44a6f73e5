import path from 'node:path'

import {OUTBOX_SCHEMA} from '../../src/delivery/outbox.js'
import type {Check} from '../../src/doctor/doctor.js'
import {Store} from '../../src/store/database.js'
import {runCli} from '../helpers/cli.js'
import {setConfig} from '../helpers/config.js'
import {type ListenerProcess, startListenerProcess} from '../helpers/listener-process.js'
import {tempConfigDir} from '../helpers/paths.js'
import {closedPort} from '../helpers/ports.js'
import {sleep, until} from '../helpers/wait.js'
import {startWebhookReceiver} from '../helpers/webhook-receiver.js'

/** One receiver on loopback that answers by path, as a new user's trial had it: 410, 500, 404 or 200. */
const byPath = async () =>
  startWebhookReceiver((request) => {
    if (request.url.startsWith('/gone')) return 410
    if (request.url.startsWith('/fail')) return 500
    if (request.url.startsWith('/bad')) return 404
    return 200
  })

const callbacks = (...urls: string[]) => JSON.stringify(urls.map((url) => ({url, events: ['incoming', 'end']})))

/** `callctl config set` as a process, then the running listener's line saying it applied it. */
async function configSet(configDir: string, listener: ListenerProcess, key: string, value: string): Promise<void> {
  const before = listener.lines.length
  const result = await runCli(['config', 'set', key, value], configDir)
  expect(result.exitCode).toBe(0)
  await until(
    () => listener.lines.slice(before).some((line) => String(line.message).includes(`applied ${key}`)),
    10_000,
  )
}

const notify = async (listener: ListenerProcess, event: string, number = '') =>
  fetch(`${listener.url}/notify/${event}${number ? `?number=${number}` : ''}`, {method: 'POST'})

describe('editing callbacks while deliveries are under way (real listener process, real receiver)', () => {
  test('a 410 switches off that URL, not its place in the list: a new callback at the same index is delivered', async () => {
    const configDir = tempConfigDir()
    const receiver = await byPath()
    await setConfig(configDir, {callbacks: callbacks(`${receiver.url}/gone`)})
    const listener = await startListenerProcess(configDir)
    try {
      await notify(listener, 'incoming', '0612345678')
      await listener.waitForLine((line) => String(line.message).includes('answered 410 Gone: switched off'))
      await notify(listener, 'end')
      await listener.waitForLine((line) => line.kind === 'delivery' && line.event !== 'incoming')

      await configSet(configDir, listener, 'callbacks', callbacks(`${receiver.url}/newtarget`))
      await notify(listener, 'incoming', '0644444444')
      await notify(listener, 'end')
      await until(() => receiver.received.filter((request) => request.url === '/newtarget').length === 2, 10_000)
      expect(
        listener.lines.filter((line) => line.kind === 'delivery' && String(line.url).endsWith('/newtarget')),
      ).toEqual([
        expect.objectContaining({outcome: 'delivered', event: 'incoming'}),
        expect.objectContaining({outcome: 'delivered'}),
      ])
      // /gone itself stays off: it had one request, the 410.
      expect(receiver.received.filter((request) => request.url === '/gone')).toHaveLength(1)
    } finally {
      await listener.stop()
      await receiver.close()
    }
  }, 60_000)

  test('a 410 switches off the URL, not callbacks[0]: a later 410 at the same index keeps the first one off', async () => {
    const configDir = tempConfigDir()
    let gone = true
    const receiver = await startWebhookReceiver(() => (gone ? 410 : 200))
    const [c, d] = [`${receiver.url}/C`, `${receiver.url}/D`]
    const one = (url: string) => JSON.stringify([{url, events: ['incoming']}])
    await setConfig(configDir, {callbacks: one(c)})
    const listener = await startListenerProcess(configDir)
    try {
      const switchedOff = async (count: number) =>
        until(
          () => listener.lines.filter((line) => String(line.message).includes('answered 410 Gone')).length === count,
          10_000,
        )
      await notify(listener, 'incoming', '0611111111')
      await switchedOff(1)
      await notify(listener, 'end')
      await configSet(configDir, listener, 'callbacks', one(d))
      await notify(listener, 'incoming', '0622222222')
      await switchedOff(2)
      await notify(listener, 'end')

      const listed = JSON.parse((await runCli(['outbox', '--json'], configDir)).stdout) as {
        disabled: Array<{target: string; targetId: string; url: string}>
      }
      expect(listed.disabled.map((off) => off.url).sort()).toEqual([c, d])
      const people = await runCli(['outbox'], configDir)
      // Both were callbacks[0]: the line names each by its URL and says what --enable takes.
      for (const off of listed.disabled)
        expect(people.stdout).toContain(`${off.url} answered HTTP 410 Gone; callctl outbox --enable ${off.targetId}`)
      const ambiguous = await runCli(['outbox', '--enable', 'callbacks[0]'], configDir)
      expect(ambiguous.exitCode).toBe(2)
      expect(ambiguous.stderr).toContain('callbacks[0] names 2 switched-off targets')

      gone = false
      await configSet(configDir, listener, 'callbacks', callbacks(c, d))
      const before = receiver.received.length
      await notify(listener, 'incoming', '0633333333')
      await until(
        () =>
          listener.lines.filter((line) => line.kind === 'delivery' && String(line.error).includes('switched off'))
            .length === 2,
        10_000,
      )
      await sleep(500)
      expect(receiver.received.slice(before)).toEqual([])

      // Switched on by its identity, C alone is sent to again.
      const cId = listed.disabled.find((off) => off.url === c)!.targetId
      const enabled = await runCli(['outbox', '--enable', cId], configDir)
      expect(enabled.exitCode).toBe(0)
      expect(enabled.stdout).toContain(`switched on again: callbacks[0] (${c})`)
      await until(
        async () =>
          ((await (await fetch(`${listener.url}/status`)).json()) as {deliveries: {disabled?: unknown[]}}).deliveries
            .disabled?.length === 1,
        15_000,
      )
      await notify(listener, 'end')
      await notify(listener, 'incoming', '0644444444')
      // The end of the third call and the fourth call's incoming: to C only, D stays off.
      await until(() => receiver.received.slice(before).length >= 2, 10_000)
      await sleep(500)
      expect(receiver.received.slice(before).map((request) => request.url)).toEqual(['/C', '/C'])
    } finally {
      await listener.stop()
      await receiver.close()
    }
  }, 90_000)

  test('switch-offs of an older callctl, kept by place: the target there now stays off if it is that server, else dropped', async () => {
    const configDir = tempConfigDir()
    const receiver = await startWebhookReceiver()
    // The store as the callctl before identities left it: rows keyed by place only.
    const old = new Store(path.join(configDir, 'callctl.db'), [
      {...OUTBOX_SCHEMA, migrations: OUTBOX_SCHEMA.migrations.slice(0, 3)},
    ])
    const row = 'INSERT INTO disabled_targets (target, url, at, reason) VALUES (?, ?, ?, ?)'
    old.run(row, ['callbacks[0]', `${receiver.url}/C`, '2026-01-01T00:00:00.000Z', 'HTTP 410 Gone'])
    old.run(row, ['callbacks[1]', 'http://127.0.0.1:9/elsewhere', '2026-01-01T00:00:00.000Z', 'HTTP 410 Gone'])
    old.close()
    await setConfig(configDir, {callbacks: callbacks(`${receiver.url}/C`, `${receiver.url}/E`)})
    const listener = await startListenerProcess(configDir)
    try {
      await listener.waitForLine(
        (line) =>
          String(line.message).includes('callbacks[0]') && String(line.message).includes('stays off by its URL'),
      )
      await listener.waitForLine(
        (line) =>
          String(line.message).includes('callbacks[1]') && String(line.message).includes('switch-off is dropped'),
      )
      await notify(listener, 'incoming', '0611111111')
      await until(() => receiver.received.length > 0, 10_000)
      await sleep(500)
      expect(receiver.received.map((request) => request.url)).toEqual(['/E'])
      const listed = JSON.parse((await runCli(['outbox', '--json'], configDir)).stdout) as {disabled: unknown[]}
      expect(listed.disabled).toEqual([
        expect.objectContaining({target: 'callbacks[0]', url: `${receiver.url}/C`, targetId: expect.any(String)}),
      ])
    } finally {
      await listener.stop()
      await receiver.close()
    }
  }, 60_000)

  test('a removed callback: its pending deliveries are given up at once (saying why) and no longer hold up the call', async () => {
    const configDir = tempConfigDir()
    const receiver = await byPath()
    await setConfig(configDir, {
      callbacks: callbacks(`${receiver.url}/fail`),
      'notifications.missed': `${receiver.url}/missed?n=$callerid`,
    })
    const listener = await startListenerProcess(configDir)
    try {
      await notify(listener, 'incoming', '0644444444')
      // Never answered: it ends missed, which goes to the callback (end) and to notifications.missed, same host.
      await notify(listener, 'end')
      await listener.waitForLine((line) => line.kind === 'delivery' && line.outcome === 'retrying')
      await sleep(1500)
      // Behind the callback's retries, in the call's order.
      expect(receiver.received.filter((request) => request.url.startsWith('/missed'))).toEqual([])

      await configSet(configDir, listener, 'callbacks', '[]')
      const [missed] = await until(
        () => receiver.received.some((request) => request.url.startsWith('/missed')),
        5000,
      ).then(() => receiver.received.filter((request) => request.url.startsWith('/missed')))
      expect(missed.url).toBe('/missed?n=0644444444')

      const given = listener.lines.filter(
        (line) => line.kind === 'delivery' && line.outcome === 'failed' && line.target === 'callbacks[0]',
      )
      expect(given.map((line) => line.event).sort()).toEqual(['incoming', 'missed'])
      for (const line of given) expect(String(line.error)).toContain('callbacks[0] was removed from the config')
      const outbox = JSON.parse((await runCli(['outbox', '--json'], configDir)).stdout) as {
        pending: unknown[]
        failed: Array<{target: string; lastError: string}>
      }
      expect(outbox.pending).toEqual([])
      expect(outbox.failed).toEqual([
        expect.objectContaining({
          target: 'callbacks[0]',
          lastError: expect.stringContaining('removed from the config'),
        }),
        expect.objectContaining({
          target: 'callbacks[0]',
          lastError: expect.stringContaining('removed from the config'),
        }),
      ])
      // Nothing more goes to the removed URL.
      const sent = receiver.received.filter((request) => request.url.startsWith('/fail')).length
      await sleep(3000)
      expect(receiver.received.filter((request) => request.url.startsWith('/fail'))).toHaveLength(sent)
    } finally {
      await listener.stop()
      await receiver.close()
    }
  }, 60_000)

  test('a removed callback whose URL is also a notifications URL is given up; the notification is not', async () => {
    const configDir = tempConfigDir()
    const receiver = await byPath()
    await setConfig(configDir, {
      callbacks: callbacks(`${receiver.url}/fail`),
      'notifications.incoming': `${receiver.url}/fail`,
    })
    const listener = await startListenerProcess(configDir)
    try {
      await notify(listener, 'incoming', '0644444445')
      // One call's deliveries to one server go in order: the callback's waits behind the notification's retries.
      await listener.waitForLine((line) => line.kind === 'delivery' && line.outcome === 'retrying')
      await configSet(configDir, listener, 'callbacks', '[]')
      await listener.waitForLine(
        (line) => line.kind === 'delivery' && line.outcome === 'failed' && line.target === 'callbacks[0]',
      )
      const outbox = JSON.parse((await runCli(['outbox', '--json'], configDir)).stdout) as {
        pending: Array<{target: string}>
      }
      expect(outbox.pending.map((delivery) => delivery.target)).toEqual(['notifications.incoming'])
    } finally {
      await listener.stop()
      await receiver.close()
    }
  }, 60_000)

  test('a callback still configured keeps its pending deliveries across an edit of another one', async () => {
    const configDir = tempConfigDir()
    let up = false
    const flaky = await startWebhookReceiver(() => (up ? 200 : 500))
    const other = await byPath()
    await setConfig(configDir, {callbacks: callbacks(`${flaky.url}/keep`, `${other.url}/ok`)})
    const listener = await startListenerProcess(configDir)
    try {
      await notify(listener, 'incoming', '0612345678')
      await listener.waitForLine((line) => line.kind === 'delivery' && line.outcome === 'retrying')
      // The kept one moves to index 0's place, the other is replaced.
      await configSet(configDir, listener, 'callbacks', callbacks(`${other.url}/new`, `${flaky.url}/keep`))
      up = true
      await listener.waitForLine(
        (line) => line.kind === 'delivery' && line.outcome === 'delivered' && String(line.url).endsWith('/keep'),
        20_000,
      )
      expect(
        listener.lines.filter((line) => line.kind === 'delivery' && String(line.error).includes('removed from')),
      ).toEqual([])
    } finally {
      await listener.stop()
      await flaky.close()
      await other.close()
    }
  }, 60_000)
})

describe('doctor after the problem is fixed (real listener process, real receiver)', () => {
  const isolated = (configDir: string) => ({HOME: configDir, XDG_CONFIG_HOME: path.join(configDir, 'xdg')})

  test('callbacks removed from the config are not checked; the summary names each failing check once', async () => {
    const configDir = tempConfigDir()
    const receiver = await byPath()
    await setConfig(configDir, {
      // In this order: one call's deliveries to one server go one at a time, and /fail's retries would hold up a
      // later one.
      callbacks: callbacks(`${receiver.url}/gone`, `${receiver.url}/bad`, `${receiver.url}/fail`),
    })
    const listener = await startListenerProcess(configDir)
    try {
      await notify(listener, 'incoming', '0612345678')
      await until(() => new Set(receiver.received.map((request) => request.url)).size === 3, 10_000)
      await listener.waitForLine((line) => String(line.message).includes('answered 410 Gone'))
      await listener.waitForLine((line) => line.kind === 'delivery' && String(line.url).endsWith('/fail'))
      await configSet(configDir, listener, 'callbacks', '[]')
    } finally {
      await listener.stop()
    }

    try {
      await runCli(['outbox', '--enable', 'all'], configDir)
      await runCli(['outbox', '--purge'], configDir)
      // A port nothing holds: doctor must not find another test's listener.
      await setConfig(configDir, {port: String(await closedPort())})
      const result = await runCli(['doctor', '--json'], configDir, isolated(configDir))
      const {checks} = JSON.parse(result.stdout) as {checks: Check[]}
      expect(checks.filter((check) => check.message.includes('callbacks['))).toEqual([])
      expect(checks.filter((check) => check.name === 'delivery')).toEqual([])

      // Two configured targets that do fail: two delivery checks, one name in the summary, each fix once.
      await setConfig(configDir, {
        'notifications.incoming': `${receiver.url}/bad/in?n=$callerid`,
        'notifications.end': `${receiver.url}/fail/end?n=$callerid`,
      })
      const again = await startListenerProcess(configDir)
      try {
        await notify(again, 'incoming', '0612345678')
        await notify(again, 'end')
        await again.waitForLine((line) => line.kind === 'delivery' && String(line.url).includes('/fail/end'))
      } finally {
        await again.stop()
      }

      const people = await runCli(['doctor'], configDir, isolated(configDir))
      expect(people.exitCode).toBe(1)
      expect(people.stdout.match(/^✗ delivery/gm)).toHaveLength(2)
      expect(people.stderr).toMatch(/\d+ of \d+ checks failed: delivery\n/)
      const hint = 'Check that the receiver is up and accepts the request; callctl logs -f shows each attempt'
      expect(people.stderr.split(hint)).toHaveLength(2)
    } finally {
      await receiver.close()
    }
  }, 90_000)
})
