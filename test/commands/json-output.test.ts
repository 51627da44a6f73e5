import {writeFileSync} from 'node:fs'
import path from 'node:path'

import {runCli} from '../helpers/cli.js'
import {tempConfigDir} from '../helpers/paths.js'
import {closedPort} from '../helpers/ports.js'

/**
 * `--json` has one shape on every command and both CLI paths (the fast path of bin/run.js and oclif):
 * `{"ok": true, ...}` or `{"ok": false, "error": {code, message, hints}}`, with the exit code of the human output.
 */
describe('--json: one shape everywhere, the exit codes of the human output', () => {
  let port: string
  beforeAll(async () => {
    port = String(await closedPort())
  })

  const failures: Array<[string, number, () => string[], string]> = [
    ['make (fast path), no listener', 3, () => ['make', '0201234567', '--port', port], 'ERR_NO_LISTENER'],
    ['answer (oclif), no listener', 3, () => ['answer', `-p${port}`], 'ERR_NO_LISTENER'],
    ['status, no listener', 3, () => ['status', '--port', port], 'ERR_NO_LISTENER'],
    ['notify, no listener', 3, () => ['notify', 'incoming', '0612345678', '--port', port], 'ERR_NO_LISTENER'],
    ['popup, no listener', 3, () => ['popup', '--port', port], 'ERR_NO_LISTENER'],
    ['events, no listener', 3, () => ['events', '--port', port], 'ERR_NO_LISTENER'],
    ['listen with an unknown driver', 2, () => ['listen', '--driver', 'nope', '--port', port], 'ERR_USAGE'],
    ['logs with a bad count', 2, () => ['logs', '-n', 'many'], 'ERR_USAGE'],
    ['make without a number (a usage error)', 2, () => ['make'], 'ERR_USAGE'],
    ['an unknown flag', 2, () => ['status', '--colour'], 'ERR_USAGE'],
    ['config get of an unknown key', 2, () => ['config', 'get', 'nope'], 'ERR_CONFIG'],
    ['config set of a bad value', 2, () => ['config', 'set', 'port', 'abc'], 'ERR_CONFIG'],
  ]
  test.each(failures)('%s: exit %i, {ok: false, error}', async (_, exit, args, code) => {
    const configDir = tempConfigDir()
    const [human, json] = await Promise.all([runCli(args(), configDir), runCli([...args(), '--json'], configDir)])
    expect(human.exitCode).toBe(exit)
    expect(json.exitCode).toBe(exit)
    const output = JSON.parse(json.stdout) as {ok: boolean; error: {code: string; message: string; hints: string[]}}
    expect(output).toEqual({ok: false, error: {code, message: expect.any(String), hints: expect.any(Array)}})
    expect(human.stderr).toContain(output.error.message.split('\n')[0])
  })

  const successes: Array<[string, string[], Record<string, unknown>]> = [
    ['config path', ['config', 'path'], {path: expect.stringMatching(/config\.json$/)}],
    ['config get', ['config', 'get', 'port'], {key: 'port', value: 5678}],
    ['config list', ['config', 'list'], {config: expect.objectContaining({port: 5678})}],
    ['outbox', ['outbox'], {pending: [], failed: []}],
    ['open --print', ['open', '--print'], {url: 'http://127.0.0.1:5678/'}],
    ['scripts', ['scripts'], {applescript: expect.any(String), powershell: expect.any(String)}],
  ]
  test.each(successes)('%s: exit 0, {ok: true, ...}', async (_, args, fields) => {
    const result = await runCli([...args, '--json'], tempConfigDir())
    expect(result.exitCode).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual({ok: true, ...fields})
  })
})

describe('forwarding commands check the config as listen does', () => {
  test.each([
    ['make', ['make', '0201234567']],
    ['answer', ['answer']],
    ['status', ['status']],
    ['events', ['events']],
  ])('%s with {"port": "abc"}: a config error naming the key (exit 2), not "no listener"', async (_, args) => {
    const configDir = tempConfigDir()
    writeFileSync(path.join(configDir, 'config.json'), '{"port": "abc"}')
    const human = await runCli(args, configDir)
    expect(human.exitCode).toBe(2)
    expect(human.stderr).toContain('is invalid: port must be integer')
    expect(human.stderr).not.toContain('listener')
    const json = await runCli([...args, '--json'], configDir)
    expect(json.exitCode).toBe(2)
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      error: {code: 'ERR_CONFIG', message: expect.stringContaining('port must be integer')},
    })
  })
})
