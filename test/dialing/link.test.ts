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
    // sip:/sips: whose user part is not a number: the whole address, scheme and host in lower case.
    ['sip:alice@pbx.example.com', {number: 'sip:alice@pbx.example.com', scheme: 'sip'}],
    [
      'SIPS:Alice@PBX.Example.com:5061;transport=tcp',
      {number: 'sips:Alice@pbx.example.com:5061;transport=tcp', scheme: 'sips'},
    ],
    ['sip:bob@[2001:DB8::1]:5080', {number: 'sip:bob@[2001:db8::1]:5080', scheme: 'sip'}],
    ['  sip:o%27brien@10.0.0.1  ', {number: 'sip:o%27brien@10.0.0.1', scheme: 'sip'}],
    // Parameters callctl has no use for are skipped (RFC 3966 allows any).
    ['tel:+4930123;ext=12;foo', {number: '+4930123', scheme: 'tel', ext: '12'}],
    // Plain numbers.
    ['+49 (0) 30 1234567', {number: '+49301234567', scheme: 'plain'}],
    ['  020 123 456 ', {number: '020123456', scheme: 'plain'}],
  ])('%s', (link, expected) => {
    expect(parseDialLink(link)).toEqual(expected)
  })

  test.each([
    ['http://evil.example/make/0900', /"http:" links are not phone links/],
    ['javascript:alert(1)', /"javascript:" links are not phone links/],
    ['tel:%ZZ', /broken percent-encoding \(a % not followed by two hex digits\)/],
    ['tel:%ff%fe', /broken percent-encoding \(bytes that are not UTF-8 text\)/],
    ['tel:+4930123;ext=1a', /Invalid extension "1a"/],
    ['tel:', /No number/],
    ['callto://echo123', /Invalid number "echo123"/],
    ['tel:+49301;$(reboot)', /";\$\(reboot\)" is not a tel: parameter/],
    [`tel:${'1'.repeat(40)}`, /too long/],
  ])('%s is refused with a clear message', (link, message) => {
    expect(() => parseDialLink(link)).toThrow(message)
  })
})

test.each([['tel:%00123'], ['tel:12%0A3'], ['callto://+31%0D20'], ['tel:+4930123;isub=1%0A2'], ['tel:+4930;ext=%001']])(
  "%s: a control character in a link is the link's fault (ERR_INVALID_LINK), as the README says",
  (link) => {
    expect(() => parseDialLink(link)).toThrow(
      expect.objectContaining({code: 'ERR_INVALID_LINK', message: expect.stringContaining('control character')}),
    )
  },
)

describe('parseDialLink: a SIP address is checked strictly before anything dials it', () => {
  test.each([
    ['sip:alice', /needs a user and a host/],
    ['sip:@pbx.example.com', /user part is empty/],
    ['sip:alice:secret@pbx.example.com', /password/],
    ['sip:alice@pbx.example.com?subject=hi', /headers/],
    ['sip:alice@pbx.example.com#x', /fragments/],
    ['sip:ali ce@pbx.example.com', /space or a control character/],
    ['sip:alice@pbx.example.com\r\n{"command":"quit"}', /space or a control character/],
    ['sip:alice\u0000@pbx.example.com', /space or a control character/],
    ['sip:alice%00@pbx.example.com', /%00, an encoded control character/],
    ['sip:alice%0d%0a@pbx.example.com', /%0d, an encoded control character/],
    ['sip:ali"ce@pbx.example.com', /holds a character a SIP user cannot/],
    ['sip:ali\\ce@pbx.example.com', /holds a character a SIP user cannot/],
    ['sip:alice@bob@pbx.example.com', /raw @/],
    ['sip:alice@pbx.example.com;maddr=evil.example', /maddr/],
    ['sip:alice@pbx.example.com;a"b=1', /is not a URI parameter/],
    ['sip:alice@pbx.example.com;x=%0a', /encoded control character/],
    ['sip:alice@pbx_example.com', /is not a host name/],
    ['sip:alice@1.2.3.999', /is not a host name/],
    ['sip:alice@-pbx.example.com', /is not a host name/],
    ['sip:alice@[::g]', /is not an IPv6 address/],
    ['sip:alice@pbx.example.com:0', /port 0 is not 1 to 65535/],
    ['sip:alice@pbx.example.com:70000', /port 70000/],
    ['sip:alice@pbx.example.com:50:60', /is not a host\[:port\]/],
    ['sip://alice@pbx.example.com', /no \/\//],
    ['sip:älice@pbx.example.com', /holds a character a SIP user cannot/],
    [`sip:${'a'.repeat(300)}@pbx.example.com`, /at most 256 characters/],
    [`sip:alice@pbx.example.com${';a=1'.repeat(9)}`, /at most 8 ;parameters/],
    // No user: a host is no number (127001).
    ['sip:127.0.0.1', /needs a user and a host/],
    ['sips:10.0.0.1:5061', /needs a user and a host/],
    ['sip:[::1]', /needs a user and a host/],
    // A user part that is a number, and junk where the host should be: not dialled as that number.
    ['sip:9@@?pbx.example.comb', /Cannot dial "sip:9@@\?pbx.example.comb": headers/],
    ['sip:9@pbx_example.com', /is not a host name/],
    ['sip:+4930123;ext=5@pbx.example.com;maddr=evil.example', /maddr/],
  ])('%s is refused (ERR_INVALID_LINK) with a clear message', (link, message) => {
    expect(() => parseDialLink(link)).toThrow(message)
    expect(() => parseDialLink(link)).toThrow(expect.objectContaining({code: 'ERR_INVALID_LINK', status: 400}))
  })

  test('what a SIP address becomes holds nothing that could end a ctrl_tcp command or a SIP header', () => {
    const {number} = parseDialLink("sip:a-_.!~*'()&=+$,%41@h.example;lr;x=[a]/:&+$")
    expect(number).toBe("sip:a-_.!~*'()&=+$,%41@h.example;lr;x=[a]/:&+$")
    // eslint-disable-next-line no-control-regex -- control characters are what must not pass
    expect(number).not.toMatch(/[\s\u0000-\u001F"\\?<>]/)
  })
})
