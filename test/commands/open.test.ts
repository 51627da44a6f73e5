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

  test('a recorded stand-in for xdg-open that exits 3 ("no method available"): exit 7, the error names the address to open by hand', async () => {
    const configDir = tempConfigDir()
    const listener = await startListenerProcess(configDir)
    const recorder = argvRecorder(['xdg-open'])
    try {
      const result = await runCli(['open', '--port', String(listener.port)], configDir, {
        ...recorder.env,
        RECORD_EXIT: '3',
      })
      expect(result.exitCode).toBe(7)
      expect(result.stdout).not.toContain('Opened')
      expect(result.stderr).toContain(
        `Cannot open the browser: xdg-open exited with code 3, so ${listener.url}/ was not opened`,
      )
      expect(result.stderr).toContain(`Open ${listener.url}/ in your browser yourself`)
      expect(recorder.calls()).toEqual([{name: 'xdg-open', args: [`${listener.url}/`]}])
      const json = await runCli(['open', '--json', '--port', String(listener.port)], configDir, {
        ...recorder.env,
        RECORD_EXIT: '3',
      })
      expect(json.exitCode).toBe(7)
      expect(JSON.parse(json.stdout)).toMatchObject({ok: false, error: {code: 'ERR_OPEN'}})
    } finally {
      await listener.stop()
    }
  })

  test('no xdg-open on PATH (a recorded stand-in folder without it): exit 7, not "Opened"', async () => {
    const configDir = tempConfigDir()
    const listener = await startListenerProcess(configDir)
    const recorder = argvRecorder([])
    try {
      const result = await runCli(['open', '--port', String(listener.port)], configDir, {PATH: recorder.bin})
      expect(result.exitCode).toBe(7)
      expect(result.stdout).not.toContain('Opened')
      expect(result.stderr).toMatch(/Cannot open the browser: xdg-open could not be started \(.*ENOENT.*\)/)
      expect(result.stderr).toContain(`Open ${listener.url}/ in your browser yourself`)
    } finally {
      await listener.stop()
    }
  })

  test('a recorded stand-in for xdg-open that keeps running (the browser it started): opened, after at most the 3 s watch', async () => {
    const configDir = tempConfigDir()
    const listener = await startListenerProcess(configDir)
    const recorder = argvRecorder(['xdg-open'])
    try {
      const started = Date.now()
      const result = await runCli(['open', '--port', String(listener.port)], configDir, {
        ...recorder.env,
        RECORD_EXIT: '3',
        RECORD_HOLD_MS: '15000',
      })
      expect(result).toMatchObject({exitCode: 0, stdout: `Opened ${listener.url}/`})
      expect(Date.now() - started).toBeLessThan(10_000)
      expect(recorder.calls()).toEqual([{name: 'xdg-open', args: [`${listener.url}/`]}])
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
