import {parseDialLink} from '../../src/dialing/link.js'

describe('parseDialLink', () => {
  test.each([
    // RFC 3966: visual separators, parameters, percent-encoding.
    ['tel:+49-30-1234567', {number: '+49301234567', scheme: 'tel'}],
    ['TEL:+1.201.555.0123', {number: '+12015550123', scheme: 'tel'}],
    ['tel:+1-201-555-0123;ext=1234', {number: '+12015550123', scheme: 'tel', ext: '1234'}],
    ['tel:%2B49%2030%20123', {number: '+4930123', scheme: 'tel'}],
    ['tel:7042;phone-context=+1-212-555', {number: '+12125557042', scheme: 'tel'}],
    ['tel:7042;phone-context=example.com', {number: '7042', scheme: 'tel'}],
    ['tel:+358-555-1234567;isub=1411;postd=pp22', {number: '+3585551234567', scheme: 'tel', isub: '1411'}],
    ['tel:+49 (0) 30-123', {number: '+4930123', scheme: 'tel'}],
    // Skype's callto:, with and without the slashes, with a trailing slash a browser adds.
    ['callto:+31201234567', {number: '+31201234567', scheme: 'callto'}],
    ['callto://+31201234567/', {number: '+31201234567', scheme: 'callto'}],
    ['callto://0031-20-1234567?call', {number: '0031201234567', scheme: 'callto'}],
    // sip:/sips: whose user part is a number.
    ['sip:+4930123@pbx.example.com', {number: '+4930123', scheme: 'sip'}],
    ['sips:+4930123;ext=7@pbx.example.com;user=phone', {number: '+4930123', scheme: 'sips', ext: '7'}],
    ['sip:020123456', {number: '020123456', scheme: 'sip'}],
    // Parameters callctl has no use for are skipped (RFC 3966 allows any).
    ['tel:+4930123;ext=12;foo', {number: '+4930123', scheme: 'tel', ext: '12'}],
    // Plain numbers.
    ['+49 (0) 30 1234567', {number: '+49301234567', scheme: 'plain'}],
    ['  020 123 456 ', {number: '020123456', scheme: 'plain'}],
  ])('%s', (link, expected) => {
    expect(parseDialLink(link)).toEqual(expected)
  })

  test.each([
    ['sip:alice@example.com', /user part "alice" is not a phone number/],
    ['http://evil.example/make/0900', /"http:" links are not phone links/],
    ['javascript:alert(1)', /"javascript:" links are not phone links/],
    ['tel:%ZZ', /broken percent-encoding/],
    ['tel:+4930123;ext=1a', /Invalid extension "1a"/],
    ['tel:', /No number/],
    ['callto://echo123', /Invalid number "echo123"/],
    ['tel:+49301;$(reboot)', /";\$\(reboot\)" is not a tel: parameter/],
    [`tel:${'1'.repeat(40)}`, /too long/],
  ])('%s is refused with a clear message', (link, message) => {
    expect(() => parseDialLink(link)).toThrow(message)
  })
})
