import {compileNumberPolicy} from '../../src/engine/number-policy.js'
import {ConfigError} from '../../src/errors.js'

describe('numbers.allow / numbers.block', () => {
  test('a block prefix refuses, naming the entry and the setting', () => {
    const check = compileNumberPolicy({allow: [], block: ['0900', '+31 900', '/^\\+88[0-9]/']})
    expect(() => check('0900123456')).toThrow('0900123456 matches numbers.block entry "0900"; remove that entry')
    expect(() => check('+31900123')).toThrow('entry "+31 900"')
    expect(() => check('+8812345')).toThrow('entry "/^\\+88[0-9]/"')
    expect(() => check('020123456')).not.toThrow()
  })

  test('a non-empty allow list admits only its matches; block still wins', () => {
    const check = compileNumberPolicy({allow: ['+31', '0'], block: ['0900']})
    expect(() => check('+31201234567')).not.toThrow()
    expect(() => check('020123456')).not.toThrow()
    expect(() => check('+44123')).toThrow('matches no numbers.allow entry; add a matching prefix to numbers.allow')
    expect(() => check('0900123')).toThrow('numbers.block')
  })

  test('bad entries are config errors', () => {
    expect(() => compileNumberPolicy({allow: ['abc'], block: []})).toThrow(ConfigError)
    expect(() => compileNumberPolicy({allow: [], block: ['/(/']})).toThrow('Invalid pattern /(/ in numbers.block')
  })

  describe('SIP addresses', () => {
    test('number entries do not apply to a SIP address; a SIP URI entry blocks the same user and host, a host entry any user there', () => {
      const check = compileNumberPolicy({
        allow: [],
        block: ['/.*/', '0', 'sip:mallory@pbx.example.com', '@EVIL.example'],
      })
      expect(() => check('sip:alice@pbx.example.com')).not.toThrow()
      expect(() => check('sips:mallory@pbx.example.com;transport=tcp')).toThrow(
        'Refused make: sips:mallory@pbx.example.com;transport=tcp matches numbers.block entry "sip:mallory@pbx.example.com"',
      )
      expect(() => check('sip:mallory@pbx.example.com:5062')).not.toThrow()
      expect(() => check('sip:anyone@evil.example:5099')).toThrow(
        expect.objectContaining({code: 'ERR_NUMBER_BLOCKED', status: 403}),
      )
      expect(() => check('sip:anyone@sub.evil.example')).not.toThrow()
      // The number entries still hold for numbers.
      expect(() => check('020123')).toThrow('numbers.block')
    })

    test('with numbers.allow set, a SIP address is dialled only when the list holds its exact URI', () => {
      const check = compileNumberPolicy({allow: ['+31', 'sip:alice@PBX.example.com;transport=tcp'], block: []})
      expect(() => check('sip:alice@pbx.example.com;transport=tcp')).not.toThrow()
      expect(() => check('sip:alice@pbx.example.com')).toThrow(
        'Refused make: sip:alice@pbx.example.com is not in numbers.allow; a SIP address is allowed only by its exact URI there: add sip:alice@pbx.example.com to numbers.allow',
      )
      expect(() => check('sip:bob@pbx.example.com;transport=tcp')).toThrow(
        expect.objectContaining({code: 'ERR_NUMBER_NOT_ALLOWED', status: 403}),
      )
      expect(() => check('+31201234')).not.toThrow()
      // An allow list of numbers only admits no SIP address at all.
      expect(() => compileNumberPolicy({allow: ['+31'], block: []})('sip:alice@pbx.example.com')).toThrow(
        'is not in numbers.allow',
      )
      // Block still wins.
      expect(() =>
        compileNumberPolicy({allow: ['sip:alice@pbx.example.com'], block: ['@pbx.example.com']})(
          'sip:alice@pbx.example.com',
        ),
      ).toThrow('numbers.block')
    })

    test('an allow list of SIP addresses only admits no number at all', () => {
      const check = compileNumberPolicy({allow: ['sip:alice@pbx.example.com'], block: []})
      expect(() => check('sip:alice@pbx.example.com')).not.toThrow()
      for (const number of ['+31201234567', '0900123'])
        expect(() => check(number)).toThrow(expect.objectContaining({code: 'ERR_NUMBER_NOT_ALLOWED', status: 403}))
    })

    test('a SIP entry blocks the user however escaped, on the default port written or not, and an IP host however spelt', () => {
      const check = compileNumberPolicy({allow: [], block: ['sip:bob@pbx.example.com', '@[::1]', '@10.0.0.1']})
      for (const address of [
        'sip:%62ob@pbx.example.com',
        'sip:bo%62@PBX.example.com',
        'sip:bob@pbx.example.com:5060',
        'sips:bob@pbx.example.com:5061',
        'sips:bob@pbx.example.com',
        'sip:x@[0:0::1]',
        'sip:x@[0:0:0:0:0:0:0:1]:5080',
        'sip:x@[::ffff:10.0.0.1]',
        'sip:x@[::FFFF:a00:1]',
      ])
        expect(() => check(address)).toThrow(expect.objectContaining({code: 'ERR_NUMBER_BLOCKED', status: 403}))
      // A user is case-sensitive; another port is another endpoint.
      expect(() => check('sip:Bob@pbx.example.com')).not.toThrow()
      expect(() => check('sip:bob@pbx.example.com:5062')).not.toThrow()
      expect(() => check('sip:x@[::2]')).not.toThrow()
      expect(() => check('sip:x@[::ffff:10.0.0.2]')).not.toThrow()
      // A block entry with the default port is the entry without it.
      expect(() =>
        compileNumberPolicy({allow: [], block: ['sip:bob@pbx.example.com:5060']})('sip:bob@pbx.example.com'),
      ).toThrow('numbers.block')
    })

    test('a user part that starts like a number is held to the number block entries by that number', () => {
      const check = compileNumberPolicy({allow: [], block: ['0900']})
      for (const address of [
        'sip:0900123,@pbx.example.com',
        'sip:0900123$@pbx.example.com',
        `sip:0900${'1'.repeat(29)}@pbx.example.com`,
        'sip:09-00.123x@pbx.example.com',
        'sip:%30900123,@pbx.example.com',
      ])
        expect(() => check(address)).toThrow(
          expect.objectContaining({
            code: 'ERR_NUMBER_BLOCKED',
            message: expect.stringContaining('its user part starts with the number 0900'),
          }),
        )
      expect(() => check('sip:0800123,@pbx.example.com')).not.toThrow()
      expect(() => check('sip:alice0900@pbx.example.com')).not.toThrow()
    })

    test('bad SIP entries are config errors; a host entry is for numbers.block only', () => {
      expect(() => compileNumberPolicy({allow: [], block: ['sip:alice']})).toThrow(
        /Invalid entry "sip:alice" in numbers.block: a SIP entry is a SIP URI .* or a host/,
      )
      expect(() => compileNumberPolicy({allow: [], block: ['@bad host']})).toThrow(ConfigError)
      expect(() => compileNumberPolicy({allow: ['@pbx.example.com'], block: []})).toThrow(
        'a host entry (@host) is for numbers.block',
      )
    })
  })
})
