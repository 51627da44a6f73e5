import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'

import {launchChromium} from '../../helpers/browser.js'
import {setConfig} from '../../helpers/config.js'
import {type ListenerProcess, startListenerProcess} from '../../helpers/listener-process.js'
import {tempConfigDir} from '../../helpers/paths.js'
import {CHROMIUM, describeWithTool} from '../../helpers/tools.js'
import {until} from '../../helpers/wait.js'

/** Each attack an `attacker.test` page can make on the listener without the user's consent. */
const ATTACKS: Record<string, (target: string) => string> = {
  img: (t) => `<img src="${t}">`,
  script: (t) => `<script src="${t}"></script>`,
  iframe: (t) => `<iframe src="${t}"></iframe>`,
  'no-cors fetch': (t) =>
    `<script>fetch(${JSON.stringify(t)}, {mode: 'no-cors', method: 'POST'}).catch(() => {})</script>`,
  'cors fetch': (t) => `<script>fetch(${JSON.stringify(t)}).then(r => r.text()).catch(() => {})</script>`,
  'form GET': (t) => `<form id=f action="${t}" method=GET></form><script>f.submit()</script>`,
  'form POST': (t) =>
    `<form id=f action="${t}" method=POST><input name=number value=0900666></form><script>f.submit()</script>`,
  'location redirect': (t) => `<script>location = ${JSON.stringify(t)}</script>`,
  'meta refresh': (t) => `<meta http-equiv="refresh" content="1;url=${t}">`,
  'window.open without a click': (t) => `<script>window.open(${JSON.stringify(t)})</script>`,
}

describeWithTool(CHROMIUM, 'drive-by dialing in a real browser (headless Chromium)', () => {
  let pages: Server
  let pagesPort: number
  /** The same pages on 127.0.0.2: another site, and one Chromium sends Sec-Fetch-* to (it is potentially trustworthy). */
  let otherLoopback: Server
  let otherLoopbackPort: number
  let listener: ListenerProcess
  let browser: Awaited<ReturnType<typeof launchChromium>>
  const pageHtml = new Map<string, string>()
  /** Path → where the pages server redirects it (302), and the Sec-Fetch-Site each redirect was asked with. */
  const redirects = new Map<string, string>()
  const redirectSites: Array<string | undefined> = []

  /** Serves `html` at http://<site>:<pagesPort>/<name>. */
  function pageUrl(site: string, name: string, html: string): string {
    pageHtml.set(`/${encodeURIComponent(name)}`, `<!doctype html><html><body>${html}</body></html>`)
    return `http://${site}:${pagesPort}/${encodeURIComponent(name)}`
  }

  async function calls(): Promise<{calls: unknown[]; recent: unknown[]}> {
    return (await fetch(`${listener.url}/status`)).json() as never
  }

  beforeAll(async () => {
    const servePages = (req: IncomingMessage, res: ServerResponse) => {
      const location = redirects.get(req.url ?? '')
      if (location) {
        redirectSites.push(req.headers['sec-fetch-site'] as string | undefined)
        res.writeHead(302, {location}).end()
        return
      }

      const html = pageHtml.get(req.url ?? '')
      res.writeHead(html ? 200 : 404, {'content-type': 'text/html'}).end(html ?? '')
    }

    pages = createServer(servePages)
    await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve))
    pagesPort = (pages.address() as AddressInfo).port
    otherLoopback = createServer(servePages)
    await new Promise<void>((resolve) => otherLoopback.listen(0, '127.0.0.2', resolve))
    otherLoopbackPort = (otherLoopback.address() as AddressInfo).port
    const configDir = tempConfigDir()
    await setConfig(configDir, {'security.allowedOrigins': `http://crm.test:${pagesPort}`, 'sim.answerAfterMs': '-1'})
    listener = await startListenerProcess(configDir)
    browser = await launchChromium(['attacker.test', 'crm.test'])
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await listener?.stop()
    await new Promise((resolve) => pages?.close(resolve))
    await new Promise((resolve) => otherLoopback?.close(resolve))
  })

  test.each(Object.keys(ATTACKS))('from attacker.test: %s places no call', async (attack) => {
    for (const host of ['127.0.0.1', 'localhost']) {
      // A page of its own: a navigation the attack started must not land on the next one (meta refresh).
      const page = await browser.context.newPage()
      const target = `http://${host}:${listener.port}/make/0900666`
      const refusalsBefore = listener.lines.filter((line) => line.kind === 'request' && line.status === 403).length
      await page.goto(pageUrl('attacker.test', `${attack}-${host}`, ATTACKS[attack](target)))
      // The request reached the listener and was refused: wait for its log line rather than for a fixed time.
      await listener.waitForLine(
        () => listener.lines.filter((line) => line.kind === 'request' && line.status === 403).length > refusalsBefore,
      )
      await page.close()
    }

    expect(await calls()).toEqual(expect.objectContaining({calls: [], recent: []}))
    expect(listener.lines.filter((line) => line.kind === 'event')).toEqual([])
  })

  test('from crm.test (allowed): a CORS fetch places the call and the page reads the JSON answer', async () => {
    const page = await browser.context.newPage()
    const target = `http://127.0.0.1:${listener.port}/make/020123456`
    await page.goto(
      pageUrl(
        'crm.test',
        'dial',
        `<p id=out>…</p><script>
        fetch(${JSON.stringify(target)}, {method: 'POST'}).then(r => r.json()).then(b => out.textContent = b.call.number + ' ' + b.call.state, e => out.textContent = 'error ' + e)
      </script>`,
      ),
    )
    await page.waitForFunction(() => (globalThis as unknown as {out: {textContent: string}}).out.textContent !== '…')
    expect(await page.textContent('#out')).toBe('020123456 dialing')
    await page.close()
    const {calls: live} = await calls()
    expect(live).toEqual([expect.objectContaining({number: '020123456', direction: 'outgoing'})])
    expect((await fetch(`${listener.url}/end`)).status).toBe(200)
  })

  test('a link the user clicks on attacker.test shows a confirmation page and dials only after its button', async () => {
    const page = await browser.context.newPage()
    const target = `http://127.0.0.1:${listener.port}/make/020123456`
    await page.goto(pageUrl('attacker.test', 'link', `<a id=link href="${target}">call us</a>`))
    await page.click('#link')
    await page.waitForSelector('text=Call 020 123 456?')
    expect((await calls()).calls).toEqual([])
    await page.click('#call')
    await page.waitForSelector('text=/Done: call .* is dialing/')
    const {calls: live} = await calls()
    expect(live).toEqual([expect.objectContaining({number: '020123456'})])
    await fetch(`${listener.url}/end`)

    // Cancel does nothing.
    await page.goto(pageUrl('attacker.test', 'link2', `<a id=link href="${target}">call us</a>`))
    await page.click('#link')
    await page.click('#cancel')
    await page.waitForSelector('text=Cancelled. Nothing was done.')
    expect((await calls()).calls).toEqual([])
    await page.close()
  })

  test('double-clickjacking: a second click landing on the Call button as the page appears does nothing', async () => {
    const page = await browser.context.newPage()
    // A number of its own: a later test waits for the end of a 0900666 call.
    const target = `http://127.0.0.1:${listener.port}/make/0900777`
    await page.goto(pageUrl('attacker.test', 'dbl', `<a id=link href="${target}">Double-click to continue</a>`))
    await page.click('#link')
    await page.waitForSelector('#call')
    // The second click of a double-click, where the button now is, within the 500 ms a double-click takes.
    const box = await page.locator('#call').boundingBox()
    await page.mouse.click(box!.x + box!.width / 2, box!.y + box!.height / 2)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect((await calls()).calls).toEqual([])
    expect(await page.locator('#result').textContent()).toBe('')
    // Once the page has been in view for a moment, the button works for the user who means it.
    const before = listener.lines.length
    await page.click('#call')
    await page.waitForSelector('text=/Done: call .* is dialing/')
    await fetch(`${listener.url}/end`)
    // Its events printed before the next test counts them.
    await until(() => listener.lines.slice(before).some((line) => line.kind === 'event' && line.type === 'end'))
    await page.close()
  })

  test('a navigation the browser starts (typed, bookmarked, opened from a mail app) redirected by another site to /make shows the confirmation page and places no call', async () => {
    const eventsBefore = listener.lines.filter((line) => line.kind === 'event').length
    const page = await browser.context.newPage()
    for (const host of ['127.0.0.1', 'localhost']) {
      const target = `http://${host}:${listener.port}/make/0900666`
      redirects.set(`/r-${host}`, target)
      // A chain: one foreign site hands over to another, which redirects to the listener.
      redirects.set(`/chain-${host}`, `http://attacker.test:${pagesPort}/r-${host}`)
      for (const start of [
        `http://127.0.0.2:${otherLoopbackPort}/r-${host}`,
        `http://127.0.0.2:${otherLoopbackPort}/chain-${host}`,
      ]) {
        redirectSites.length = 0
        // page.goto is a navigation the browser itself starts, as a typed URL, a bookmark or another app's link.
        const response = await page.goto(start)
        expect(redirectSites[0]).toBe('none')
        expect(response?.url()).toBe(target)
        await page.waitForSelector('text=Call 090 066 6?')
        expect(await page.textContent('.from')).toContain('Asked by a link opened from outside a web page')
        expect((await calls()).calls).toEqual([])
      }
    }

    await page.click('#cancel')
    await page.waitForSelector('text=Cancelled. Nothing was done.')
    expect((await calls()).calls).toEqual([])
    expect(listener.lines.filter((line) => line.kind === 'event')).toHaveLength(eventsBefore)

    // The user who meant it clicks Call on the page: that dials.
    await page.goto(`http://127.0.0.2:${otherLoopbackPort}/r-127.0.0.1`)
    await page.click('#call')
    await page.waitForSelector('text=/Done: call .* is dialing/')
    expect((await calls()).calls).toEqual([expect.objectContaining({number: '0900666'})])
    await page.close()
    expect((await fetch(`${listener.url}/end`)).status).toBe(200)
    await listener.waitForLine(
      (line) => line.kind === 'event' && line.type === 'end' && (line.call as {number?: string}).number === '0900666',
    )
  })

  test('a link clicked on attacker.test that redirects through crm.test (allowed) to /make still asks first', async () => {
    const eventsBefore = listener.lines.filter((line) => line.kind === 'event').length
    const page = await browser.context.newPage()
    const target = `http://127.0.0.1:${listener.port}/make/0900666`
    redirects.set('/crm-redirect', target)
    await page.goto(
      pageUrl('attacker.test', 'via-crm', `<a id=link href="http://crm.test:${pagesPort}/crm-redirect">call us</a>`),
    )
    await page.click('#link')
    await page.waitForSelector('text=Call 090 066 6?')
    expect(await page.textContent('.from')).toContain('attacker.test')
    await page.close()
    expect((await calls()).calls).toEqual([])
    expect(listener.lines.filter((line) => line.kind === 'event')).toHaveLength(eventsBefore)
  })
})
