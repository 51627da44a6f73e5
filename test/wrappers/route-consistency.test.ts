import {readFileSync} from 'node:fs'
import path from 'node:path'

import {mergeDefaults} from '../../src/config/settings.js'
import {DEFAULTS} from '../../src/settings.js'
import {type RunningListener, startListener} from '../../src/listener/start.js'
import {routeTable} from '../../src/listener/routes.js'
import {ROOT} from '../helpers/paths.js'

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8')
const applescript = read('applescript/CallControl.applescript')
const powershell = read('scripts/CallControl.psm1')
const thinScripts = ['make-call.ps1', 'answer-call.ps1', 'end-call.ps1'].map((name) => read(`scripts/${name}`))

/** The route (first path segment) and HTTP method of every request a wrapper sends, read out of its source. */
function requestsIn(source: string): Array<[route: string, method: string]> {
  // AppleScript: callListener(commandSegment("make") & …, "POST") or callListener("/status", "GET").
  const applescriptCalls = [
    ...source.matchAll(/callListener\((?:commandSegment\("([a-z]+)"\)|"\/([a-z]+)")[^\n]*?, "(GET|POST)"\)/g),
  ].map((match) => [match[1] ?? match[2], match[3]] as [string, string])
  // PowerShell: Invoke-CallctlRequest -Command Make|Answer|…|Status; Status alone is a GET.
  const powershellCalls = [...source.matchAll(/Invoke-CallctlRequest -Command ([A-Z][a-z]+)\b/g)].map(
    (match) => [match[1].toLowerCase(), match[1] === 'Status' ? 'GET' : 'POST'] as [string, string],
  )
  return [...applescriptCalls, ...powershellCalls]
}

const routesIn = (source: string) => [...new Set(requestsIn(source).map(([route]) => route))].sort()

/**
 * The wrappers are checked against the listener's own routes, default port and token handling: a renamed route
 * breaks this test, not a user's script.
 */
describe('wrappers agree with the listener', () => {
  const expected = [...Object.values(DEFAULTS.commands), 'status'].sort()

  test("the routes they call are the listener's routes: every command and status", () => {
    const table = routeTable(DEFAULTS.commands)
    for (const source of [applescript, powershell]) {
      const routes = routesIn(source)
      expect(routes).toEqual(expected)
      for (const route of routes) expect(table.has(route)).toBe(true)
    }
  })

  test("their default port is the listener's default port", () => {
    expect(Number(/property defaultPort : (\d+)/.exec(applescript)?.[1])).toBe(DEFAULTS.port)
    expect(Number(/\$script:DefaultPort = (\d+)/.exec(powershell)?.[1])).toBe(DEFAULTS.port)
    // The scripts leave the port to the module, which reads the config: a default here would override it.
    for (const script of thinScripts) expect(script).toMatch(/\[int\]\$Port[,)]/)
    expect(powershell).toContain("if ($Command -eq 'Status') { $method = 'Get' }")
  })

  test("they read the config file and keys the CLI reads (the listener's port, host, token, command segments)", () => {
    // The file: `callctl config path` is CALLCTL_CONFIG_DIR/config.json, else the OS folder of src/config/paths.ts.
    expect(applescript).toContain('set configDir to system attribute "CALLCTL_CONFIG_DIR"')
    expect(applescript).toContain('"Library/Preferences/callctl"')
    expect(powershell).toContain("Join-Path $env:CALLCTL_CONFIG_DIR 'config.json'")
    expect(powershell).toContain("Join-Path (Join-Path $env:APPDATA 'callctl') 'Config'")
    for (const key of ['port', 'host', 'security.token', 'commands.'])
      expect(applescript).toContain(`configValue("${key}`)
    for (const key of ['$config.port', '$config.host', '$config.security.token', '$config.commands.'])
      expect(powershell).toContain(key)
  })

  describe('against a real listener with a token', () => {
    const token = 'wrapper-token-0123456789'
    let listener: RunningListener
    beforeAll(async () => {
      listener = await startListener({
        config: mergeDefaults(DEFAULTS, {port: 0, driver: {sim: {answerAfterMs: -1}}, security: {token}}),
        version: 'test',
      })
    })
    afterAll(async () => {
      await listener.close()
    })

    test('the token header they send is accepted; without it the request is refused', async () => {
      expect(applescript).toContain('"Authorization: Bearer " & theToken')
      expect(powershell).toContain(`$headers['Authorization'] = "Bearer $Token"`)
      expect((await fetch(`${listener.url}/status`, {headers: {authorization: `Bearer ${token}`}})).status).toBe(200)
      expect((await fetch(`${listener.url}/status`)).status).toBe(401)
    })

    test.each([
      ['AppleScript', applescript],
      ['PowerShell', powershell],
    ])('%s: each request, with its route and method, is answered by a handler (200)', async (_name, source) => {
      const auth = {authorization: `Bearer ${token}`}
      const notify = async (path: string) => fetch(`${listener.url}/notify/${path}`, {headers: auth})
      const c = DEFAULTS.commands
      // A life of calls in which every request finds its call in a state that allows it.
      const order = [
        c.make,
        c.mute,
        c.unmute,
        c.hold,
        c.resume,
        c.dtmf,
        c.transfer,
        c.answer,
        c.end,
        c.reject,
        'status',
      ]
      const before: Record<string, () => Promise<unknown>> = {
        // The sim never answers here (answerAfterMs -1): the callee answers through notify.
        [c.mute]: async () => notify('active'),
        [c.answer]: async () => notify('incoming?number=1'),
        [c.reject]: async () => notify('incoming?number=2'),
      }
      const suffix: Record<string, string> = {[c.make]: '/020123456', [c.transfer]: '/0201111111', [c.dtmf]: '/12%23'}
      const requests = requestsIn(source)
        .filter(([route], index, all) => all.findIndex(([other]) => other === route) === index)
        .sort((a, b) => order.indexOf(a[0]) - order.indexOf(b[0]))
      expect(requests.map(([route]) => route)).toEqual(order)
      for (const [route, method] of requests) {
        await before[route]?.()
        const response = await fetch(`${listener.url}/${route}${suffix[route] ?? ''}`, {method, headers: auth})
        expect([route, method, response.status]).toEqual([route, method, 200])
      }
    })

    test('the in-call actions send ?call=<id> when given one, and their PowerShell verbs are approved ones', () => {
      expect(applescript).toContain('callListener(commandSegment("resume") & "?call=" & encodeNumber(callId), "POST")')
      expect(powershell).toContain('$path += "?call=$([uri]::EscapeDataString($CallId))"')
      // Get-Verb (PowerShell 7): the verbs of the cmdlets, each from the approved list.
      const approved = [
        'Start',
        'Confirm',
        'Stop',
        'Get',
        'Suspend',
        'Resume',
        'Move',
        'Send',
        'Disable',
        'Enable',
        'Deny',
      ]
      const exported = powershell.slice(powershell.indexOf('Export-ModuleMember'))
      const verbs = [...exported.matchAll(/'([A-Z][a-z]+)-[A-Za-z]+'/g)].map((match) => match[1])
      expect(verbs.sort()).toEqual([...approved].sort())
    })
  })
})
