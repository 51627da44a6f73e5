import {mkdirSync} from 'node:fs'
import path from 'node:path'

import {launchChromium} from '../helpers/browser.js'
import {runCli} from '../helpers/cli.js'
import {setConfig} from '../helpers/config.js'
import {startFakeBaresip} from '../helpers/fake-baresip.js'
import {type ListenerProcess, startListenerProcess} from '../helpers/listener-process.js'
import {ROOT, tempConfigDir} from '../helpers/paths.js'
import {CHROMIUM, describeWithTool} from '../helpers/tools.js'

/** Screenshots are kept here for people to look at (CI uploads the folder). */
const ARTIFACTS = path.join(ROOT, 'test-artifacts')

describeWithTool(CHROMIUM, 'the status page at / in headless Chromium', () => {
  let browser: Awaited<ReturnType<typeof launchChromium>>
  beforeAll(async () => {
    browser = await launchChromium()
    mkdirSync(ARTIFACTS, {recursive: true})
  })
  afterAll(async () => {
    await browser?.close()
  })

  async function openPage(listener: ListenerProcess) {
    const page = await browser.context.newPage()
    const problems: string[] = []
    page.on('pageerror', (error) => problems.push(error.message))
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()))
    await page.goto(`${listener.url}/`)
    return {page, problems}
  }

  const status = async (listener: ListenerProcess, token = '') =>
    (await (
      await fetch(`${listener.url}/status`, {headers: token ? {authorization: `Bearer ${token}`} : {}})
    ).json()) as {calls: Array<{number: string; state: string; direction: string}>}

  test('an incoming call appears live, is answered with its button and ended; the dial field calls (renamed command segments)', async () => {
    const configDir = tempConfigDir()
    // Renamed command segments, as Enreach allows: the page must use them.
    await setConfig(configDir, {
      'sim.answerAfterMs': '-1',
      'commands.make': 'dial',
      'commands.answer': 'pickup',
      'commands.end': 'hangup',
    })

    const listener = await startListenerProcess(configDir)
    const {page, problems} = await openPage(listener)
    try {
      await page.locator('#state', {hasText: 'live'}).waitFor()
      await expect(page.locator('#driver').textContent()).resolves.toBe('driver: sim')

      await runCli(
        ['notify', 'incoming', '0612345678', '--name', 'Alice <b>Example</b>', '--port', String(listener.port)],
        configDir,
      )
      const row = page.locator('#calls tr', {hasText: '0612345678'})
      await row.locator('td', {hasText: 'ringing'}).waitFor()
      // Names come from the network: shown as text, never as markup.
      await expect(row.locator('td').nth(1).textContent()).resolves.toBe('Alice <b>Example</b>')
      await expect(page.locator('#events li').first().textContent()).resolves.toMatch(
        /incoming +0612345678 "Alice <b>Example<\/b>"/,
      )

      await row.getByRole('button', {name: 'Answer'}).click()
      await row.locator('td', {hasText: 'active'}).waitFor()
      expect((await status(listener)).calls).toEqual([expect.objectContaining({number: '0612345678', state: 'active'})])
      await page.screenshot({path: path.join(ARTIFACTS, 'status-page.png'), fullPage: true})

      await row.getByRole('button', {name: 'End'}).click()
      await page.locator('#no-calls').waitFor({state: 'visible'})
      expect((await status(listener)).calls).toEqual([])

      await page.fill('#number', '+31 20 123 4567')
      await page.getByRole('button', {name: 'Call'}).click()
      await page.locator('#calls tr', {hasText: '+31201234567'}).locator('td', {hasText: 'dialing'}).waitFor()
      expect((await status(listener)).calls).toEqual([
        expect.objectContaining({number: '+31201234567', direction: 'outgoing'}),
      ])
      expect(problems).toEqual([])
    } finally {
      await page.close()
      await listener.stop()
    }
  })

  test('each call has its controls: hold, resume, mute, DTMF, transfer for a live call, reject for a ringing one', async () => {
    const configDir = tempConfigDir()
    await setConfig(configDir, {'sim.answerAfterMs': '0', 'commands.hold': 'park'})
    const listener = await startListenerProcess(configDir)
    const {page, problems} = await openPage(listener)
    try {
      await page.locator('#state', {hasText: 'live'}).waitFor()
      await runCli(['make', '020123456', '--port', String(listener.port)], configDir)
      const row = page.locator('#calls tr', {hasText: '020123456'})
      await row.locator('td', {hasText: 'active'}).waitFor()
      // Renamed segment (commands.hold park): the page uses it.
      await row.getByRole('button', {name: 'Hold'}).click()
      await row.locator('td', {hasText: 'held'}).waitFor()
      expect((await status(listener)).calls).toEqual([expect.objectContaining({state: 'held'})])
      await expect(row.getByRole('textbox', {name: 'Digits'}).count()).resolves.toBe(0)
      await row.getByRole('button', {name: 'Resume'}).click()
      await row.locator('td', {hasText: 'active'}).waitFor()
      await row.getByRole('button', {name: 'Mute'}).click()
      await row.getByRole('button', {name: 'Unmute'}).waitFor()
      expect((await status(listener)).calls).toEqual([expect.objectContaining({muted: true})])
      await row.getByRole('textbox', {name: 'Digits'}).fill('12#')
      await row.getByRole('button', {name: 'DTMF'}).click()
      await listener.waitForLine(
        (line) => line.kind === 'request' && line.path === '/dtmf/12%23' && line.status === 200,
      )
      await page.screenshot({path: path.join(ARTIFACTS, 'status-page-controls.png'), fullPage: true})
      await row.getByRole('textbox', {name: 'Transfer to'}).fill('0201111111')
      await row.getByRole('button', {name: 'Transfer'}).click()
      await page.locator('#no-calls').waitFor({state: 'visible'})
      await expect(page.locator('#events li').first().textContent()).resolves.toMatch(/^\S+ +end +020123456/)

      await runCli(['notify', 'incoming', '0612345678', '--port', String(listener.port)], configDir)
      const ringing = page.locator('#calls tr', {hasText: '0612345678'})
      await ringing.getByRole('button', {name: 'Reject'}).click()
      await page.locator('#no-calls').waitFor({state: 'visible'})
      await expect(page.locator('#events li').first().textContent()).resolves.toMatch(/rejected +0612345678/)
      // A bad transfer number is shown as the listener's message, not swallowed.
      await runCli(['make', '020123456', '--port', String(listener.port)], configDir)
      await row.getByRole('textbox', {name: 'Transfer to'}).fill('abc')
      await row.getByRole('button', {name: 'Transfer'}).click()
      await page.locator('#error', {hasText: /number/i}).waitFor()
      expect(problems.filter((problem) => !problem.includes('400'))).toEqual([])
    } finally {
      await page.close()
      await listener.stop()
    }
  })

  test('with a token set, the page asks for it and then works; it is never in the page itself', async () => {
    const token = 'status-page-token-0123456789'
    const configDir = tempConfigDir()
    await setConfig(configDir, {'security.token': token})
    const listener = await startListenerProcess(configDir)
    const {page, problems} = await openPage(listener)
    try {
      expect(await page.content()).not.toContain(token)
      await page.locator('#token-form').waitFor({state: 'visible'})
      await expect(page.locator('#error').textContent()).resolves.toContain('needs its token')
      await page.fill('#token', token)
      await page.getByRole('button', {name: 'Use token'}).click()
      await page.locator('#state', {hasText: 'live'}).waitFor()
      await runCli(['notify', 'incoming', '0201234567', '--port', String(listener.port)], configDir)
      await page.locator('#calls tr', {hasText: '0201234567'}).waitFor()
      // The 401 before the token was typed is the only console error.
      expect(problems.filter((problem) => !problem.includes('401'))).toEqual([])
    } finally {
      await page.close()
      await listener.stop()
    }
  })

  test('it cannot be framed, and runs only its own script (CSP by hash)', async () => {
    const configDir = tempConfigDir()
    const listener = await startListenerProcess(configDir)
    try {
      const response = await fetch(`${listener.url}/`, {headers: {accept: 'text/html'}})
      expect(response.headers.get('x-frame-options')).toBe('DENY')
      expect(response.headers.get('content-security-policy')).toMatch(
        /^default-src 'none'; script-src 'sha256-[^']+'; style-src 'sha256-[^']+'; connect-src 'self';.*frame-ancestors 'none'/,
      )
      const json = await fetch(`${listener.url}/`)
      expect(((await json.json()) as {routes: string[]}).routes).toContain('/events')
    } finally {
      await listener.stop()
    }
  })

  test('a driver that cannot reach its phone: the page says so, and shows the call as unknown, not active', async () => {
    const fake = await startFakeBaresip()
    const configDir = tempConfigDir()
    await setConfig(configDir, {
      'driver.name': 'baresip',
      'driver.baresip.port': String(fake.port),
      'driver.baresip.dialUri': 'sip:{NUMBER}@127.0.0.1',
    })
    const listener = await startListenerProcess(configDir)
    const {page, problems} = await openPage(listener)
    try {
      await listener.waitForLine((line) => line.kind === 'driver' && String(line.message).includes('connected to'))
      expect((await fetch(`${listener.url}/make/020123456`)).status).toBe(200)
      await page.reload()
      await expect(page.locator('#driver').textContent()).resolves.toBe('driver: baresip')
      await page.locator('#calls td', {hasText: 'active'}).waitFor()

      await fake.stop()
      await listener.waitForLine((line) => line.kind === 'driver' && String(line.message).includes('not reachable'))
      await page.reload()
      await page.locator('#driver', {hasText: 'down'}).waitFor()
      await expect(page.locator('#driver').textContent()).resolves.toBe(
        `driver: baresip (down: ctrl_tcp at 127.0.0.1:${fake.port} is not reachable: is baresip running? Commands answer 503; callctl reconnects as soon as it answers)`,
      )
      const row = page.locator('#calls tr', {hasText: '020123456'})
      await expect(row.locator('td').nth(3).textContent()).resolves.toBe('unknown (was active)')
      await page.screenshot({path: path.join(ARTIFACTS, 'status-page-driver-down.png'), fullPage: true})
      expect(problems).toEqual([])
    } finally {
      await page.close()
      await listener.stop()
      await fake.close()
    }
  })
})
