import {chmodSync, mkdirSync, statSync} from 'node:fs'
import path from 'node:path'

import type {Check} from '../../src/doctor/doctor.js'
import {runCli} from '../helpers/cli.js'
import {setConfig} from '../helpers/config.js'
import {tempConfigDir} from '../helpers/paths.js'

const TOKEN = 'tok-0123456789-SECRET-abcdef'
const SIGNING = 'sig-0123456789-SECRET-abcdef'
const BEARER = 'Bearer crm-api-SECRET-0123456789'

/** Secrets are never on screen unless asked for (real bin/run.js processes). */
describe('config list / get keep secrets hidden unless --reveal', () => {
  let configDir: string

  beforeAll(async () => {
    configDir = tempConfigDir()
    await setConfig(configDir, {
      'security.token': TOKEN,
      callbacks: JSON.stringify([
        {
          url: 'https://crm.example.com/cb',
          events: ['new'],
          secret: SIGNING,
          headers: {Authorization: BEARER, 'X-Api-Key': 'key-SECRET-123', 'Content-Type': 'application/json'},
        },
      ]),
    })
  })

  const secrets = [TOKEN, SIGNING, BEARER, 'key-SECRET-123']

  test('config list and config list --json show <hidden>; --reveal shows the values', async () => {
    const list = await runCli(['config', 'list'], configDir)
    expect(list.exitCode).toBe(0)
    expect(list.stdout).toContain('security.token = "<hidden>"\n')
    expect(list.stdout).toContain('"secret":"<hidden>"')
    expect(list.stdout).toContain('"Authorization":"<hidden>"')
    expect(list.stdout).toContain('"X-Api-Key":"<hidden>"')
    expect(list.stdout).toContain('"Content-Type":"application/json"')
    for (const secret of secrets) expect(list.stdout).not.toContain(secret)

    const json = await runCli(['config', 'list', '--json'], configDir)
    for (const secret of secrets) expect(json.stdout).not.toContain(secret)
    const {config} = JSON.parse(json.stdout)
    expect(config.security.token).toBe('<hidden>')
    expect(config.callbacks[0]).toMatchObject({secret: '<hidden>', url: 'https://crm.example.com/cb'})

    const revealed = await runCli(['config', 'list', '--reveal'], configDir)
    for (const secret of secrets) expect(revealed.stdout).toContain(secret)
    const revealedJson = JSON.parse((await runCli(['config', 'list', '--json', '--reveal'], configDir)).stdout)
    expect(revealedJson.config.security.token).toBe(TOKEN)
    expect(revealedJson.config.callbacks[0].headers.Authorization).toBe(BEARER)
  })

  test('config get hides a secret, or secrets inside a value, unless --reveal', async () => {
    expect((await runCli(['config', 'get', 'security.token'], configDir)).stdout).toBe('<hidden>')
    expect((await runCli(['config', 'get', 'security.token', '--reveal'], configDir)).stdout).toBe(TOKEN)
    const group = await runCli(['config', 'get', 'security', '--json'], configDir)
    expect(JSON.parse(group.stdout).value).toMatchObject({token: '<hidden>', checkHost: true})
    const callbacks = await runCli(['config', 'get', 'callbacks'], configDir)
    for (const secret of secrets) expect(callbacks.stdout).not.toContain(secret)
    expect(
      JSON.parse((await runCli(['config', 'get', 'callbacks', '--json', '--reveal'], configDir)).stdout).value[0],
    ).toMatchObject({secret: SIGNING})
    // Not a secret: shown as it is.
    expect((await runCli(['config', 'get', 'port'], configDir)).stdout).toBe('5678')
  })

  test('--help of config list and config get says how to reveal', async () => {
    for (const command of ['list', 'get']) {
      const help = await runCli(['config', command, '--help'], configDir)
      expect(help.stdout).toContain('--reveal')
      expect(help.stdout).toContain('<hidden>')
    }
  })
})

describe('the config folder is private', () => {
  test('a folder callctl creates is 0700, the file 0600', async () => {
    const configDir = path.join(tempConfigDir(), 'new', 'callctl')
    expect((await runCli(['config', 'set', 'security.token', '--generate'], configDir)).exitCode).toBe(0)
    expect(statSync(configDir).mode & 0o777).toBe(0o700)
    expect(statSync(path.join(configDir, 'config.json')).mode & 0o777).toBe(0o600)
  })

  test('an existing folder others can read is left as it is, and doctor warns with the fix', async () => {
    const home = tempConfigDir()
    const configDir = path.join(home, 'shared')
    mkdirSync(configDir)
    chmodSync(configDir, 0o755)
    const env = {HOME: home, XDG_CONFIG_HOME: path.join(home, 'xdg')}
    expect((await runCli(['config', 'set', 'port', '5679'], configDir, env)).exitCode).toBe(0)
    expect(statSync(configDir).mode & 0o777).toBe(0o755)
    const checks = async () =>
      (JSON.parse((await runCli(['doctor', '--json'], configDir, env)).stdout) as {checks: Check[]}).checks.filter(
        (check) => check.name === 'config folder',
      )
    expect(await checks()).toEqual([
      {
        name: 'config folder',
        verdict: 'warn',
        message: `${configDir} can be read by other users of this computer (mode 755); it holds the token, callback secrets and the outbox`,
        fix: `chmod 700 '${configDir}'`,
      },
    ])
    chmodSync(configDir, 0o700)
    expect(await checks()).toEqual([expect.objectContaining({verdict: 'ok'})])
  })
})

test('credentials in callback URLs (user:password@, ?api_key=) and typed secrets stay off the screen and out of the log (real processes)', async () => {
  const {startListenerProcess} = await import('../helpers/listener-process.js')
  const configDir = tempConfigDir()
  // Nothing listens on port 9: the delivery fails and is reported, URL and all.
  const url = 'http://crm:PW-SECRET-1@127.0.0.1:9/hook?api_key=Q-SECRET-2&n={CALLERNUM}'
  const set = await runCli(
    ['config', 'set', 'callbacks', JSON.stringify([{url, events: ['new'], headers: {'X-Session': 'H-SECRET-3'}}])],
    configDir,
  )
  expect(set.exitCode).toBe(0)
  expect(set.stdout).toContain('http://crm:<hidden>@127.0.0.1:9/hook?api_key=<hidden>&n={CALLERNUM}')
  const listener = await startListenerProcess(configDir)
  try {
    await fetch(`${listener.url}/notify/incoming?number=0201`, {method: 'POST'})
    await listener.waitForLine((line) => line.kind === 'delivery')
  } finally {
    await listener.stop()
  }

  const shown = [
    set.stdout,
    JSON.stringify(listener.lines),
    (await runCli(['config', 'list'], configDir)).stdout,
    (await runCli(['config', 'list', '--json'], configDir)).stdout,
    (await runCli(['outbox'], configDir)).stdout,
    (await runCli(['outbox', '--json'], configDir)).stdout,
    (await runCli(['logs', '--json'], configDir)).stdout,
    (await runCli(['doctor', '--json'], configDir)).stdout,
  ]
  for (const text of shown) expect(text).not.toMatch(/PW-SECRET|Q-SECRET|H-SECRET/)
  expect((await runCli(['config', 'get', 'callbacks', '--reveal'], configDir)).stdout).toContain('PW-SECRET-1')
}, 60_000)
