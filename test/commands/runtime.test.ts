import {execa} from 'execa'
import {copyFileSync, mkdirSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {ROOT, RUN_JS, tempConfigDir} from '../helpers/paths.js'
import {closedPort} from '../helpers/ports.js'
import {until} from '../helpers/wait.js'

/** The first `node` on the PATH without the project's node_modules/.bin: the system's, as a user's shell finds it. */
async function systemNode(): Promise<{file: string; version: string} | undefined> {
  const PATH = (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((dir) => !dir.startsWith(ROOT))
    .join(path.delimiter)
  const found = await execa('node', ['--version'], {env: {PATH}, reject: false})
  if (found.exitCode !== 0) return undefined
  const {stdout} = await execa('node', ['-p', 'process.execPath'], {env: {PATH}})
  return {file: stdout, version: found.stdout}
}

const old = (version: string) => {
  const [major, minor] = version.slice(1).split('.').map(Number)
  return major < 22 || (major === 22 && minor < 13)
}

describe('the Node it runs on (engines.node >=22.13)', () => {
  test("run by an older system Node in a clone, bin/run.js hands over to the project's Node 24", async () => {
    const node = await systemNode()
    // This machine kind has Node 20 as its system Node; where the system Node is current, it simply runs.
    if (!node) throw new Error('no system node on the PATH')
    const result = await execa(node.file, [RUN_JS, '--version'], {
      env: {CALLCTL_CONFIG_DIR: tempConfigDir()},
      reject: false,
    })
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toMatch(
      old(node.version) ? /node-v24\./ : new RegExp(`node-${node.version.replaceAll('.', '\\.')}`),
    )
  })

  test("kill <pid> of a listener started by an older Node stops the listener on the project's Node, and frees its port", async () => {
    const node = await systemNode()
    if (!node) throw new Error('no system node on the PATH')
    const port = await closedPort()
    const listener = execa(node.file, [RUN_JS, 'listen', '--port', String(port)], {
      env: {CALLCTL_CONFIG_DIR: tempConfigDir()},
      reject: false,
    })
    await until(
      async () =>
        fetch(`http://127.0.0.1:${port}/status`).then(
          (response) => response.ok,
          () => false,
        ),
      15_000,
    )
    listener.kill('SIGTERM')
    const result = await listener
    expect(result.exitCode).toBe(0)
    // Nothing answers on the port any more: the listener itself stopped, not only the Node that started it.
    await expect(fetch(`http://127.0.0.1:${port}/status`)).rejects.toThrow()
  })

  test("kill -9 of the older Node that started a listener stops the listener on the project's Node too", async () => {
    const node = await systemNode()
    if (!node) throw new Error('no system node on the PATH')
    if (!old(node.version)) return // A current system Node runs the listener itself: nothing in between to kill.
    const port = await closedPort()
    const started = execa(node.file, [RUN_JS, 'listen', '--port', String(port), '--json'], {
      env: {CALLCTL_CONFIG_DIR: tempConfigDir()},
      reject: false,
    })
    const up = async () =>
      fetch(`http://127.0.0.1:${port}/status`).then(
        (response) => response.ok,
        () => false,
      )
    await until(up, 15_000)
    const {pid} = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as {pid: number}
    try {
      started.kill('SIGKILL')
      await started
      // The listener (the project's Node, a child of the killed one) follows within moments and frees the port.
      await until(async () => !(await up()), 5000)
    } finally {
      // Left running by a failure of this test: not by the next one.
      try {
        process.kill(pid, 'SIGKILL')
      } catch {}
    }
  })

  test("installed without the project's Node, an older Node gets a plain message (exit 1), never a stack trace", async () => {
    const node = await systemNode()
    if (!node || !old(node.version)) return // Nothing to show where the system Node is current.
    const bin = path.join(mkdtempSync(path.join(tmpdir(), 'callctl-old-node-')), 'bin')
    mkdirSync(bin)
    for (const file of ['run.js', 'runtime.js']) copyFileSync(path.join(ROOT, 'bin', file), path.join(bin, file))
    const result = await execa(node.file, [path.join(bin, 'run.js'), 'status'], {reject: false})
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toBe(
      `callctl needs Node.js 22.13 or newer (24 LTS recommended); this is ${node.version}. Install a current Node.js from nodejs.org.`,
    )
  })
})
