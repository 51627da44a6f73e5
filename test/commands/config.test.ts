import {runCommand} from '@oclif/test'
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {ROOT, useTempConfigDir} from '../helpers/paths.js'
import {useBareConsole} from '../helpers/run-command.js'

useBareConsole()

describe('callctl config (in process)', () => {
  const configDir = useTempConfigDir()

  test('path prints the file in CALLCTL_CONFIG_DIR', async () => {
    const {stdout} = await runCommand(['config', 'path'], {root: ROOT})
    expect(stdout.trim()).toBe(path.join(configDir(), 'config.json'))
  })

  test('set, get, list, unset', async () => {
    expect((await runCommand(['config', 'set', 'commands.make', 'dial'], {root: ROOT})).stdout).toBe(
      'commands.make = "dial"\n',
    )
    expect((await runCommand(['config', 'get', 'commands.make'], {root: ROOT})).stdout).toBe('dial\n')
    const {stdout} = await runCommand(['config', 'list'], {root: ROOT})
    expect(stdout).toContain('commands.make = "dial"\n')
    expect(stdout).toContain('port = 5678  (default)\n')
    expect((await runCommand(['config', 'unset', 'commands.make'], {root: ROOT})).stdout).toBe(
      'commands.make unset (default: "make")\n',
    )
  })

  test('a wrong value is refused with the key and what it takes', async () => {
    const {error} = await runCommand(['config', 'set', 'sim.answerAfterMs', 'soon'], {root: ROOT})
    expect(error?.message).toBe(
      'Invalid value for sim.answerAfterMs: "soon"; sim.answerAfterMs takes an integer of at least -1 (milliseconds; 0 at once, -1 never)',
    )
    expect(error?.oclif?.exit).toBe(2)
  })

  test('a right value in a file broken elsewhere is set, said so, and the other problems named (not a failure)', async () => {
    const file = path.join(configDir(), 'config.json')
    writeFileSync(file, JSON.stringify({port: 'abc', driver: {name: 'nope'}}))
    const port = await runCommand(['config', 'set', 'port', '5880'], {root: ROOT})
    expect(port.error).toBeUndefined()
    expect(port.stdout).toBe('port = 5880\n')
    // oclif wraps a warning to the terminal's width.
    const warning = port.stderr.replaceAll(/\s*\n ›\s+/g, ' ')
    expect(warning).toContain('port is set, but the config file has other problems')
    expect(warning).toContain('driver.name must be one of sim')
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({port: 5880, driver: {name: 'nope'}})

    const driver = await runCommand(['config', 'set', 'driver.name', 'sim'], {root: ROOT})
    expect(driver.error).toBeUndefined()
    expect(driver.stderr).toBe('')
  })
})
