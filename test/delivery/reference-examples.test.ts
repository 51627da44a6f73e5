/**
 * Every example line of the product documents in /work/shared/reference/ (copied to test/fixtures/reference/),
 * pasted exactly as written, shown working against a real listener process: Enreach's command URLs and
 * notification URLs, Wildix's popup URLs, popup app lines and callback URLs. The first test checks that each line
 * here is in the documents character for character, so none can drift into a "fixed" version.
 *
 * Where the seed lost the start of a URL (its links were stripped: "For example,{CALLERNAME}&cnum=…"), the line is
 * kept as it is and put after a base URL of the test's own; that base is the only thing added.
 */
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {runCli} from '../helpers/cli.js'
import {setConfig} from '../helpers/config.js'
import {startListenerProcess} from '../helpers/listener-process.js'
import {ROOT, tempConfigDir} from '../helpers/paths.js'
import {argvRecorder} from '../helpers/recorder.js'
import {until} from '../helpers/wait.js'
import {startWebhookReceiver} from '../helpers/webhook-receiver.js'

// Enreach Contact Desktop, "URL-Based Call Control Integration".
const ENREACH_MAKE = 'http://localhost:5678/make/020123456'
const ENREACH_ANSWER = 'http://localhost:5678/answer'
const ENREACH_END = 'http://localhost:5678/end'
const ENREACH_INCOMING = 'https://example.com/incoming?callerid=$callerid'
const ENREACH_ACTIVE = 'https://example.com/active?callerid=$callerid'
const ENREACH_END_NOTIFICATION = 'https://example.com/end?callerid=$callerid'

// Wildix, "How to set up web application integration via Popup URL".
const WILDIX_POPUP_URL_EXAMPLE = '{param-> example with popup URL'
const WILDIX_APP_EXAMPLE =
  '“C:\\Program Files\\Internet Explorer\\iexplore.exe”{param}^&var2={param-> example with application'
const WILDIX_CALLBACK = '{CALLERNAME}&cnum={CALLERNUM}&uname={USERNAME}&unum={USERNUM}&cdirection={CALLTYPE}'
const WILDIX_TICKET = '{CALLERNAME}&Subject=New%20Ticket%20from%20{USERNAME}&From={CALLERNUM}'
const WILDIX_SOLVE360 = '{CALLERNUM:3}'
const WILDIX_MANIPULATION = '{CALLERNUM:1}'
const WILDIX_APP_TICKET =
  '“C:\\Program Files\\Internet Explorer\\iexplore.exe”^&Subaction=StoreNew^&To={CALLERNAME}^&Subject=New%20Ticket%20from%20{USERNAME}^&From={CALLERNUM}'
const WILDIX_APP_NUMBER = 'iexplorer.exe “{CALLERNUM}”'
const WILDIX_APP_DEPARTMENT = 'iexplorer.exe “{USERNAME}&Department=Support&Number={CALLERNUM}”'
const WILDIX_CLID = '<<clid>>'
const WILDIX_VARIABLES = ['{CALLERNUM}', '{CALLERNAME}', '{USERNUM}', '{USERNAME}', '{CALLTYPE}', '{TAGS}', '{CHANNEL}']

const IEXPLORE = 'C:\\Program Files\\Internet Explorer\\iexplore.exe'
const reference = (name: string) => readFileSync(path.join(ROOT, 'test/fixtures/reference', name), 'utf8')

test('every example here is in the reference documents, character for character', () => {
  const enreach = reference('enreach-url-call-control.txt')
  for (const line of [
    ENREACH_MAKE,
    ENREACH_ANSWER,
    ENREACH_END,
    ENREACH_INCOMING,
    ENREACH_ACTIVE,
    ENREACH_END_NOTIFICATION,
  ])
    expect(enreach).toContain(line)
  const wildix = reference('wildix-popup-and-callback-urls.txt')
  for (const line of [
    WILDIX_POPUP_URL_EXAMPLE,
    WILDIX_APP_EXAMPLE,
    // A no-break space before the full stop, as in the document.
    `For example,${WILDIX_CALLBACK}\u00A0.`,
    `Example:${WILDIX_TICKET}`,
    `occurs:${WILDIX_SOLVE360}`,
    WILDIX_MANIPULATION,
    WILDIX_APP_TICKET,
    WILDIX_APP_NUMBER,
    WILDIX_APP_DEPARTMENT,
    WILDIX_CLID,
    ...WILDIX_VARIABLES,
  ])
    expect(wildix).toContain(line)
})

test('Enreach command URLs on port 5678, notification URLs, and every Wildix popup app line as argv (real listener process)', async () => {
  const configDir = tempConfigDir()
  const receiver = await startWebhookReceiver()
  // The apps as named in the lines (a Windows path is one file name here) record the argv they are started with.
  const recorder = argvRecorder([IEXPLORE, 'iexplorer.exe', 'xdg-open'])
  await setConfig(configDir, {
    'user.number': '201',
    'user.name': 'Jane Agent',
    'driver.sim.answerAfterMs': '-1',
    'notifications.incoming': ENREACH_INCOMING,
    'notifications.active': ENREACH_ACTIVE,
    'notifications.end': ENREACH_END_NOTIFICATION,
    callbacks: JSON.stringify([
      {url: `${receiver.url}/call?cname=${WILDIX_CALLBACK}`, events: ['new']},
      {url: `${receiver.url}/manipulation?n=${WILDIX_MANIPULATION}`, events: ['new']},
      {url: `${receiver.url}/clid?n=${WILDIX_CLID}`, events: ['new']},
    ]),
    popups: JSON.stringify([
      {on: 'ringing', url: `https://helpdesk.example.com/new?To=${WILDIX_TICKET}`},
      {on: 'ringing', url: `https://secure.solve360.com/phonenumber/0${WILDIX_SOLVE360}`},
      {on: 'ringing', app: WILDIX_APP_TICKET},
      {on: 'ringing', app: WILDIX_APP_NUMBER},
      {on: 'ringing', app: WILDIX_APP_DEPARTMENT},
      {on: 'ringing', app: WILDIX_APP_EXAMPLE},
      {on: 'ringing', app: `iexplorer.exe “variable1=${WILDIX_CLID}”`},
    ]),
  })
  // The Enreach examples name port 5678: the listener takes it (no other test does).
  const listener = await startListenerProcess(configDir, ['--port', '5678'], recorder.env)
  try {
    const incoming = await fetch(
      `${listener.url}/notify/incoming?number=%2B441234567890&name=John%20Doe&tags=vip&channel=SIP%2Ftrunk`,
      {method: 'POST'},
    )
    expect(incoming.status).toBe(200)

    // Popup app lines, read as Windows reads them.
    await until(() => recorder.calls().length >= 7, 10_000)
    const calls = recorder.calls()
    const argsOf = (name: string) =>
      calls
        .filter((call) => call.name === name)
        .map((call) => call.args)
        .sort()
    expect(argsOf(IEXPLORE)).toEqual(
      [
        ['&Subaction=StoreNew&To=John Doe&Subject=New%20Ticket%20from%20Jane Agent&From=+441234567890'],
        ['{param}&var2={param->', 'example', 'with', 'application'],
      ].sort(),
    )
    expect(argsOf('iexplorer.exe')).toEqual(
      [['+441234567890'], ['Jane Agent&Department=Support&Number=+441234567890'], ['variable1=+441234567890']].sort(),
    )
    // Popup URLs, opened in the browser.
    expect(argsOf('xdg-open')).toEqual(
      [
        [
          'https://helpdesk.example.com/new?To=John%20Doe&Subject=New%20Ticket%20from%20Jane%20Agent&From=%2B441234567890',
        ],
        ['https://secure.solve360.com/phonenumber/01234567890'],
      ].sort(),
    )

    // Callback URLs: every variable filled, {CALLERNUM:1} without its first character, <<clid>> the number.
    const received = await receiver.waitFor(3)
    expect(received.map((request) => request.url).sort()).toEqual(
      [
        '/call?cname=John%20Doe&cnum=%2B441234567890&uname=Jane%20Agent&unum=201&cdirection=incoming',
        '/clid?n=%2B441234567890',
        '/manipulation?n=441234567890',
      ].sort(),
    )

    // Enreach command URLs, exactly as documented: answer, end; then make and end.
    const answer = await fetch(ENREACH_ANSWER)
    expect(answer.status).toBe(200)
    expect(((await answer.json()) as {call: {state: string}}).call.state).toBe('active')
    expect((await fetch(ENREACH_END)).status).toBe(200)
    const make = await fetch(ENREACH_MAKE)
    expect(make.status).toBe(200)
    expect(((await make.json()) as {call: {number: string; direction: string}}).call).toMatchObject({
      number: '020123456',
      direction: 'outgoing',
    })
    expect((await fetch(ENREACH_END)).status).toBe(200)

    // Enreach notification URLs, rendered as Enreach sends them. example.com is not reachable from a test: the
    // listener's report of the first attempt shows the request it made, and the outbox holds the call's later ones,
    // which wait behind it (a CRM never gets `end` before `incoming`).
    const first = await listener.waitForLine(
      (line) => line.kind === 'delivery' && line.target === 'notifications.incoming',
      20_000,
    )
    expect(first.url).toBe('https://example.com/incoming?callerid=%2B441234567890')
    const outbox = JSON.parse((await runCli(['outbox', '--json'], configDir)).stdout) as {
      pending: Array<{target: string; request: {method: string; url: string}}>
    }
    const enreach = outbox.pending
      .filter(
        (delivery) => delivery.target.startsWith('notifications.') && delivery.request.url.includes('441234567890'),
      )
      .map((delivery) => `${delivery.request.method} ${delivery.request.url}`)
    expect(enreach).toEqual([
      'GET https://example.com/incoming?callerid=%2B441234567890',
      'GET https://example.com/active?callerid=%2B441234567890',
      'GET https://example.com/end?callerid=%2B441234567890',
    ])
  } finally {
    await listener.stop()
    await receiver.close()
  }
}, 90_000)

test('every documented variable is accepted; the same names in the wrong case are refused at config set, with the fix', async () => {
  const configDir = tempConfigDir()
  for (const variable of WILDIX_VARIABLES) {
    const set = await runCli(
      ['config', 'set', 'notifications.incoming', `https://example.com/?v=${variable}`],
      configDir,
    )
    expect(set.exitCode).toBe(0)
    const wrong = variable.toLowerCase()
    const refused = await runCli(
      ['config', 'set', 'notifications.incoming', `https://example.com/?v=${wrong}`],
      configDir,
    )
    expect(refused.exitCode).toBe(2)
    expect(refused.stderr).toContain(`Unknown variable ${wrong} in notifications.incoming: variables are upper-case`)
    expect(refused.stderr).toContain(`Write ${variable}`)
  }

  // Nothing of a refused value was written.
  expect((await runCli(['config', 'get', 'notifications.incoming'], configDir)).stdout).toContain('{CHANNEL}')
}, 60_000)

test('a popup URL example whose URL the seed lost is refused at config set with what a popup URL must be', async () => {
  const configDir = tempConfigDir()
  const refused = await runCli(
    ['config', 'set', 'popups', JSON.stringify([{on: 'ringing', url: WILDIX_POPUP_URL_EXAMPLE}])],
    configDir,
  )
  expect(refused.exitCode).toBe(2)
  expect(refused.stderr).toContain('popups')
  expect(refused.stderr).toMatch(/https\?:\/\//)
})

test('internalNumbers silences Enreach notifications only while notifications.includeInternal is false (real listener process)', async () => {
  const configDir = tempConfigDir()
  await setConfig(configDir, {internalNumbers: '^[0-9]{2,4}$', 'notifications.incoming': ENREACH_INCOMING})
  const quiet = await startListenerProcess(configDir)
  try {
    await fetch(`${quiet.url}/notify/incoming?number=201`, {method: 'POST'})
    await fetch(`${quiet.url}/notify/incoming?number=0612345678`, {method: 'POST'})
    const sent = await quiet.waitForLine((line) => line.kind === 'delivery', 20_000)
    expect(sent.url).toBe('https://example.com/incoming?callerid=0612345678')
    expect(quiet.lines.some((line) => line.kind === 'delivery' && String(line.url).endsWith('=201'))).toBe(false)
  } finally {
    await quiet.stop()
  }

  expect((await runCli(['config', 'get', 'notifications.includeInternal'], configDir)).stdout).toBe('false')
  await setConfig(configDir, {'notifications.includeInternal': 'true'})
  const loud = await startListenerProcess(configDir)
  try {
    await fetch(`${loud.url}/notify/incoming?number=202`, {method: 'POST'})
    const sent = await loud.waitForLine((line) => line.kind === 'delivery' && String(line.url).endsWith('=202'), 20_000)
    expect(sent.url).toBe('https://example.com/incoming?callerid=202')
  } finally {
    await loud.stop()
  }
}, 90_000)
