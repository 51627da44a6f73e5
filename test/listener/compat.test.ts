import {readFileSync} from 'node:fs'
import path from 'node:path'

import {SNOM_FORMS, YEALINK_FORMS} from '../../src/listener/compat.js'
import {setConfig} from '../helpers/config.js'
import {startListenerProcess} from '../helpers/listener-process.js'
import {ROOT, tempConfigDir} from '../helpers/paths.js'
import {rawRequest} from '../helpers/raw-request.js'

describe("a number's + in a query or form, however it is written (real listener)", () => {
  test('every way a CRM or phone writes +49… is +49…: numbers.block +4990 refuses each, none dials 4990…', async () => {
    const configDir = tempConfigDir()
    await setConfig(configDir, {
      'compat.yealink': 'true',
      'compat.snom': 'true',
      'numbers.block': '+4990',
      'security.makeRateLimit': '0',
      'driver.sim.answerAfterMs': '0',
    })
    const listener = await startListenerProcess(configDir)
    const send = async (path: string, body?: string) => {
      const response = await fetch(`${listener.url}${path}`, {
        method: 'POST',
        ...(body === undefined ? {} : {headers: {'content-type': 'application/x-www-form-urlencoded'}, body}),
      })
      return {path, body, status: response.status}
    }

    try {
      const results = [
        await send('/make?number=+4990123'),
        await send('/make?number=tel:+4990123'),
        await send('/make?number=callto://+4990123'),
        await send('/make?number=callto:+4990123'),
        await send('/make?number=tel:+49-90-123'),
        await send('/make?number=%0A+4990123'),
        await send('/make?number=%C2%A0+4990123'),
        await send('/make?%6Eumber=+4990123'),
        await send('/servlet?key=number%3D+4990123'),
        await send('/servlet?%6Bey=number=+4990123'),
        await send('/command.htm?%6Eumber=+4990123'),
        await send('/make', 'number=tel:+4990123'),
        await send('/make', '%6Eumber=+4990123'),
      ]
      expect(results.filter((result) => result.status !== 403)).toEqual([])
      // Nothing was dialled, and a transfer keeps the + too.
      const status = (await (await fetch(`${listener.url}/status`)).json()) as {calls: unknown[]}
      expect(status.calls).toEqual([])
      expect((await send('/make/020123')).status).toBe(200)
      expect((await send('/transfer?number=tel:+4990123')).status).toBe(403)
      const transfer = await fetch(`${listener.url}/transfer?number=tel:+4930123`, {method: 'POST'})
      expect(await transfer.json()).toMatchObject({call: {transferredTo: '+4930123'}})
    } finally {
      await listener.stop()
    }
  }, 30_000)
})

describe('desk-phone URLs (compat.yealink, compat.snom) against a real listener', () => {
  test('Yealink and Snom forms act as make, answer and end, under the same policy', async () => {
    const configDir = tempConfigDir()
    await setConfig(configDir, {
      'compat.yealink': 'true',
      'compat.snom': 'true',
      'sim.answerAfterMs': '-1',
      'numbers.block': '0900',
    })

    const listener = await startListenerProcess(configDir)
    const get = async (path: string) => {
      const response = await fetch(`${listener.url}${path}`)
      return {status: response.status, body: (await response.json()) as any}
    }

    try {
      expect((await get('/servlet?key=number=020123456')).body.call).toMatchObject({
        number: '020123456',
        state: 'dialing',
      })
      expect((await get('/servlet?key=CALLEND')).body.call.state).toBe('ended')
      await get('/notify/incoming?number=0612345678')
      expect((await get('/servlet?key=OK')).body.call.state).toBe('active')
      expect((await get('/command.htm?key=ONHOOK')).body.call.state).toBe('ended')
      expect((await get('/command.htm?number=%2B31201234567')).body.call.number).toBe('+31201234567')
      // A `+` written as it is (not %2B) is still the international prefix, not a space that drops it.
      expect((await get('/command.htm?key=DISCONNECT')).status).toBe(200)
      expect((await get('/command.htm?number=+31201234568')).body.call.number).toBe('+31201234568')
      expect((await get('/command.htm?key=DISCONNECT')).status).toBe(200)
      expect((await get('/servlet?key=number=+31201234569')).body.call.number).toBe('+31201234569')
      expect((await get('/servlet?key=CALLEND')).status).toBe(200)
      // A space before it (what encodeURI(' +31…') gives) changes nothing.
      const spacedPlus = await fetch(`${listener.url}/make?number=%20+31201234572`, {method: 'POST'})
      expect(((await spacedPlus.json()) as any).call.number).toBe('+31201234572')
      expect((await get('/command.htm?key=DISCONNECT')).status).toBe(200)
      const made = await fetch(`${listener.url}/make?number=+31201234570`, {method: 'POST'})
      expect(((await made.json()) as any).call.number).toBe('+31201234570')
      // `curl -d number=+…`: a form body sends it as it is too.
      expect((await get('/command.htm?key=DISCONNECT')).status).toBe(200)
      const posted = await fetch(`${listener.url}/make`, {
        method: 'POST',
        headers: {'content-type': 'application/x-www-form-urlencoded'},
        body: 'number=+31201234571',
      })
      expect(((await posted.json()) as any).call.number).toBe('+31201234571')
      // Inside a number a `+` is a form's space, dropped like any space.
      expect((await get('/command.htm?key=DISCONNECT')).status).toBe(200)
      const spaced = await fetch(`${listener.url}/make?number=020+123+456`, {method: 'POST'})
      expect(((await spaced.json()) as any).call.number).toBe('020123456')
      await fetch(`${listener.url}/end`, {method: 'POST'})
      const reported = await fetch(`${listener.url}/notify/incoming?number=+31612345678`, {method: 'POST'})
      expect(((await reported.json()) as any).call.number).toBe('+31612345678')
      expect((await get('/command.htm?key=DISCONNECT')).status).toBe(200)
      await get('/notify/incoming?number=0612345678')
      expect((await get('/command.htm?key=OFFHOOK')).body.call.state).toBe('active')
      expect((await get('/servlet?key=ANSWER')).status).toBe(409)
      const unknown = await get('/servlet?key=F1')
      expect(unknown.status).toBe(400)
      expect(unknown.body.error.message).toContain('understood are /servlet?key=number=<N>, /servlet?key=OK')
      // The number lists and the browser policy apply to the aliases as to /make.
      expect((await get('/servlet?key=number=0900123')).status).toBe(403)
      const img = await rawRequest(`${listener.url}/servlet?key=number=020123456`, {
        headers: {'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', referer: 'http://attacker.test/'},
      })
      expect(img.status).toBe(403)
    } finally {
      await listener.stop()
    }
  })

  test('Yealink hold, unhold (of a named call), mute and keypad digits act as hold, resume, mute and dtmf', async () => {
    const configDir = tempConfigDir()
    await setConfig(configDir, {'compat.yealink': 'true', 'sim.answerAfterMs': '0'})
    const listener = await startListenerProcess(configDir)
    const get = async (path: string) => {
      const response = await fetch(`${listener.url}${path}`)
      return {status: response.status, body: (await response.json()) as any}
    }

    try {
      const {call} = (await get('/servlet?key=number=020123456')).body
      expect((await get('/servlet?key=F_HOLD')).body.call).toMatchObject({id: call.id, state: 'held'})
      expect((await get(`/servlet?key=UNHOLD:${call.id}`)).body.call.state).toBe('active')
      expect((await get(`/servlet?key=HOLD:${call.id}`)).body.call.state).toBe('held')
      expect((await get('/servlet?key=UNHOLD')).body.call.state).toBe('active')
      expect((await get('/servlet?key=MUTE')).body.call.muted).toBe(true)
      for (const key of ['5', 'STAR', 'POUND']) expect((await get(`/servlet?key=${key}`)).status).toBe(200)
      await listener.waitForLine((line) => line.kind === 'request' && line.path === '/dtmf/%23')
      expect((await get('/servlet?key=UNHOLD:no-such-call')).status).toBe(409)
    } finally {
      await listener.stop()
    }
  })

  test('off by default: the URLs are unknown commands', async () => {
    const listener = await startListenerProcess(tempConfigDir())
    try {
      expect((await fetch(`${listener.url}/servlet?key=number=1`)).status).toBe(404)
      expect((await fetch(`${listener.url}/command.htm?number=1`)).status).toBe(404)
    } finally {
      await listener.stop()
    }
  })

  test('the README lists exactly the forms the listener understands', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8')
    const section = readme.slice(
      readme.indexOf('#### Clients written for desk phones'),
      readme.indexOf('## Configuration'),
    )
    const listed = [...section.matchAll(/`(\/(?:servlet|command\.htm)\?[^`]+)`/g)].map((match) => match[1])
    expect(listed.sort()).toEqual([...YEALINK_FORMS, ...SNOM_FORMS].sort())
  })
})
