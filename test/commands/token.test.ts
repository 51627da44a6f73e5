import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {runCli} from '../helpers/cli.js'
import {startListenerProcess} from '../helpers/listener-process.js'
import {tempConfigDir} from '../helpers/paths.js'

describe('token set with --generate (real processes)', () => {
  test('the CLI sends the token from config; requests without it are refused', async () => {
    const configDir = tempConfigDir()
    const generated = await runCli(['config', 'set', 'security.token', '--generate'], configDir)
    expect(generated.exitCode).toBe(0)
    const token = JSON.parse(readFileSync(path.join(configDir, 'config.json'), 'utf8')).security.token as string
    expect(token).toMatch(/^[\w-]{43}$/)
    expect(generated.stdout).toBe(`security.token = "${token}"`)

    const listener = await startListenerProcess(configDir)
    try {
      const port = String(listener.port)
      expect((await runCli(['status', '--port', port], configDir)).exitCode).toBe(0)
      expect((await runCli(['make', '020123456', '--port', port], configDir)).exitCode).toBe(0)
      const anonymous = await fetch(`${listener.url}/make/020123456`)
      expect(anonymous.status).toBe(401)
      const withHeader = await fetch(`${listener.url}/end`, {headers: {authorization: `Bearer ${token}`}})
      expect(withHeader.status).toBe(200)
      const otherConfig = await runCli(['answer', '--port', port], tempConfigDir())
      expect(otherConfig.exitCode).toBe(4)
      expect(otherConfig.stderr).toContain('Refused answer: no token')
      expect(otherConfig.stderr).toContain(
        'callctl sends the token in its config: run `callctl config set security.token',
      )
      const refusal = listener.lines.find((line) => line.kind === 'request' && line.status === 401)
      expect(refusal?.error).toContain('security.token is set')
    } finally {
      await listener.stop()
    }
  })

  test('--generate only for secrets, and not with a value', async () => {
    const configDir = tempConfigDir()
    expect((await runCli(['config', 'set', 'port', '--generate'], configDir)).stderr).toContain(
      '--generate works for security.token, not for port',
    )
    expect((await runCli(['config', 'set', 'security.token', 'abc', '--generate'], configDir)).exitCode).toBe(2)
    expect((await runCli(['config', 'set', 'security.token', 'short'], configDir)).stderr).toContain(
      'must NOT have fewer than 16 characters',
    )
  })

  test('lists take commas; bad number entries are refused at config set', async () => {
    const configDir = tempConfigDir()
    const set = await runCli(
      ['config', 'set', 'security.allowedOrigins', 'https://crm.example.com, https://desk.example.com'],
      configDir,
    )
    expect(set.stdout).toBe('security.allowedOrigins = ["https://crm.example.com","https://desk.example.com"]')
    const bad = await runCli(['config', 'set', 'security.allowedOrigins', 'https://crm.example.com/path'], configDir)
    expect(bad.exitCode).toBe(2)
    const badNumber = await runCli(['config', 'set', 'numbers.block', '0900,/(/'], configDir)
    expect(badNumber.exitCode).toBe(2)
    expect(badNumber.stderr).toContain('Invalid pattern /(/ in numbers.block')
  })
})

test('a hand-edited token with a line break is refused by the CLI before anything is sent (exit 2)', async () => {
  const configDir = tempConfigDir()
  writeFileSync(
    path.join(configDir, 'config.json'),
    JSON.stringify({security: {token: 'abcdefghijklmnop\r\nX-Injected: 1'}}),
  )
  const result = await runCli(['status', '--port', '1'], configDir)
  expect(result.exitCode).toBe(2)
  // The config is checked first, as listen checks it: the key is named.
  expect(result.stderr).toContain('is invalid: security.token must match pattern')
  writeFileSync(path.join(configDir, 'config.json'), JSON.stringify({host: '127.0.0.1\r\nX-Injected: 1'}))
  const host = await runCli(['status', '--port', '1'], configDir)
  expect(host.exitCode).toBe(2)
  expect(host.stderr).toContain('is invalid: host must match pattern')
})
