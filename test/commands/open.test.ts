import {runCli} from '../helpers/cli.js'
import {startListenerProcess} from '../helpers/listener-process.js'
import {tempConfigDir} from '../helpers/paths.js'
import {argvRecorder} from '../helpers/recorder.js'
import {until} from '../helpers/wait.js'

describe('callctl open', () => {
  test('opens the status page of the running listener (xdg-open mocked: argv recorded)', async () => {
    const configDir = tempConfigDir()
    const listener = await startListenerProcess(configDir)
    const recorder = argvRecorder(['xdg-open'])
    try {
      const opened = await runCli(['open', '--port', String(listener.port)], configDir, recorder.env)
      expect(opened).toMatchObject({exitCode: 0, stdout: `Opened ${listener.url}/`})
      await until(() => recorder.calls().length === 1)
      expect(recorder.calls()).toEqual([{name: 'xdg-open', args: [`${listener.url}/`]}])
      expect((await runCli(['open', '--print', '--port', String(listener.port)], configDir)).stdout).toBe(
        `${listener.url}/`,
      )
    } finally {
      await listener.stop()
    }
  })

  test('no listener: exit 3, nothing opened', async () => {
    const recorder = argvRecorder(['xdg-open'])
    const result = await runCli(['open', '--port', '1'], tempConfigDir(), recorder.env)
    expect(result.exitCode).toBe(3)
    expect(recorder.calls()).toEqual([])
  })
})

test('callctl open --print needs no listener: it only prints the address', async () => {
  const result = await runCli(['open', '--print', '--port', '5799'], tempConfigDir())
  expect(result).toMatchObject({exitCode: 0, stdout: 'http://127.0.0.1:5799/'})
})
