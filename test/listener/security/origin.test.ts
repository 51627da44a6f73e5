import {classifyRequester, isLoopbackHost} from '../../../src/listener/security/origin.js'

const policy = {
  own: new Set(['http://127.0.0.1:5678', 'http://localhost:5678']),
  allowed: new Set(['https://crm.test']),
}

describe('classifyRequester', () => {
  test.each([
    ['curl / scripts / the CLI: no browser headers', {}, 'tool'],
    ["Node's fetch: a lone Sec-Fetch-Mode", {'sec-fetch-mode': 'cors'}, 'tool'],
    ['typed URL or bookmark', {'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate', 'sec-fetch-user': '?1'}, 'user'],
    ['the listener’s own page', {'sec-fetch-site': 'same-origin', origin: 'http://127.0.0.1:5678'}, 'same-origin'],
    ['same-origin GET without Origin', {'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors'}, 'same-origin'],
    [
      'allowed CRM fetch',
      {'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors', origin: 'https://crm.test'},
      'allowed-origin',
    ],
    [
      'img from another site',
      {
        'sec-fetch-site': 'cross-site',
        'sec-fetch-mode': 'no-cors',
        'sec-fetch-dest': 'image',
        referer: 'http://attacker.test/x',
      },
      'cross-origin',
    ],
    [
      'script-driven navigation (no user activation)',
      {
        'sec-fetch-site': 'cross-site',
        'sec-fetch-mode': 'navigate',
        'sec-fetch-dest': 'document',
        referer: 'http://attacker.test/',
      },
      'cross-origin',
    ],
    [
      'iframe navigation with activation',
      {
        'sec-fetch-site': 'cross-site',
        'sec-fetch-mode': 'navigate',
        'sec-fetch-user': '?1',
        'sec-fetch-dest': 'iframe',
      },
      'cross-origin',
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
      'cross-origin-click',
    ],
    [
      'another local web app (same-site, other port)',
      {'sec-fetch-site': 'same-site', origin: 'http://localhost:3000'},
      'cross-origin',
    ],
    ['Origin: null (sandboxed frame, file://)', {origin: 'null'}, 'cross-origin'],
    ['old browser: only a foreign Referer', {referer: 'http://attacker.test/page'}, 'cross-origin'],
  ])('%s → %s', (_name, headers, kind) => {
    expect(classifyRequester(headers, policy).kind).toBe(kind)
  })
})

test('isLoopbackHost', () => {
  for (const host of ['localhost', 'LOCALHOST', '127.0.0.1', '127.1.2.3', '[::1]', '::1'])
    expect(isLoopbackHost(host)).toBe(true)
  for (const host of ['0.0.0.0', '192.168.1.2', 'evil.example', 'localhost.evil.example', '127.0.0.1.evil.test'])
    expect(isLoopbackHost(host)).toBe(false)
})
