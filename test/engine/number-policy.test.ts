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
})
