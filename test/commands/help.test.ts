import {execa} from 'execa'

import {runCli} from '../helpers/cli.js'
import {startListenerProcess} from '../helpers/listener-process.js'
import {RUN_JS, tempConfigDir} from '../helpers/paths.js'
import {until} from '../helpers/wait.js'

describe('help and typos, as users of oclif CLIs expect (oclif Help class, @oclif/plugin-not-found)', () => {
  test('`callctl help` lists the commands; `callctl help make` is the help of make', async () => {
    const configDir = tempConfigDir()
    const all = await runCli(['help'], configDir)
    expect(all.exitCode).toBe(0)
    expect(all.stdout).toMatch(/COMMANDS\n[\s\S]*\n {2}make +Dial a number through the running listener/)
    const make = await runCli(['help', 'make'], configDir)
    expect(make.exitCode).toBe(0)
    expect(make.stdout).toContain('$ callctl make NUMBER')
    expect(make.stdout).toContain('EXIT CODES')
  })

  test('a typo in a terminal asks "Did you mean status?" and runs it on yes (a real pty through script(1))', async () => {
    const configDir = tempConfigDir()
    const command = [process.execPath, RUN_JS, 'stauts', '--port', '1'].map((arg) => `'${arg}'`).join(' ')
    const session = execa('script', ['-qec', command, '/dev/null'], {
      env: {CALLCTL_CONFIG_DIR: configDir, NO_COLOR: '1'},
      reject: false,
      timeout: 20_000,
    })
    let seen = ''
    session.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString()
      if (seen.includes('Did you mean') && !seen.includes('(answered)')) {
        seen += '(answered)'
        session.stdin!.write('y\r')
      }
    })
    const result = await session
    expect(result.stdout).toContain('stauts is not a callctl command')
    expect(result.stdout).toContain('Did you mean status?')
    // "status" ran, with the rest of the arguments: no listener on port 1.
    expect(result.stdout).toContain('No callctl listener is running on 127.0.0.1:1')
    expect(result.exitCode).toBe(3)
  })

  test('a typo in a script (no terminal) fails at once: exit 127 and the way to the list', async () => {
    const result = await runCli(['stauts'], tempConfigDir())
    expect(result.exitCode).toBe(127)
    expect(result.stderr).toContain('stauts is not a callctl command')
    expect(result.stderr).toContain('Run callctl help for a list of available commands')
  })
})

test('an argument a command does not take is a usage error of that command (exit 2, --json too), not an unknown command', async () => {
  const configDir = tempConfigDir()
  const human = await runCli(['end', 'sim-123'], configDir)
  expect(human.exitCode).toBe(2)
  expect(human.stderr).toContain('Unexpected argument: sim-123')
  // The same Code: line as every other usage error.
  expect(human.stderr).toContain('Code: ERR_USAGE')
  expect(human.stderr).not.toMatch(/\n\s+at /)
  const json = await runCli(['status', 'extra', '--json'], configDir)
  expect(json.exitCode).toBe(2)
  expect(JSON.parse(json.stdout)).toMatchObject({
    ok: false,
    error: {code: 'ERR_USAGE', message: expect.stringContaining('Unexpected argument: extra')},
  })
  const typo = await runCli(['stauts', '--json'], configDir)
  expect(typo.exitCode).toBe(127)
  expect(JSON.parse(typo.stdout)).toMatchObject({
    ok: false,
    error: {code: 'ERR_UNKNOWN_COMMAND', message: 'stauts is not a callctl command'},
  })
})

test('help for something that does not exist is a usage error in words (or the --json shape), never a stack trace', async () => {
  const configDir = tempConfigDir()
  const human = await runCli(['help', 'bogus'], configDir)
  expect(human.exitCode).toBe(2)
  expect(human.stderr).toContain('Command bogus not found.')
  expect(human.stderr).not.toMatch(/\n\s+at /)
  const json = await runCli(['help', 'bogus', '--json'], configDir)
  expect(json.exitCode).toBe(2)
  expect(JSON.parse(json.stdout)).toMatchObject({
    ok: false,
    error: {code: 'ERR_USAGE', message: 'Command bogus not found.'},
  })
})

test('a reader that goes away (| head -1) ends a command quietly: exit 0, no warning, also a following `events`', async () => {
  const configDir = tempConfigDir()
  const listener = await startListenerProcess(configDir)
  try {
    for (const args of [
      ['config', 'list'],
      ['events', '--port', String(listener.port)],
    ]) {
      const child = execa(process.execPath, [RUN_JS, ...args], {
        env: {CALLCTL_CONFIG_DIR: configDir},
        reject: false,
        timeout: 15_000,
      })
      // Like `head -1`: read the first chunk, then close the pipe.
      const read = new Promise<void>((resolve) =>
        child.stdout!.once('data', () => {
          child.stdout!.destroy()
          resolve()
        }),
      )
      if (args[0] === 'events') {
        await until(
          async () =>
            ((await (await fetch(`${listener.url}/status`)).json()) as {subscribers: number}).subscribers === 1,
        )
        const event = async () => fetch(`${listener.url}/notify/incoming?number=0611`, {method: 'POST'})
        await event()
        await read
        // The next event meets the closed pipe (one more, on a busy machine, may still be on its way).
        for (let i = 0; i < 20 && child.nodeChildProcess.exitCode === null; i++) {
          await event()
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
      }

      const result = await child
      expect(result.timedOut).toBe(false)
      expect(result.exitCode).toBe(0)
      expect(result.stderr).toBe('')
    }
  } finally {
    await listener.stop()
  }
})
