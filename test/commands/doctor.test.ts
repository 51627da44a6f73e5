import {writeFileSync} from 'node:fs'
import path from 'node:path'

import type {Check} from '../../src/doctor/doctor.js'
import {runCli} from '../helpers/cli.js'
import {setConfig} from '../helpers/config.js'
import {startListenerProcess} from '../helpers/listener-process.js'
import {tempConfigDir} from '../helpers/paths.js'
import {closedPort} from '../helpers/ports.js'
import {startWebhookReceiver} from '../helpers/webhook-receiver.js'

/** A home of its own, so that the user's installed wrappers and service do not change what doctor says here. */
const isolated = (configDir: string) => ({HOME: configDir, XDG_CONFIG_HOME: path.join(configDir, 'xdg')})

async function doctor(configDir: string) {
  const result = await runCli(['doctor', '--json'], configDir, isolated(configDir))
  const json = JSON.parse(result.stdout) as {ok: boolean; checks: Check[]}
  const find = (name: string) => json.checks.filter((check) => check.name === name)
  return {exitCode: result.exitCode, checks: json.checks, find, json}
}

describe('callctl doctor', () => {
  test('a working setup: listener up, notifications delivered; only optional things are warnings (exit 0)', async () => {
    const receiver = await startWebhookReceiver()
    const configDir = tempConfigDir()
    await setConfig(configDir, {'notifications.incoming': `${receiver.url}/in?n=$callerid`})
    const listener = await startListenerProcess(configDir)
    try {
      await setConfig(configDir, {port: String(listener.port)})
      await runCli(['notify', 'incoming', '0612345678'], configDir)
      await receiver.waitFor(1)
      await listener.waitForLine((line) => line.kind === 'delivery')
      const {exitCode, find, checks, json} = await doctor(configDir)
      expect(exitCode).toBe(0)
      expect(json.ok).toBe(true)
      expect(find('port')[0]).toMatchObject({
        verdict: 'ok',
        message: `${listener.port} is held by callctl (pid ${listener.process.pid})`,
      })
      expect(find('listener')[0]).toMatchObject({verdict: 'ok'})
      expect(find('notifications')[0]).toMatchObject({
        verdict: 'ok',
        message: '127.0.0.1 resolves (notifications.incoming)',
      })
      expect(find('outbox')[0]).toMatchObject({verdict: 'ok'})
      expect(find('service')[0]).toMatchObject({verdict: 'warn', fix: 'callctl service install'})
      expect(checks.filter((check) => check.verdict === 'fail')).toEqual([])
    } finally {
      await listener.stop()
      await receiver.close()
    }
  })

  test('why the CRM gets nothing: a receiver answering 500, a host that does not resolve, baresip not reachable (exit 1)', async () => {
    const receiver = await startWebhookReceiver(() => 500)
    const configDir = tempConfigDir()
    await setConfig(configDir, {
      'notifications.incoming': `${receiver.url}/in?n=$callerid`,
      'notifications.end': 'https://crm.invalid/end?n=$callerid',
    })
    const listener = await startListenerProcess(configDir)
    try {
      await runCli(['notify', 'incoming', '0612345678', '--port', String(listener.port)], configDir)
      await listener.waitForLine((line) => line.kind === 'delivery' && line.outcome === 'retrying')
    } finally {
      await listener.stop()
      await receiver.close()
    }

    // A port nothing holds: a listener the user runs on 5678 must not be taken for this setup's.
    await setConfig(configDir, {'driver.name': 'baresip', 'driver.baresip.port': '1', port: String(await closedPort())})
    const {exitCode, find} = await doctor(configDir)
    expect(exitCode).toBe(1)
    expect(find('delivery')[0]).toMatchObject({
      verdict: 'fail',
      message: expect.stringMatching(
        /^notifications\.incoming: the last attempt failed: HTTP 500 \(http:\/\/127\.0\.0\.1:\d+\/in\?n=0612345678/,
      ),
    })
    expect(find('notifications')).toContainEqual(
      expect.objectContaining({
        verdict: 'fail',
        message: expect.stringMatching(/^crm\.invalid does not resolve \(notifications\.end\)/),
      }),
    )
    // The incoming, and the end of the call the stopped listener no longer follows ("listener stopped").
    expect(find('outbox')[0]).toMatchObject({verdict: 'warn', message: '2 notification(s) waiting to be delivered'})
    expect(find('driver')[0]).toMatchObject({
      verdict: 'fail',
      message: 'baresip: nothing answers on 127.0.0.1:1 (ctrl_tcp)',
    })
    expect(find('listener')[0]).toMatchObject({verdict: 'warn'})

    const people = await runCli(['doctor'], configDir, isolated(configDir))
    expect(people.exitCode).toBe(1)
    expect(people.stdout).toMatch(
      /^✗ driver +baresip: nothing answers on 127\.0\.0\.1:1 \(ctrl_tcp\)\n +→ Start baresip/m,
    )
  })

  test('listening beyond this computer without a token is a failure', async () => {
    const configDir = tempConfigDir()
    await setConfig(configDir, {host: '0.0.0.0', port: '1'})
    const {find} = await doctor(configDir)
    expect(find('security')[0]).toMatchObject({
      verdict: 'fail',
      fix: expect.stringContaining('security.token --generate'),
    })
  })

  test('a broken config file is the one failure reported, with its fix', async () => {
    const configDir = tempConfigDir()
    writeFileSync(path.join(configDir, 'config.json'), '{"port": "x"}')
    const {exitCode, checks, json} = await doctor(configDir)
    expect(exitCode).toBe(1)
    expect(checks).toEqual([
      expect.objectContaining({
        name: 'config',
        verdict: 'fail',
        message: expect.stringContaining('port must be integer'),
      }),
    ])
    // The one --json shape: a failure is `ok: false` with an error, and the checks beside it.
    expect(json).toMatchObject({
      ok: false,
      error: {code: 'ERR_CHECKS_FAILED', message: '1 of 1 checks failed: config', hints: [checks[0].fix]},
    })
  })
})

test('doctor --port checks a listener on another port; a stray key in the file can be removed with config unset', async () => {
  const configDir = tempConfigDir()
  const listener = await startListenerProcess(configDir)
  try {
    const result = await runCli(['doctor', '--json', '--port', String(listener.port)], configDir, isolated(configDir))
    const {checks} = JSON.parse(result.stdout) as {checks: Check[]}
    expect(checks.find((check) => check.name === 'listener')).toMatchObject({verdict: 'ok'})
    // Another folder whose port is that listener's: it answers, but with its own folder's settings.
    const other = tempConfigDir()
    await setConfig(other, {port: String(listener.port)})
    const {find} = await doctor(other)
    expect(find('listener')[0]).toMatchObject({
      verdict: 'warn',
      message: expect.stringContaining(`(pid ${listener.process.pid}), but it runs with another config folder than`),
    })
  } finally {
    await listener.stop()
  }

  writeFileSync(path.join(configDir, 'config.json'), '{"prot": 5790}')
  const broken = await doctor(configDir)
  expect(broken.checks[0]).toMatchObject({
    verdict: 'fail',
    message: expect.stringContaining('prot is not a setting'),
    fix: expect.stringContaining('callctl config unset'),
  })
  expect((await runCli(['config', 'unset', 'prot'], configDir)).stdout).toBe('prot unset')
  expect((await doctor(configDir)).find('config')[0]).toMatchObject({verdict: 'ok'})
})

test('no notification URLs and no callbacks is a warning, even with notifications.includeInternal set', async () => {
  const configDir = tempConfigDir()
  await setConfig(configDir, {'notifications.includeInternal': 'true'})
  const {checks} = await doctor(configDir)
  expect(checks.filter((check) => check.name === 'notifications').map((check) => check.message)).toEqual([
    'no notification URLs or callbacks are set',
  ])
}, 30_000)

test('a hand-edited popup app line whose caller value a program would run fails, naming the word', async () => {
  const configDir = tempConfigDir()
  writeFileSync(
    path.join(configDir, 'config.json'),
    JSON.stringify({
      popups: [
        {on: 'ringing', app: '{CALLERNAME} --x'},
        {on: 'ringing', app: 'nice sh -c {CALLERNUM}'},
      ],
    }),
  )
  const {exitCode, find} = await doctor(configDir)
  expect(exitCode).not.toBe(0)
  const popups = find('popups').filter((check) => check.verdict === 'fail')
  expect(popups.map((check) => check.message)).toEqual([
    expect.stringContaining(`popups[0].app: "{CALLERNAME}" is the program to run`),
    expect.stringContaining(`popups[1].app: "{CALLERNUM}" is the code, script or program "sh" runs`),
  ])
}, 30_000)

test('after config set port, status, make and doctor say where this folder listener runs until it is restarted', async () => {
  const configDir = tempConfigDir()
  const listener = await startListenerProcess(configDir)
  try {
    const moved = await closedPort()
    await setConfig(configDir, {port: String(moved)})
    const pid = listener.process.pid
    for (const command of [['status'], ['make', '0201234']]) {
      const result = await runCli(command, configDir)
      expect(result.exitCode).toBe(3)
      expect(result.stderr).toContain(
        `No callctl listener is running on 127.0.0.1:${moved}; this config folder's listener (pid ${pid}) runs on port ${listener.port}`,
      )
      expect(result.stderr).toContain(
        `Pass --port ${listener.port}, or restart that listener to move it to port ${moved}`,
      )
    }

    expect((await doctor(configDir)).find('listener')[0]).toMatchObject({
      verdict: 'warn',
      message: `nothing answers on 127.0.0.1:${moved}; this config folder's listener (pid ${pid}) runs on port ${listener.port}`,
    })
  } finally {
    await listener.stop()
  }

  // Stopped: nothing runs anywhere, and the plain message stands.
  const result = await runCli(['status', '--json'], configDir)
  expect(JSON.parse(result.stdout).error.message).toMatch(/^No callctl listener is running on 127\.0\.0\.1:\d+$/)
})
