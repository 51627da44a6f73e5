import {endListenerByPid} from '../../src/service/index.js'
import {runCli} from '../helpers/cli.js'
import {startListenerProcess} from '../helpers/listener-process.js'
import {useTempConfigDir} from '../helpers/paths.js'

// How `callctl service stop` ends the Windows listener; the same on every OS, so it runs everywhere.
describe('endListenerByPid (Windows stop)', () => {
  const configDir = useTempConfigDir()

  test('asks the listener on the configured port for its pid and ends exactly that process', async () => {
    const listener = await startListenerProcess(configDir())
    expect((await runCli(['config', 'set', 'port', String(listener.port)], configDir())).exitCode).toBe(0)
    const exited = new Promise((resolve) => listener.process.nodeChildProcess.once('exit', resolve))
    expect(await endListenerByPid()).toBe(`Ended the listener on port ${listener.port} (pid ${listener.process.pid})`)
    await exited
    expect(await endListenerByPid()).toBe(`No listener answered on port ${listener.port}: nothing to stop`)
  })
})
