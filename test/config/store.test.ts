import {execFileSync} from 'node:child_process'
import {lstatSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {osFolders} from '../../src/config/paths.js'
import {mergeDefaults} from '../../src/config/settings.js'
import {loadConfig, openConfigStore, SETTINGS} from '../../src/settings.js'
import {ConfigError} from '../../src/errors.js'
import {runCli} from '../helpers/cli.js'
import {tempConfigDir, useTempConfigDir} from '../helpers/paths.js'

describe('ConfigStore', () => {
  const configDir = useTempConfigDir()

  test('CALLCTL_CONFIG_DIR holds config.json; values are typed by the schema', async () => {
    const store = await openConfigStore()
    expect(store.path).toBe(path.join(configDir(), 'config.json'))
    expect(store.setText('port', '5679')).toBe(5679)
    expect(store.setText('driver.sim.answerAfterMs', '-1')).toBe(-1)
    expect(JSON.parse(readFileSync(store.path, 'utf8'))).toEqual({port: 5679, driver: {sim: {answerAfterMs: -1}}})
    expect(loadConfig().port).toBe(5679)
    expect(loadConfig().driver.sim).toEqual({answerAfterMs: -1, hangupAfterMs: -1})
  })

  test('defaults apply without being written', async () => {
    const store = await openConfigStore()
    expect(store.get('port')).toBe(5678)
    expect(store.get('commands.make')).toBe('make')
    expect(store.stored()).toEqual({})
  })

  test.each([
    ['port', '70000', /Invalid value for port: .*must be <= 65535.*an integer from 1 to 65535/],
    ['port', 'abc', /Invalid value for port: "abc"/],
    ['commands.make', 'a/b', /Invalid value for commands.make/],
    ['notifications.incoming', 'ftp://x', /Invalid value for notifications.incoming/],
    ['driver.name', 'nope', /one of sim/],
    ['nope', '1', /Unknown config key "nope"/],
  ])('refuses %s=%s and leaves the file as it was', async (key, value, message) => {
    const store = await openConfigStore()
    store.setText('port', '5000')
    const before = readFileSync(store.path, 'utf8')
    expect(() => store.setText(key, value)).toThrow(message)
    expect(() => store.setText(key, value)).toThrow(ConfigError)
    expect(readFileSync(store.path, 'utf8')).toBe(before)
  })

  test('the file is readable by its owner only', async () => {
    const store = await openConfigStore()
    store.setText('port', '5000')
    if (process.platform !== 'win32') expect(statSync(store.path).mode & 0o777).toBe(0o600)
  })

  test('a broken file is reported with its path, not replaced', async () => {
    const file = path.join(configDir(), 'config.json')
    writeFileSync(file, '{"port": ')
    await expect(openConfigStore()).rejects.toThrow(`The config file ${file} is not valid JSON`)
    expect(() => loadConfig()).toThrow(`The config file ${file} is not valid JSON`)
    expect(readFileSync(file, 'utf8')).toBe('{"port": ')
  })

  test('a hand-edited invalid file is reported with every key, and config set can still fix it', async () => {
    const file = path.join(configDir(), 'config.json')
    writeFileSync(
      file,
      JSON.stringify({
        port: 'x',
        driver: {sim: {answerAfterMs: -5}},
        colour: 'red',
        callbacks: [{url: 'ftp://x', events: []}, {events: ['new']}],
      }),
    )
    const expected = `The config file ${file} is invalid: port must be integer; driver.sim.answerAfterMs must be >= -1; colour is not a setting; callbacks.0.url must match pattern "^https?://"; callbacks.0.events must NOT have fewer than 1 items; callbacks.1 must have required property 'url'`
    expect(() => loadConfig()).toThrow(expected)
    const store = await openConfigStore()
    expect(() => store.effective()).toThrow(expected)
    store.setText('port', '5679')
    store.unset('driver.sim.answerAfterMs')
    expect(() => loadConfig()).toThrow(/is invalid: colour is not a setting; callbacks/)
  })

  test('a file from before driver.sim keeps working: sim.* is read as driver.sim.*, and config set writes the new shape', async () => {
    const file = path.join(configDir(), 'config.json')
    writeFileSync(file, JSON.stringify({port: 5679, sim: {answerAfterMs: 0}}))
    expect(loadConfig().driver.sim).toEqual({answerAfterMs: 0, hangupAfterMs: -1})
    const store = await openConfigStore()
    expect(store.get('driver.sim.answerAfterMs')).toBe(0)
    store.setText('driver.sim.hangupAfterMs', '5')
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      port: 5679,
      driver: {sim: {answerAfterMs: 0, hangupAfterMs: 5}},
    })
    // An invalid old value is reported where it now lives.
    writeFileSync(file, JSON.stringify({sim: {answerAfterMs: -5}}))
    expect(() => loadConfig()).toThrow('driver.sim.answerAfterMs must be >= -1')
  })

  test.each([
    ['{"toString":1}', 'toString'],
    ['{"__proto__":{"port":1}}', '__proto__'],
    ['{"security":{"__proto__":{"token":"x y"}}}', 'security.__proto__'],
  ])('keys every object has are not settings: %s', (text, key) => {
    writeFileSync(path.join(configDir(), 'config.json'), text)
    expect(() => loadConfig()).toThrow(`is invalid: ${key} is not a setting`)
  })

  test('a config that is not a regular file, or far too large, is refused before it is read (no hang on a FIFO or /dev/zero)', async () => {
    const file = path.join(configDir(), 'config.json')
    execFileSync('mkfifo', [file])
    expect(() => loadConfig()).toThrow(`The config file ${file} is not a regular file`)
    await expect(openConfigStore()).rejects.toThrow('is not a regular file')
    rmSync(file)
    symlinkSync('/dev/zero', file)
    expect(() => loadConfig()).toThrow('is not a regular file')
    rmSync(file)
    writeFileSync(file, `{"user": {"name": "${'x'.repeat(2 * 1024 * 1024)}"}}`)
    expect(() => loadConfig()).toThrow('is too large for a config')
    writeFileSync(file, `{"zzz": ${'['.repeat(5000)}${']'.repeat(5000)}}`)
    expect(() => loadConfig()).toThrow(/is invalid: (nested too deeply|zzz is not a setting)/)
  })

  test('an old file whose driver is not an object is not repaired by the migration: it stays invalid, and says so', () => {
    writeFileSync(path.join(configDir(), 'config.json'), JSON.stringify({sim: {answerAfterMs: 0}, driver: 'baresip'}))
    expect(() => loadConfig()).toThrow('driver must be object')
  })

  test('written back through a symlink to the file it points at; a failed write leaves no temporary file', () => {
    const target = path.join(configDir(), 'dotfiles.json')
    const file = path.join(configDir(), 'config.json')
    writeFileSync(target, '{}')
    symlinkSync(target, file)
    SETTINGS.persist(file, {port: 5679})
    expect(lstatSync(file).isSymbolicLink()).toBe(true)
    expect(JSON.parse(readFileSync(target, 'utf8'))).toEqual({port: 5679})
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    expect(() => SETTINGS.persist(file, cyclic)).toThrow()
    expect(readdirSync(configDir()).filter((name) => name.endsWith('.tmp'))).toEqual([])
  })

  test("drivers' own checks run on config set: a template placeholder that does not exist is refused", async () => {
    const store = await openConfigStore()
    expect(() => store.setText('driver.uri.template', 'tel:{NUMBR}')).toThrow(
      'Unknown placeholder {NUMBR} in driver.uri.template',
    )
    expect(() => store.setText('driver.uri.template', 'tel:no-number')).toThrow(
      'driver.uri.template must contain {NUMBER}',
    )
    expect(() => store.setText('driver.command.make', '["x","{NUMBR}"]')).toThrow(
      'Unknown placeholder {NUMBR} in driver.command.make[1]',
    )
    expect(() => store.setText('driver.baresip.dialUri', 'sip:{NUMBER}@{DOMIAN}')).toThrow(
      'Unknown placeholder {DOMIAN} in driver.baresip.dialUri',
    )
    expect(store.setText('driver.baresip.dialUri', 'sip:{NUMBER}@{DOMAIN}')).toBe('sip:{NUMBER}@{DOMAIN}')
    expect(
      await SETTINGS.problems(mergeDefaults(SETTINGS.defaults, {driver: {uri: {template: 'tel:{NUMBR}'}}})),
    ).toEqual(['Unknown placeholder {NUMBR} in driver.uri.template: use {NUMBER}, {NAME}, {CALLID}'])
  })

  test('the file must hold an object', () => {
    writeFileSync(path.join(configDir(), 'config.json'), '[1]')
    expect(() => loadConfig()).toThrow(/is invalid: the config must be object/)
  })
})

describe('the per-user folders of each OS', () => {
  test.each([
    [
      'darwin',
      {},
      '/Users/ann',
      {config: '/Users/ann/Library/Preferences/callctl', log: '/Users/ann/Library/Logs/callctl'},
    ],
    [
      'win32',
      {APPDATA: 'C:\\Users\\ann\\AppData\\Roaming', LOCALAPPDATA: 'C:\\Users\\ann\\AppData\\Local'},
      'C:\\Users\\ann',
      {
        config: 'C:\\Users\\ann\\AppData\\Roaming\\callctl\\Config',
        log: 'C:\\Users\\ann\\AppData\\Local\\callctl\\Log',
      },
    ],
    [
      'win32',
      {},
      'C:\\Users\\ann',
      {
        config: 'C:\\Users\\ann\\AppData\\Roaming\\callctl\\Config',
        log: 'C:\\Users\\ann\\AppData\\Local\\callctl\\Log',
      },
    ],
    ['linux', {}, '/home/ann', {config: '/home/ann/.config/callctl', log: '/home/ann/.local/state/callctl'}],
    [
      'linux',
      {XDG_CONFIG_HOME: '/x/conf', XDG_STATE_HOME: '/x/state'},
      '/home/ann',
      {config: '/x/conf/callctl', log: '/x/state/callctl'},
    ],
  ] as const)('%s %j', (platform, env, home, expected) => {
    expect(osFolders(platform, env, home)).toEqual(expected)
  })
})

describe('command segments', () => {
  const configDir = useTempConfigDir()

  test('config set refuses a segment another command or a built-in route has; the file is left as it was', async () => {
    const store = await openConfigStore()
    store.setText('commands.make', 'dial')
    expect(() => store.setText('commands.end', 'answer')).toThrow(
      'Invalid value for commands.end: commands.answer and commands.end are both "answer": each command needs its own segment',
    )
    expect(() => store.setText('commands.make', 'status')).toThrow(
      'commands.make cannot be "status": /status is a built-in route',
    )
    expect(readFileSync(path.join(configDir(), 'config.json'), 'utf8')).toContain('"make": "dial"')
    expect(store.effective().commands).toMatchObject({make: 'dial', answer: 'answer', end: 'end', hold: 'hold'})
  })

  test('a file broken elsewhere does not block setting a segment (the check reads only the segments)', async () => {
    writeFileSync(path.join(configDir(), 'config.json'), JSON.stringify({port: 'x'}))
    const store = await openConfigStore()
    store.setText('commands.make', 'dial')
    expect(() => store.setText('commands.end', 'dial')).toThrow('commands.make and commands.end are both "dial"')
  })
})

test("config get shows the drivers' defaults when they are not set", async () => {
  const configDir = tempConfigDir()
  const result = await runCli(['config', 'get', 'driver.baresip.port'], configDir)
  expect(result.stdout).toBe('4444')
  expect((await runCli(['config', 'get', 'driver.command.timeoutMs'], configDir)).stdout).toBe('10000')
})
