import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {runCli} from '../helpers/cli.js'
import {setConfig} from '../helpers/config.js'
import {startListenerProcess} from '../helpers/listener-process.js'
import {tempConfigDir} from '../helpers/paths.js'

describe('callctl listen (real process)', () => {
  test('prints a ready line with its URL and driver, and stops cleanly on SIGTERM', async () => {
    const listener = await startListenerProcess(tempConfigDir())
    expect(listener.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const ready = listener.lines.find((line) => line.kind === 'ready')
    expect(ready).toMatchObject({driver: 'sim'})
    const response = await fetch(`${listener.url}/status`)
    expect(response.status).toBe(200)
    listener.process.kill('SIGTERM')
    const result = await listener.process
    expect(result.exitCode).toBe(0)
    expect(listener.lines.at(-1)).toEqual({kind: 'stopped'})
  })

  test('stops cleanly on SIGINT (Ctrl-C) too', async () => {
    const listener = await startListenerProcess(tempConfigDir())
    listener.process.kill('SIGINT')
    expect((await listener.process).exitCode).toBe(0)
  })

  test('refuses to start with a broken config file, naming it (exit 2)', async () => {
    const dir = tempConfigDir()
    writeFileSync(path.join(dir, 'config.json'), '{"port": 70000}')
    const result = await runCli(['listen', '--port', '0'], dir)
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain(`The config file ${path.join(dir, 'config.json')} is invalid`)
    expect(result.stderr).toContain('port must be <= 65535')
  })

  test('a port held by another callctl with a token is named as callctl, not as another program (exit 6)', async () => {
    const dir = tempConfigDir()
    await setConfig(dir, {'security.token': 'listen-test-token-0123456789'})
    const first = await startListenerProcess(dir)
    try {
      const second = await runCli(['listen', '--port', String(first.port)], dir)
      expect(second.exitCode).toBe(6)
      expect(second.stderr).toContain(
        `Port ${first.port} is already used by another callctl listener (pid ${first.process.pid}`,
      )
      expect(second.stderr).toContain('Code: ERR_PORT_IN_USE')
    } finally {
      await first.stop()
    }
  })

  test('a port held by another program is ERR_PORT_IN_USE (exit 6), a stable code of callctl, not the OS errno', async () => {
    const {createServer} = await import('node:net')
    // Another program: it hangs up on whatever connects (the listener's "is it callctl?" probe among them).
    const other = createServer((socket) => socket.destroy())
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve))
    try {
      const port = (other.address() as {port: number}).port
      const busy = await runCli(['listen', '--port', String(port), '--json'], tempConfigDir())
      expect(busy.exitCode).toBe(6)
      expect(JSON.parse(busy.stdout.trim().split('\n').at(-1)!)).toMatchObject({
        ok: false,
        error: {code: 'ERR_PORT_IN_USE', message: `Port ${port} on 127.0.0.1 is already in use by another program`},
      })
    } finally {
      await new Promise((resolve) => other.close(resolve))
    }
  })
})

test('listen refuses command segments that clash, naming them (exit 2)', async () => {
  const dir = tempConfigDir()
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify({commands: {end: 'answer'}}))
  const result = await runCli(['listen', '--port', '0'], dir)
  expect(result.exitCode).toBe(2)
  expect(result.stderr).toContain('commands.answer and commands.end are both "answer"')
})

test('config set while a listener runs on the configured port says whether it applies now or on restart', async () => {
  const dir = tempConfigDir()
  const {createServer} = await import('node:net')
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as {port: number}).port
  await new Promise((resolve) => probe.close(resolve))
  await setConfig(dir, {port: String(port)})
  const listener = await startListenerProcess(dir, ['--port', String(port)])
  try {
    const set = await runCli(['config', 'set', 'sim.answerAfterMs', '0'], dir)
    expect(set.exitCode).toBe(0)
    expect(set.stderr).toBe(`The listener running now (pid ${listener.process.pid}) applies it within a second`)
    const port = await runCli(['config', 'set', 'port', String(listener.port)], dir)
    expect(port.stderr).toContain(
      `The listener running now (pid ${listener.process.pid}) uses the old value until it restarts`,
    )
  } finally {
    await listener.stop()
  }

  expect((await runCli(['config', 'set', 'sim.answerAfterMs', '5'], dir)).stderr).toBe('')
})

test("config set speaks only of its own folder's listener: not of another folder's on its port, and of its own on another port", async () => {
  const other = await startListenerProcess(tempConfigDir())
  const dir = tempConfigDir()
  try {
    // This folder's port is where the other folder's listener runs: that one does not apply this folder's settings.
    await setConfig(dir, {port: String(other.port)})
    const set = await runCli(['config', 'set', 'driver.sim.answerAfterMs', '0'], dir)
    expect(set.exitCode).toBe(0)
    expect(set.stderr).toBe('')
    expect((await runCli(['config', 'set', 'port', String(other.port + 1)], dir)).stderr).toBe('')

    // This folder's own listener, started on a port of its own: found, though the config names another port.
    const own = await startListenerProcess(dir)
    try {
      expect((await runCli(['config', 'set', 'driver.sim.answerAfterMs', '5'], dir)).stderr).toBe(
        `The listener running now (pid ${own.process.pid}) applies it within a second`,
      )
    } finally {
      await own.stop()
    }
  } finally {
    await other.stop()
  }
})

test('a config file from before driver.sim: the listener runs with it, writes it back in the new shape and logs that once', async () => {
  const dir = tempConfigDir()
  const file = path.join(dir, 'config.json')
  writeFileSync(file, JSON.stringify({sim: {answerAfterMs: 0}, user: {name: 'Ann'}}))
  const first = await startListenerProcess(dir)
  try {
    // answerAfterMs 0 from the old place: the remote answers at once.
    const made = (await (await fetch(`${first.url}/make/0201`, {method: 'POST'})).json()) as {call: {state: string}}
    expect(made.call.state).toBe('active')
  } finally {
    await first.stop()
  }

  expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({user: {name: 'Ann'}, driver: {sim: {answerAfterMs: 0}}})
  const second = await startListenerProcess(dir)
  await second.stop()
  const notes = (await runCli(['logs', '--json'], dir)).stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as {kind: string; message?: string})
    .filter((record) => record.kind === 'config')
  expect(notes).toEqual([
    expect.objectContaining({
      message: `config: moved the settings under "sim" to "driver.sim"; written back to ${file}`,
    }),
  ])
})
