import {parseFast} from '../../src/cli/fast-path.js'
import {runCli} from '../helpers/cli.js'
import {setConfig} from '../helpers/config.js'
import {type ListenerProcess, startListenerProcess} from '../helpers/listener-process.js'
import {tempConfigDir} from '../helpers/paths.js'

describe('the fast path of bin/run.js (make, answer, end, status without oclif)', () => {
  test('takes the plain argv shapes', () => {
    expect(parseFast(['make', '+31 20 123', '--port', '5679'])).toEqual({
      command: 'make',
      flags: {port: 5679},
      positional: ['+31 20 123'],
    })
    expect(parseFast(['answer', '--call=abc', '-p', '1'])).toEqual({
      command: 'answer',
      flags: {call: 'abc', port: 1},
      positional: [],
    })
    expect(parseFast(['end'])).toEqual({command: 'end', flags: {}, positional: []})
    expect(parseFast(['status', '--port=5678'])).toEqual({command: 'status', flags: {port: 5678}, positional: []})
    expect(parseFast(['listen', '--port', '0', '--json', '--driver', 'baresip', '--spawn', '--host=::1'])).toEqual({
      command: 'listen',
      flags: {port: 0, json: true, driver: 'baresip', spawn: true, host: '::1'},
      positional: [],
    })
  })

  test.each([
    [['make']], // missing number: oclif's usage error
    [['make', '1', '2']],
    [['make', '']],
    [['make', '--help']],
    [['answer', '-h']],
    [['end', '--port', '0']],
    [['end', '--port', 'x']],
    [['end', '--port']],
    [['status', '--verbose']],
    [['make', '--call', 'x', '1']], // --call is not a flag of make
    [['answer', '--call']],
    [['make', '--', '-1']],
    [['end', '-p5678']],
    [['end', '--port', '1.5']],
    [['status', '--json=true']],
    [['status', '--port', '1', '-p', '2']], // repeated: oclif's "can only be specified once"
    [['end', '--call', 'a', '--call', 'b']],
    [['listen', '--port', '70000']],
    [['listen', 'now']],
    [['listen', '--help']],
    [['constructor']],
    [['notify', 'incoming', '1']],
    [['--version']],
    [[]],
  ])('hands %j to oclif', (argv) => {
    expect(parseFast(argv)).toBeUndefined()
  })

  describe('prints exactly what the oclif commands print', () => {
    let listener: ListenerProcess
    let configDir: string
    beforeAll(async () => {
      configDir = tempConfigDir()
      await setConfig(configDir, {'sim.answerAfterMs': '-1'})
      listener = await startListenerProcess(configDir)
    })
    afterAll(async () => {
      await listener?.stop()
    })

    // `-pN` is a shape only oclif takes: the same command through both paths.
    const fast = (...args: string[]) => runCli([...args, '--port', String(listener.port)], configDir)
    const viaOclif = (...args: string[]) => runCli([...args, `-p${listener.port}`], configDir)
    const sameShape = (text: string) =>
      text
        .replaceAll(/(sim-)?[\da-f]{8}-[\da-f-]{27}/g, 'ID')
        .replaceAll(/"(createdAt|answeredAt|endedAt|startedAt|pid|uptimeMs)": ("[^"]+"|\d+)/g, '"$1": "X"')

    const post = (path: string) => fetch(`${listener.url}${path}`, {method: 'POST'})
    const ringing = () => post('/notify/incoming?number=0612345678')
    const dialing = () => post('/make/020123456')
    const cases: Array<[string[], (() => Promise<unknown>) | undefined]> = [
      [['make', '020 123 456'], undefined],
      [['make', '020 123 456', '--json'], undefined],
      [['answer'], ringing],
      [['answer', '--json'], ringing],
      [['end'], dialing],
      [['end', '--json'], dialing],
      [['status'], dialing],
      [['status', '--json'], undefined],
      [['end'], undefined], // nothing to end: exit 4
      [['answer', '--json'], undefined],
      [['make', '12ab'], undefined],
    ]
    test.each(cases)('%j', async (args, before) => {
      const run = async (path: typeof fast) => {
        await before?.()
        const result = await path(...args)
        // Each path starts from no calls.
        while ((await post('/end')).ok);
        return result
      }

      const a = await run(fast)
      const b = await run(viaOclif)
      expect(b.exitCode).toBe(a.exitCode)
      expect(sameShape(b.stdout)).toBe(sameShape(a.stdout))
      expect(b.stderr).toBe(a.stderr)
    })

    test.each([
      ['--spawn (without baresip): exit 2', ['--spawn']],
      ['a port in use: exit 6', []],
    ])('listen, %s', async (_, extra) => {
      const port = String(listener.port)
      const a = await runCli(['listen', '--port', port, ...extra], configDir)
      const b = await runCli(['listen', `-p${port}`, ...extra], configDir)
      expect(a.exitCode).toBe(extra.length > 0 ? 2 : 6)
      expect(b).toEqual(a)
    })

    test('no listener: exit 3 and the same message', async () => {
      const a = await runCli(['status', '--port', '1'], configDir)
      const b = await runCli(['status', '-p1'], configDir)
      expect(a.exitCode).toBe(3)
      expect(b).toEqual(a)
    })
  })
})
