import {classifyRequester, isLoopbackAddress, isLoopbackHost} from '../../../src/listener/security/origin.js'

const policy = {
  own: new Set(['http://127.0.0.1:5678', 'http://localhost:5678']),
  allowed: new Set(['https://crm.test']),
}

describe('classifyRequester', () => {
  test.each([
    ['curl / scripts / the CLI: no browser headers', {}, 'tool'],
    ["Node's fetch: a lone Sec-Fetch-Mode", {'sec-fetch-mode': 'cors'}, 'tool'],
    [
      'typed URL, bookmark, a link from a mail app (maybe redirected): a navigation to confirm',
      {'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate', 'sec-fetch-user': '?1'},
      'navigation',
    ],
    [
      'a navigation the browser started, without user activation (prerender): still one to confirm',
      {'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document'},
      'navigation',
    ],
    ['Sec-Fetch-Site: none outside a navigation', {'sec-fetch-site': 'none', 'sec-fetch-mode': 'no-cors'}, 'foreign'],
    ['a lone Sec-Fetch-Mode: navigate', {'sec-fetch-mode': 'navigate'}, 'foreign'],
    ['the listener’s own page', {'sec-fetch-site': 'same-origin', origin: 'http://127.0.0.1:5678'}, 'same-origin'],
    ['same-origin GET without Origin', {'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors'}, 'same-origin'],
    [
      'allowed CRM fetch',
      {'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors', origin: 'https://crm.test'},
      'allowed-origin',
    ],
    [
      'a link clicked on the allowed CRM (Referer only)',
      {'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', referer: 'https://crm.test/contacts'},
      'allowed-origin',
    ],
    [
      'allowed Origin claiming same-origin: the headers disagree, the least trusted reading wins',
      {'sec-fetch-site': 'same-origin', origin: 'https://crm.test'},
      'foreign',
    ],
    [
      'own Origin with Sec-Fetch-Site: none',
      {'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate', origin: 'http://127.0.0.1:5678'},
      'navigation',
    ],
    [
      'own Referer, but the browser says the navigation went through another site (a redirect chain)',
      {
        'sec-fetch-site': 'cross-site',
        'sec-fetch-mode': 'navigate',
        'sec-fetch-user': '?1',
        referer: 'http://127.0.0.1:5678/',
      },
      'navigation',
    ],
    [
      'same-origin POST under Referrer-Policy: no-referrer (Origin: null)',
      {'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors', origin: 'null', host: '127.0.0.1:5678'},
      'same-origin',
    ],
    [
      'same-origin by a name the listener does not answer to (DNS rebinding with checkHost off)',
      {'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors', host: 'evil.example:5678'},
      'foreign',
    ],
    [
      'own Origin under a foreign Host',
      {'sec-fetch-site': 'same-origin', origin: 'http://127.0.0.1:5678', host: 'evil.example:5678'},
      'foreign',
    ],
    ['unknown Sec-Fetch-Site value (upper case)', {'sec-fetch-site': 'Same-Origin'}, 'foreign'],
    ['two Sec-Fetch-Site headers, joined by Node', {'sec-fetch-site': 'cross-site, same-origin'}, 'foreign'],
    [
      'img from another site',
      {
        'sec-fetch-site': 'cross-site',
        'sec-fetch-mode': 'no-cors',
        'sec-fetch-dest': 'image',
        referer: 'http://attacker.test/x',
      },
      'foreign',
    ],
    [
      'script-driven navigation (no user activation)',
      {
        'sec-fetch-site': 'cross-site',
        'sec-fetch-mode': 'navigate',
        'sec-fetch-dest': 'document',
        referer: 'http://attacker.test/',
      },
      'foreign',
    ],
    [
      'iframe navigation with activation',
      {
        'sec-fetch-site': 'cross-site',
        'sec-fetch-mode': 'navigate',
        'sec-fetch-user': '?1',
        'sec-fetch-dest': 'iframe',
      },
      'foreign',
    ],
    [
      'clicked link on another site',
      {
        'sec-fetch-site': 'cross-site',
        'sec-fetch-mode': 'navigate',
        'sec-fetch-user': '?1',
        'sec-fetch-dest': 'document',
        referer: 'http://attacker.test/',
      },
      'navigation',
    ],
    [
      'another local web app (same-site, other port)',
      {'sec-fetch-site': 'same-site', origin: 'http://localhost:3000'},
      'foreign',
    ],
    ['Origin: null (sandboxed frame, file://)', {origin: 'null'}, 'foreign'],
    ['old browser: only a foreign Referer', {referer: 'http://attacker.test/page'}, 'foreign'],
    ['old browser: its own page (Referer only)', {referer: 'http://localhost:5678/'}, 'same-origin'],
    [
      'a navigation without Sec-Fetch (Safari before 16.4, or an http name Chromium sends none to): Upgrade-Insecure-Requests',
      {'upgrade-insecure-requests': '1'},
      'navigation',
    ],
    [
      'the same from a link on another site',
      {'upgrade-insecure-requests': '1', referer: 'http://attacker.test/'},
      'navigation',
    ],
    [
      'the same from its own page',
      {'upgrade-insecure-requests': '1', referer: 'http://127.0.0.1:5678/'},
      'same-origin',
    ],
    [
      'Upgrade-Insecure-Requests beside Sec-Fetch: Sec-Fetch decides (an iframe)',
      {
        'upgrade-insecure-requests': '1',
        'sec-fetch-site': 'cross-site',
        'sec-fetch-mode': 'navigate',
        'sec-fetch-dest': 'iframe',
      },
      'foreign',
    ],
  ])('%s → %s', (_name, headers, kind) => {
    expect(classifyRequester(headers, policy).kind).toBe(kind)
  })
})

test('isLoopbackAddress: the peer of a socket', () => {
  for (const address of ['127.0.0.1', '127.0.0.2', '::1', '::ffff:127.0.0.1'])
    expect(isLoopbackAddress(address)).toBe(true)
  for (const address of [undefined, '192.0.2.2', '::ffff:192.0.2.2', 'fd00::2', '0.0.0.0', '::'])
    expect(isLoopbackAddress(address)).toBe(false)
})

test('isLoopbackHost', () => {
  for (const host of ['localhost', 'LOCALHOST', '127.0.0.1', '127.1.2.3', '[::1]', '::1'])
    expect(isLoopbackHost(host)).toBe(true)
  for (const host of ['0.0.0.0', '192.168.1.2', 'evil.example', 'localhost.evil.example', '127.0.0.1.evil.test'])
    expect(isLoopbackHost(host)).toBe(false)
})
