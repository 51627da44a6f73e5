import {accountDomain, peerNumber} from '../../src/drivers/baresip/driver.js'
import {encodeNetstring, NetstringDecoder} from '../../src/drivers/baresip/netstring.js'
import {headlessConfig} from '../../src/drivers/baresip/spawn.js'

describe('baresip ctrl_tcp framing', () => {
  test('encodes netstrings with the byte length, params as JSON strings', () => {
    expect(encodeNetstring({command: 'dial', params: 'sip:1@x', token: 't1'}).toString()).toBe(
      '50:{"command":"dial","params":"sip:1@x","token":"t1"},',
    )
    expect(encodeNetstring({x: 'é'}).toString()).toBe('10:{"x":"é"},')
  })

  test('decodes messages split across chunks and several in one chunk', () => {
    const decoder = new NetstringDecoder()
    const wire = Buffer.concat([
      encodeNetstring({a: 1}),
      encodeNetstring({event: true, type: 'CALL_CLOSED', peeruri: 'sip:a\\/b'}),
    ])
    expect(decoder.push(wire.subarray(0, 5))).toEqual([])
    expect(decoder.push(wire.subarray(5))).toEqual([{a: 1}, {event: true, type: 'CALL_CLOSED', peeruri: 'sip:a\\/b'}])
  })

  test('bad framing is an error, not a hang', () => {
    expect(() => new NetstringDecoder().push(Buffer.from('x:{}'))).toThrow('bad netstring length')
    expect(() => new NetstringDecoder().push(Buffer.from('2:{}X'))).toThrow('not terminated by a comma')
  })
})

test('peer numbers and account domains', () => {
  expect(peerNumber('sip:0612345678@127.0.0.1:5090')).toBe('0612345678')
  expect(peerNumber('<sip:%2B31201234567@pbx.example.com;user=phone>')).toBe('+31201234567')
  expect(peerNumber('tel:+31201234567')).toBe('+31201234567')
  expect(peerNumber(undefined)).toBe('')
  expect(accountDomain('<sip:alice@example.com:5070>;regint=0')).toBe('example.com:5070')
  expect(accountDomain('<sip:alice@127.0.0.1>;auth_pass=x')).toBe('127.0.0.1')
})

test('the generated headless config has what baresip 1.0 needs without a sound card', () => {
  const text = headlessConfig({
    sipListen: '127.0.0.1:5070',
    ctrlHost: '127.0.0.1',
    ctrlPort: 4444,
    account: '<sip:alice@127.0.0.1>',
    rtpPorts: '10000-10099',
    modulePath: '/usr/lib/baresip/modules',
  })
  for (const line of [
    'sip_listen 127.0.0.1:5070',
    'net_interface 127.0.0.1',
    'audio_source ausine,440',
    'ausrc_srate 48000',
    'ausrc_channels 2',
    'audio_player none',
    'module_app ctrl_tcp.so',
    'ctrl_tcp_listen 127.0.0.1:4444',
    'statmode_default off',
  ]) {
    expect(text.split('\n')).toContain(line)
  }
})
