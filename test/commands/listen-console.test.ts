import {type ChildProcess, spawn} from 'node:child_process'
import {readFileSync} from 'node:fs'
import path from 'node:path'

import autocannon from 'autocannon'

import {ROOT, tempConfigDir} from '../helpers/paths.js'

/** `callctl listen --json` with its stdout a pipe this test holds: resolves with its URL once it is ready. */
async function listenInto(dir: string): Promise<{child: ChildProcess; url: string}> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'run.js'), 'listen', '--port', '0', '--json'], {
    env: {...process.env, CALLCTL_CONFIG_DIR: dir},
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const url = await new Promise<string>((resolve, reject) => {
    let text = ''
    const onData = (chunk: Buffer) => {
      text += chunk.toString()
      const ready = text.split('\n').find((line) => line.includes('"kind":"ready"'))
      if (!ready) return
      child.stdout!.off('data', onData)
      child.stdout!.pause()
      resolve((JSON.parse(ready) as {url: string}).url)
    }

    child.stdout!.on('data', onData)
    child.once('exit', (code) => reject(new Error(`listen exited with ${code}`)))
  })
  return {child, url}
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) =>
    child.exitCode === null ? child.once('exit', (code) => resolve(code)) : resolve(child.exitCode),
  )
const logOf = (dir: string) => readFileSync(path.join(dir, 'logs', 'listener.jsonl'), 'utf8')

describe('listen outlives its console (a real listener process)', () => {
  test('its reader goes away (listen | head -1): it answers on, says so in the log, and stops cleanly', async () => {
    const dir = tempConfigDir()
    const {child, url} = await listenInto(dir)
    child.stdout!.destroy()
    try {
      for (const number of ['0201', '0202', '0203']) {
        expect((await fetch(`${url}/make/${number}`, {method: 'POST'})).status).toBe(200)
        await fetch(`${url}/end`, {method: 'POST'})
      }

      await new Promise((resolve) => setTimeout(resolve, 300))
      expect((await fetch(`${url}/status`)).status).toBe(200)
      expect(child.exitCode).toBeNull()
      expect(logOf(dir)).toContain("the console's reader went away (EPIPE); the listener runs on")
    } finally {
      child.kill('SIGTERM')
    }

    expect(await exited(child)).toBe(0)
    expect(logOf(dir)).toContain('"kind":"stopped"')
  })

  test('its reader stops reading: lines are left out (the log has them), and a SIGTERM still stops it', async () => {
    const dir = tempConfigDir()
    const {child, url} = await listenInto(dir)
    try {
      // About 2 MB of lines: more than the pipe and the listener's 1 MB console backlog hold.
      const result = await autocannon({url: `${url}/status`, connections: 20, amount: 20_000})
      expect(result.non2xx).toBe(0)
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect(logOf(dir)).toContain("the console's reader is not reading: its lines are left out until it reads again")
    } finally {
      child.kill('SIGTERM')
    }

    const started = performance.now()
    expect(await exited(child)).toBe(0)
    expect(performance.now() - started).toBeLessThan(8000)
  }, 60_000)
})
