import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {setConfig} from '../helpers/config.js'
import {type ListenerProcess, startListenerProcess} from '../helpers/listener-process.js'
import {ROOT, tempConfigDir} from '../helpers/paths.js'
import {argvRecorder} from '../helpers/recorder.js'
import {until} from '../helpers/wait.js'

/** The README's app line that reads a caller's value as data, as the README writes it in config JSON. */
function readmeShExample(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8')
  const match = /`"app": ("sh -c [^`]*calls\.log[^`]*")`/.exec(readme)
  if (!match) throw new Error('the README has no sh -c example with calls.log')
  return JSON.parse(match[1]) as string
}

describe('popup app lines (real listener process, real programs)', () => {
  let listener: ListenerProcess | undefined

  afterEach(async () => {
    await listener?.stop()
    listener = undefined
  })

  test("the README's sh example runs as documented: the caller's name lands in calls.log as data, never run", async () => {
    const configDir = tempConfigDir()
    const app = readmeShExample()
    // Accepted by the same checks as `config set` (they throw on a refused line).
    await setConfig(configDir, {popups: JSON.stringify([{on: 'ringing', app}])})
    listener = await startListenerProcess(configDir, [], {}, {cwd: configDir})
    const name = '$(touch PWNED) `touch PWNED2`; touch PWNED3'
    const query = new URLSearchParams({number: '0201234567', name})
    await fetch(`${listener.url}/notify/incoming?${query.toString()}`, {method: 'POST'})
    const log = path.join(configDir, 'calls.log')
    await until(() => existsSync(log) && readFileSync(log, 'utf8').includes('\n'))
    expect(readFileSync(log, 'utf8')).toBe(`${name}\n`)
    for (const file of ['PWNED', 'PWNED2', 'PWNED3']) expect(existsSync(path.join(configDir, file))).toBe(false)
  }, 60_000)

  test('a value inside an app argument that is a URL is percent-encoded: a caller cannot add query parameters (argv)', async () => {
    const configDir = tempConfigDir()
    const recorder = argvRecorder(['helpdesk'])
    await setConfig(configDir, {
      popups: JSON.stringify([
        {
          on: 'ringing',
          app: 'helpdesk https://helpdesk.example.com/?Subaction=StoreNew^&To={CALLERNAME}^&From={CALLERNUM} --name={CALLERNAME}',
        },
      ]),
    })
    listener = await startListenerProcess(configDir, [], recorder.env)
    const query = new URLSearchParams({number: '0201234567', name: 'Eve&Subaction=DeleteAll&From=0800#'})
    await fetch(`${listener.url}/notify/incoming?${query.toString()}`, {method: 'POST'})
    await until(() => recorder.calls().length === 1)
    expect(recorder.calls()[0].args).toEqual([
      'https://helpdesk.example.com/?Subaction=StoreNew&To=Eve%26Subaction%3DDeleteAll%26From%3D0800%23&From=0201234567',
      // Not a URL: the value stays the literal text it is.
      '--name=Eve&Subaction=DeleteAll&From=0800#',
    ])
  }, 60_000)
})
