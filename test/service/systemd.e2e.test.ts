import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {createServer} from 'node:net'
import {homedir} from 'node:os'
import path from 'node:path'

import {runCli} from '../helpers/cli.js'
import {tempConfigDir} from '../helpers/paths.js'

/**
 * The real thing: a systemd user unit installed, started, answering /status, and removed. It needs a systemd user
 * instance (a desktop session, or `loginctl enable-linger`), which containers and most CI runners do not have, so
 * it is skipped, never failed, without one (it is not a required tool, unlike baresip in CI).
 */
function whySkip(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux'
  const probe = spawnSync('systemctl', ['--user', 'show-environment'], {encoding: 'utf8'})
  if (probe.status !== 0)
    return `no systemd user instance (systemctl --user show-environment: ${(probe.stderr || probe.error?.message || '').trim()})`
  // The unit goes where systemd looks for it, in the real home: never replace one the user installed.
  const unit = path.join(process.env.XDG_CONFIG_HOME || path.join(homedir(), '.config'), 'systemd/user/callctl.service')
  if (existsSync(unit)) return `${unit} already exists`
  return undefined
}

const reason = whySkip()
if (reason) process.stderr.write(`Skipping the real systemd service test: ${reason}\n`)
const realTest = reason ? test.skip : test

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const {port} = server.address() as {port: number}
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

async function waitForStatus(port: number, timeoutMs: number): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/status`)
      if (response.ok) return (await response.json()) as Record<string, unknown>
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`no /status on port ${port} within ${timeoutMs} ms: ${(error as Error).message}`, {
          cause: error,
        })
    }

    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

describe('callctl service with a real systemd --user', () => {
  realTest(
    'install starts the listener on the configured port, uninstall removes it',
    async () => {
      const configDir = tempConfigDir()
      const port = await freePort()
      expect((await runCli(['config', 'set', 'port', String(port)], configDir)).exitCode).toBe(0)
      try {
        const install = await runCli(['service', 'install'], configDir)
        expect(install).toMatchObject({exitCode: 0, stderr: ''})
        expect(await waitForStatus(port, 15_000)).toMatchObject({name: 'callctl'})
        const status = JSON.parse((await runCli(['service', 'status', '--json'], configDir)).stdout)
        expect(status).toMatchObject({installed: true, running: true})
      } finally {
        const uninstall = await runCli(['service', 'uninstall'], configDir)
        expect(uninstall).toMatchObject({exitCode: 0, stderr: ''})
      }

      await expect(fetch(`http://127.0.0.1:${port}/status`)).rejects.toThrow()
    },
    60_000,
  )
})
