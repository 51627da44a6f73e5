import {endListenerByPid} from '../../src/service/index.js'
import {setConfig} from '../helpers/config.js'
import {startListenerProcess} from '../helpers/listener-process.js'
import {useTempConfigDir} from '../helpers/paths.js'

// How `callctl service stop` ends the Windows listener; the same on every OS, so it runs everywhere.
describe('endListenerByPid (Windows stop)', () => {
  const configDir = useTempConfigDir()

  test('asks the listener on the configured port for its pid and ends exactly that process', async () => {
    const listener = await startListenerProcess(configDir())
    await setConfig(configDir(), {port: String(listener.port)})
    const exited = new Promise((resolve) => listener.process.nodeChildProcess.once('exit', resolve))
    expect(await endListenerByPid()).toBe(`Ended the listener on port ${listener.port} (pid ${listener.process.pid})`)
    await exited
    expect(await endListenerByPid()).toBe(`No listener answered on port ${listener.port}: nothing to stop`)
  })
})
