import {networkInterfaces} from 'node:os'

import {mergeDefaults} from '../../../src/config/settings.js'
import {type Config, DEFAULTS} from '../../../src/settings.js'
import type {CallEvent} from '../../../src/engine/call.js'
import {type RunningListener, startListener} from '../../../src/listener/start.js'
import {rawRequest} from '../../helpers/raw-request.js'

const attackerImg = {
  'sec-fetch-site': 'cross-site',
  'sec-fetch-mode': 'no-cors',
  'sec-fetch-dest': 'image',
  referer: 'http://attacker.test/',
}
/** What Chromium sends for a navigation it started itself, and keeps through cross-site redirects. */
const outsideNavigation = {
  'sec-fetch-site': 'none',
  'sec-fetch-mode': 'navigate',
  'sec-fetch-user': '?1',
  'sec-fetch-dest': 'document',
}
const attackerClick = {
  'sec-fetch-site': 'cross-site',
  'sec-fetch-mode': 'navigate',
  'sec-fetch-user': '?1',
  'sec-fetch-dest': 'document',
  referer: 'http://attacker.test/',
}

describe('security policy (in process)', () => {
  let listener: RunningListener
  let events: CallEvent[]
  let refusals: string[]

  async function start(overrides: Record<string, unknown> = {}) {
    events = []
    refusals = []
    const config: Config = mergeDefaults(DEFAULTS, {port: 0, driver: {sim: {answerAfterMs: -1}}, ...overrides})
    listener = await startListener({
      config,
      version: 'test',
      report(record) {
        if (record.kind === 'event') events.push(record)
        if (record.kind === 'request' && record.error) refusals.push(`${record.status} ${record.error}`)
      },
    })
  }

  afterEach(async () => {
    await listener?.close()
  })

  test('DNS rebinding: a foreign Host is refused with 403 and no call; loopback names pass', async () => {
    await start()
    const port = new URL(listener.url).port
    const evil = await rawRequest(`${listener.url}/make/0900123`, {headers: {host: `evil.example:${port}`}})
    expect(evil.status).toBe(403)
    expect(evil.json().error.code).toBe('ERR_HOST')
    expect(refusals[0]).toContain('add the name to security.allowedHosts')
    expect((await rawRequest(`${listener.url}/status`, {headers: {host: `localhost:${port}`}})).status).toBe(200)
    expect((await rawRequest(`${listener.url}/status`, {headers: {host: `[::1]:${port}`}})).status).toBe(200)
    expect((await rawRequest(`${listener.url}/status`, {headers: {host: 'localhost:1'}})).status).toBe(403)
    expect(events).toHaveLength(0)
  })

  test('security.allowedHosts admits a name; security.checkHost false turns the check off', async () => {
    await start({security: {allowedHosts: ['phone.lan']}})
    const port = new URL(listener.url).port
    expect((await rawRequest(`${listener.url}/status`, {headers: {host: `phone.lan:${port}`}})).status).toBe(200)
    await listener.close()
    await start({security: {checkHost: false}})
    expect((await rawRequest(`${listener.url}/status`, {headers: {host: 'evil.example'}})).status).toBe(200)
  })

  test('a name from allowedHosts: a request without browser headers there is not taken for a tool (no-referrer <img>)', async () => {
    // Browsers send no Sec-Fetch-* to a plain-http name, and referrerpolicy="no-referrer" drops Origin and Referer:
    // what a page's <img src="http://phone.lan:PORT/make/..."> sends is indistinguishable from curl.
    await start({security: {allowedHosts: ['phone.lan']}})
    const port = new URL(listener.url).port
    const img = await rawRequest(`${listener.url}/make/0900111`, {headers: {host: `phone.lan:${port}`}})
    expect(img.status).toBe(403)
    expect(img.json().error.message).toContain('send security.token with it, or use 127.0.0.1')
    // A navigation there is asked to confirm; the same tool on 127.0.0.1 acts at once.
    const typed = await rawRequest(`${listener.url}/make/0900111`, {
      headers: {host: `phone.lan:${port}`, 'upgrade-insecure-requests': '1'},
    })
    expect(typed.text).toContain('Call 090 011 1?')
    expect(events).toEqual([])
    expect((await rawRequest(`${listener.url}/make/020123456`)).status).toBe(200)
    await listener.close()

    // With the token, that name serves tools that send it.
    const token = 't'.repeat(24)
    await start({security: {allowedHosts: ['phone.lan'], token}})
    const port2 = new URL(listener.url).port
    const withToken = await rawRequest(`${listener.url}/make/020123456`, {
      headers: {host: `phone.lan:${port2}`, authorization: `Bearer ${token}`},
    })
    expect(withToken.status).toBe(200)
  })

  test('a cross-site <img> is refused naming security.allowedOrigins; reading status is not a command', async () => {
    await start()
    const made = await rawRequest(`${listener.url}/make/0900123`, {headers: attackerImg})
    expect(made.status).toBe(403)
    expect(made.json().error.message).toBe(
      'Refused make from http://attacker.test: pages of other sites may not control the phone; add the origin to security.allowedOrigins to allow it',
    )
    expect((await rawRequest(`${listener.url}/notify/incoming?number=1`, {headers: attackerImg})).status).toBe(403)
    const status = await rawRequest(`${listener.url}/status`, {headers: attackerImg})
    expect(status.status).toBe(200)
    expect(status.headers['access-control-allow-origin']).toBeUndefined()
    expect(events).toHaveLength(0)
  })

  test('allowed origins get CORS and a preflight answer (with Private Network Access)', async () => {
    await start({security: {allowedOrigins: ['https://crm.test']}})
    const preflight = await rawRequest(`${listener.url}/make/020123456`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://crm.test',
        'access-control-request-method': 'POST',
        'access-control-request-private-network': 'true',
        'sec-fetch-site': 'cross-site',
        'sec-fetch-mode': 'cors',
      },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers).toMatchObject({
      'access-control-allow-origin': 'https://crm.test',
      'access-control-allow-methods': 'GET, POST',
      'access-control-allow-private-network': 'true',
    })
    const made = await rawRequest(`${listener.url}/make/020123456`, {
      headers: {origin: 'https://crm.test', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors'},
    })
    expect(made.status).toBe(200)
    expect(made.headers['access-control-allow-origin']).toBe('https://crm.test')
    const other = await rawRequest(`${listener.url}/make/020123456`, {
      method: 'OPTIONS',
      headers: {origin: 'https://other.test', 'sec-fetch-site': 'cross-site'},
    })
    expect(other.status).toBe(403)
    expect(other.headers['access-control-allow-origin']).toBeUndefined()
    expect(events.map((event) => event.type)).toEqual(['outgoing'])
  })

  test('a clicked link from another site gets a confirmation page; its one-time code dials once', async () => {
    await start()
    const page = await rawRequest(`${listener.url}/make/020123456`, {headers: attackerClick})
    expect(page.status).toBe(200)
    expect(page.headers['content-type']).toContain('text/html')
    expect(page.headers['x-frame-options']).toBe('DENY')
    expect(page.text).toContain('Call 020 123 456?')
    expect(events).toHaveLength(0)
    const target = /fetch\("([^"]+)"/.exec(page.text)![1]
    const sameOrigin = {'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors', origin: listener.url}
    expect((await rawRequest(`${listener.url}${target}`, {method: 'POST', headers: attackerImg})).status).toBe(403)
    // The attacker's attempt above used the code up: a fresh page gives a fresh code.
    const fresh = /fetch\("([^"]+)"/.exec(
      (await rawRequest(`${listener.url}/make/020123456`, {headers: attackerClick})).text,
    )![1]
    expect((await rawRequest(`${listener.url}${fresh}`, {method: 'POST', headers: sameOrigin})).status).toBe(200)
    expect((await rawRequest(`${listener.url}${fresh}`, {method: 'POST', headers: sameOrigin})).status).toBe(403)
    expect(events.map((event) => event.type)).toEqual(['outgoing'])
    const code = new URLSearchParams(fresh.split('?')[1]).get('confirm')!
    expect(
      (await rawRequest(`${listener.url}/make/0900999?confirm=${code}`, {method: 'POST', headers: sameOrigin})).status,
    ).toBe(403)
  })

  test('a confirmation code is redeemed without a body: body fields cannot change the confirmed number', async () => {
    await start()
    const sameOrigin = {'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors', origin: listener.url}
    const page = await rawRequest(`${listener.url}/make?number=020123456`, {headers: attackerClick})
    expect(page.text).toContain('Call 020 123 456?')
    const target = /fetch\("([^"]+)"/.exec(page.text)![1]
    const swapped = await rawRequest(`${listener.url}${target}`, {
      method: 'POST',
      headers: {...sameOrigin, 'content-type': 'application/x-www-form-urlencoded'},
      body: 'number=0900666',
    })
    expect(swapped.status).toBe(403)
    expect(events).toHaveLength(0)
  })

  test('HEAD /make is refused without using up the make rate limit', async () => {
    await start({security: {makeRateLimit: 1}})
    expect((await rawRequest(`${listener.url}/make/1`, {method: 'HEAD'})).status).toBe(405)
    expect((await rawRequest(`${listener.url}/make/1`)).status).toBe(200)
  })

  test('a clicked link from an allowed origin acts at once and says so', async () => {
    await start({security: {allowedOrigins: ['https://crm.test']}})
    const page = await rawRequest(`${listener.url}/make/020123456`, {
      headers: {...attackerClick, referer: 'https://crm.test/contacts/7'},
    })
    expect(page.status).toBe(200)
    expect(page.text).toMatch(/<h1>Done: 020 123 456 \(dialing, call sim-[^)]+\)<\/h1>/)
    expect(events.map((event) => event.type)).toEqual(['outgoing'])
  })

  test('security.confirmLinks false: clicked links are refused instead', async () => {
    await start({security: {confirmLinks: false}})
    expect((await rawRequest(`${listener.url}/make/1`, {headers: attackerClick})).status).toBe(403)
  })

  test('a typed URL, a bookmark or a link from another app (Sec-Fetch-Site: none, maybe redirected) gets the confirmation page, not a call', async () => {
    await start()
    const page = await rawRequest(`${listener.url}/make/020123456`, {headers: outsideNavigation})
    expect(page.status).toBe(200)
    expect(page.text).toContain('Call 020 123 456?')
    expect(page.text).toContain('Asked by a link opened from outside a web page')
    // Without user activation (a prerender), and for answer and end too.
    const {'sec-fetch-user': _, ...withoutActivation} = outsideNavigation
    expect((await rawRequest(`${listener.url}/make/1`, {headers: withoutActivation})).text).toContain('Call 1?')
    expect((await rawRequest(`${listener.url}/end`, {headers: outsideNavigation})).text).toContain(
      'End the current call?',
    )
    // notify and popup change calls too, and have no confirmation page: refused.
    expect((await rawRequest(`${listener.url}/notify/incoming?number=1`, {headers: outsideNavigation})).status).toBe(
      403,
    )
    // A form POSTed by a navigation gets no code to redeem.
    expect((await rawRequest(`${listener.url}/make/1`, {method: 'POST', headers: outsideNavigation})).status).toBe(403)
    expect((await rawRequest(`${listener.url}/make/1`, {method: 'HEAD', headers: outsideNavigation})).status).toBe(403)
    expect(events).toHaveLength(0)
    await listener.close()
    await start({security: {confirmLinks: false}})
    const refused = await rawRequest(`${listener.url}/make/1`, {headers: outsideNavigation})
    expect(refused.status).toBe(403)
    expect(refused.json().error.message).toContain('security.confirmLinks is off')
    expect(events).toHaveLength(0)
  })

  test('a browser that sends no Sec-Fetch (Upgrade-Insecure-Requests only) gets the confirmation page; tools still act', async () => {
    await start()
    const page = await rawRequest(`${listener.url}/make/020123456`, {headers: {'upgrade-insecure-requests': '1'}})
    expect(page.text).toContain('Call 020 123 456?')
    expect(events).toHaveLength(0)
    expect((await rawRequest(`${listener.url}/make/020123456`)).status).toBe(200)
    expect(events.map((event) => event.type)).toEqual(['outgoing'])
  })

  test("navigations from the listener's own pages or an allowed origin act and get a page saying what was done", async () => {
    await start({security: {allowedOrigins: ['https://crm.test']}})
    const page = await rawRequest(`${listener.url}/make/020123456`, {
      headers: {
        'sec-fetch-site': 'same-origin',
        'sec-fetch-mode': 'navigate',
        'sec-fetch-user': '?1',
        'sec-fetch-dest': 'document',
        referer: `${listener.url}/`,
      },
    })
    expect(page.status).toBe(200)
    expect(page.text).toMatch(/Done: 020 123 456 \(dialing, call sim-/)
    expect(events.map((event) => event.type)).toEqual(['outgoing'])
  })

  test('a redirect back through another site is not same-origin, whatever the Referer says', async () => {
    await start()
    const page = await rawRequest(`${listener.url}/make/020123456`, {
      headers: {...attackerClick, referer: `${listener.url}/`},
    })
    expect(page.text).toContain('Call 020 123 456?')
    expect(events).toHaveLength(0)
  })

  test('token: required on every route but the index, in any of three forms, compared whole', async () => {
    const token = 'x'.repeat(43)
    await start({security: {token}})
    const none = await rawRequest(`${listener.url}/status`)
    expect(none.status).toBe(401)
    expect(none.json().error.message).toContain('security.token is set, so send it as Authorization: Bearer <token>')
    expect((await rawRequest(`${listener.url}/status`, {headers: {authorization: `Bearer ${token}`}})).status).toBe(200)
    expect((await rawRequest(`${listener.url}/status`, {headers: {'x-callctl-token': token}})).status).toBe(200)
    expect((await rawRequest(`${listener.url}/status?token=${token}`)).status).toBe(200)
    expect((await rawRequest(`${listener.url}/status`, {headers: {'x-callctl-token': token.slice(1)}})).status).toBe(
      401,
    )
    expect((await rawRequest(`${listener.url}/make/1`, {headers: {'x-callctl-token': `${token}x`}})).status).toBe(401)
    expect((await rawRequest(`${listener.url}/`)).status).toBe(200)
    expect(events).toHaveLength(0)
  })

  test('with a token, forged browser headers get no confirmation code and redeem none: 0 calls (curl-style, 0.0.0.0)', async () => {
    const token = 'k'.repeat(43)
    await start({host: '0.0.0.0', security: {token}})
    const url = `http://127.0.0.1:${new URL(listener.url).port}`
    const forgedSameOrigin = {'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors', origin: url}
    // The two calls of the issue: ask for a confirmation page as a "clicked link", post its code as "same-origin".
    for (const headers of [attackerClick, outsideNavigation, {...attackerClick, referer: `${url}/`}]) {
      const page = await rawRequest(`${url}/make/0900666`, {headers})
      expect(page.status).toBe(401)
      expect(page.text).not.toContain('confirm=')
    }

    // A real page, got with the token: its code is worthless without the token.
    const page = await rawRequest(`${url}/make/0900666?token=${token}`, {headers: attackerClick})
    expect(page.text).toContain('Call 090 066 6?')
    const target = /fetch\("([^"]+)"/.exec(page.text)![1]
    const code = new URLSearchParams(target.split('?')[1]).get('confirm')!
    for (const attempt of [
      {path: `/make/0900666?confirm=${code}`, headers: forgedSameOrigin},
      {path: `/make/0900666?confirm=${code}`, headers: {}},
      {path: `/make/0900666?confirm=${code}&token=wrong-token-0123456789`, headers: forgedSameOrigin},
      {path: `/make/0900666?confirm=${code}`, headers: {...forgedSameOrigin, authorization: 'Bearer nope'}},
    ]) {
      const redeemed = await rawRequest(`${url}${attempt.path}`, {method: 'POST', headers: attempt.headers})
      expect([redeemed.status, redeemed.json().error.code]).toEqual([401, 'ERR_TOKEN'])
    }

    // With the token, a guessed code or a GET does not act either.
    const guessed = await rawRequest(`${url}/make/0900666?token=${token}&confirm=AAAAAAAAAAAAAAAAAAAAAAAA`, {
      method: 'POST',
      headers: forgedSameOrigin,
    })
    expect(guessed.status).toBe(403)
    expect(events).toHaveLength(0)
    // The page's own button (its URL carries the token it was opened with) still works, once.
    expect((await rawRequest(`${url}${target}`, {method: 'POST', headers: forgedSameOrigin})).status).toBe(200)
    expect((await rawRequest(`${url}${target}`, {method: 'POST', headers: forgedSameOrigin})).status).toBe(403)
    expect(events.map((event) => event.type)).toEqual(['outgoing'])
  })

  test('without a token only loopback peers are served (a token unset while listening on 0.0.0.0)', async () => {
    const address = Object.values(networkInterfaces())
      .flat()
      .find((entry) => entry?.family === 'IPv4' && !entry.internal)?.address
    if (!address) throw new Error('this test needs a non-loopback IPv4 address on this machine')
    const token = 'p'.repeat(43)
    await start({host: '0.0.0.0', security: {token}})
    const port = new URL(listener.url).port
    await listener.reconfigure(mergeDefaults(DEFAULTS, {port: 0, host: '0.0.0.0', driver: {sim: {answerAfterMs: -1}}}))
    const remote = await rawRequest(`http://${address}:${port}/make/0900666`, {headers: {host: `127.0.0.1:${port}`}})
    expect(remote.status).toBe(403)
    expect(remote.json().error.message).toContain('without security.token only this computer may use the listener')
    expect(events).toHaveLength(0)
    expect((await rawRequest(`http://127.0.0.1:${port}/make/020123456`)).status).toBe(200)
  })

  test('Private Network Access and CORS preflights are answered for allowed origins only', async () => {
    await start({security: {allowedOrigins: ['https://crm.test']}})
    const ask = {'access-control-request-method': 'POST', 'access-control-request-private-network': 'true'}
    for (const headers of [
      {...ask, origin: 'http://attacker.test', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors'},
      {...ask, origin: 'null'},
      {...ask},
      {...ask, referer: 'https://crm.test/'},
      {...ask, origin: 'https://crm.test', 'sec-fetch-site': 'same-origin'},
      {...ask, origin: 'https://crm.test.attacker.test'},
    ]) {
      const preflight = await rawRequest(`${listener.url}/make/1`, {method: 'OPTIONS', headers})
      expect(preflight.status).toBe(403)
      expect(preflight.headers['access-control-allow-private-network']).toBeUndefined()
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined()
    }

    expect(events).toHaveLength(0)
  })

  test('numbers.block refuses with 403 naming the entry; numbers.allow limits', async () => {
    await start({numbers: {block: ['0900'], allow: ['0']}})
    const blocked = await rawRequest(`${listener.url}/make/0900-123`)
    expect(blocked.status).toBe(403)
    expect(blocked.json().error.message).toContain('numbers.block entry "0900"')
    expect((await rawRequest(`${listener.url}/make/+44123`)).status).toBe(403)
    expect((await rawRequest(`${listener.url}/make/020123`)).status).toBe(200)
    // A link to a blocked number gets no confirmation page to click: refused at once, saying why.
    const typed = {
      'sec-fetch-site': 'none',
      'sec-fetch-mode': 'navigate',
      'sec-fetch-user': '?1',
      'sec-fetch-dest': 'document',
    }
    const link = await rawRequest(`${listener.url}/make/0900-123`, {headers: typed})
    expect(link.status).toBe(403)
    expect(link.text).toContain('numbers.block entry \\"0900\\"')
    expect((await rawRequest(`${listener.url}/make/020124`, {headers: typed})).text).toContain('Call 020 124?')
  })

  test('a clicked link to a SIP address: its page asks about the address as is; a blocked one gets no page', async () => {
    await start({numbers: {block: ['@blocked.example'], allow: []}})
    const page = await rawRequest(`${listener.url}/make/sip:alice@PBX.example.com`, {headers: outsideNavigation})
    expect(page.status).toBe(200)
    expect(page.text).toContain('Call sip:alice@pbx.example.com?')
    const blocked = await rawRequest(`${listener.url}/make/sip:bob@blocked.example`, {headers: outsideNavigation})
    expect(blocked.status).toBe(403)
    expect(blocked.text).toContain('numbers.block entry \\"@blocked.example\\"')
    const hostile = await rawRequest(`${listener.url}/make/sip:al%22ice@pbx.example.com`, {headers: outsideNavigation})
    expect(hostile.status).toBe(400)
    expect(events).toHaveLength(0)
  })

  test('make is rate limited with 429 and Retry-After', async () => {
    await start({security: {makeRateLimit: 2}})
    expect((await rawRequest(`${listener.url}/make/1`)).status).toBe(200)
    expect((await rawRequest(`${listener.url}/make/2`)).status).toBe(200)
    const third = await rawRequest(`${listener.url}/make/3`)
    expect(third.status).toBe(429)
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0)
    expect(third.json().error.message).toContain('raise security.makeRateLimit')
    expect(events.filter((event) => event.type === 'outgoing')).toHaveLength(2)
  })

  test('binding beyond loopback needs a token, and warns', async () => {
    const config: Config = mergeDefaults(DEFAULTS, {port: 0, host: '0.0.0.0'})
    await expect(startListener({config, version: 'test'})).rejects.toThrow(
      /Refusing to listen on 0.0.0.0 without a token/,
    )
    const warnings: string[] = []
    listener = await startListener({
      config: mergeDefaults(config, {security: {token: 't'.repeat(20)}}),
      version: 'test',
      report: (record) => record.kind === 'warning' && warnings.push(record.message),
    })
    expect(warnings[0]).toContain('listening on 0.0.0.0: reachable from other machines')
  })
})
