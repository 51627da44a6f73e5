import {execa} from 'execa'
import {copyFileSync, mkdirSync, renameSync} from 'node:fs'
import path from 'node:path'

import {runCli} from '../helpers/cli.js'
import {setConfig} from '../helpers/config.js'
import {startListenerProcess} from '../helpers/listener-process.js'
import {tempConfigDir} from '../helpers/paths.js'

const mkfifo = async (file: string) => execa('mkfifo', [file])
const status = async (url: string) =>
  (await fetch(`${url}/status`, {signal: AbortSignal.timeout(3000)}).catch(() => ({status: 0}))).status

/**
 * A FIFO where callctl expects a file (config.json, the log, the store) must not hang anything: opening one waits for
 * a peer for ever. The listener stopped answering (and ignored SIGTERM) with one put in its config's or log's place,
 * and listen, history, outbox, logs and doctor hung at start.
 */
;(process.platform === 'win32' ? describe.skip : describe)('a FIFO in place of a file callctl reads or writes', () => {
  test('put in place of config.json and then of the log while the listener runs: it answers on, and stops on SIGTERM', async () => {
    const configDir = tempConfigDir()
    await setConfig(configDir, {'driver.sim.answerAfterMs': '0'})
    const listener = await startListenerProcess(configDir)
    let stopped = false
    try {
      const config = path.join(configDir, 'config.json')
      copyFileSync(config, `${config}.saved`)
      await mkfifo(`${config}.fifo`)
      renameSync(`${config}.fifo`, config)
      // The listener looks at its config file about once a second.
      await listener.waitForLine((line) => String(line.message).includes('is not a regular file'), 5000)
      expect(await status(listener.url)).toBe(200)
      renameSync(`${config}.saved`, config)

      // Made beside it and moved over it in one step: the listener writes a line at any moment.
      const log = path.join(configDir, 'logs', 'listener.jsonl')
      await mkfifo(`${log}.fifo`)
      renameSync(`${log}.fifo`, log)
      for (let i = 0; i < 3; i++) expect(await status(listener.url)).toBe(200)
      expect((await fetch(`${listener.url}/make/0201234`, {method: 'POST'})).status).toBe(200)
      const stopping = Date.now()
      await listener.stop()
      stopped = true
      expect(Date.now() - stopping).toBeLessThan(3000)
    } finally {
      if (!stopped) await listener.stop()
    }
  }, 30_000)

  test('in place of the store: listen, history and outbox refuse it at once (exit 6), doctor names it; none waits', async () => {
    const configDir = tempConfigDir()
    await mkfifo(path.join(configDir, 'callctl.db'))
    for (const command of [['listen', '--port', '0'], ['history'], ['outbox']]) {
      const result = await runCli(command, configDir)
      expect({command, exitCode: result.exitCode}).toEqual({command, exitCode: 6})
      expect(result.stderr).toContain(`${path.join(configDir, 'callctl.db')} is not a regular file`)
      expect(result.stderr).toContain('Move it away')
    }

    const doctor = await runCli(['doctor', '--json'], configDir)
    const checks = (JSON.parse(doctor.stdout) as {error: {message: string}}).error.message
    expect(checks).toContain('store')
  }, 60_000)

  test('in place of the log: logs says so (ERR_LOG), doctor reports it as a check and goes on, listen runs without it', async () => {
    const configDir = tempConfigDir()
    mkdirSync(path.join(configDir, 'logs'))
    const log = path.join(configDir, 'logs', 'listener.jsonl')
    await mkfifo(log)
    for (const command of [['logs'], ['logs', '-f']]) {
      const result = await runCli([...command, '--json'], configDir)
      expect(result.exitCode).toBe(1)
      expect(JSON.parse(result.stdout)).toMatchObject({
        ok: false,
        error: {code: 'ERR_LOG', message: `Cannot read the log ${log}: ${log} is not a regular file`},
      })
    }

    const doctor = await runCli(['doctor'], configDir)
    expect(doctor.stdout).toMatch(/✗ log +Cannot read the log .* is not a regular file/)
    expect(doctor.stdout).toMatch(/✓ config/)
    const listener = await startListenerProcess(configDir)
    try {
      expect(await status(listener.url)).toBe(200)
    } finally {
      await listener.stop()
    }
  }, 60_000)
})
