import {normalizeNumber} from '../../src/engine/number.js'

describe('normalizeNumber', () => {
  test.each([
    ['020123456', '020123456'],
    ['+31 (20) 123-4567', '+31201234567'],
    ['020.123.456', '020123456'],
    ['*31#', '*31#'],
    ['#', '#'],
    // Pasted from web pages and documents: no-break and thin spaces, en dash, minus sign.
    ['+31\u00A020\u2009123\u20134567', '+31201234567'],
    ['020\u2212123', '020123'],
  ])('%s → %s', (raw, expected) => {
    expect(normalizeNumber(raw)).toBe(expected)
  })

  test.each([
    ['', /No number/],
    ['abc', /Invalid number "abc"/],
    ['12+3', /Invalid number/],
    ['1;rm -rf', /Invalid number/],
    ['1'.repeat(33), /too long \(33 characters\)/],
  ])('%j is refused', (raw, message) => {
    expect(() => normalizeNumber(raw)).toThrow(message)
  })

  test('32 characters is the limit', () => {
    expect(normalizeNumber('1'.repeat(32))).toHaveLength(32)
  })
})

describe('a (0) trunk prefix after a country code', () => {
  test.each([
    ['+49 (0) 30-123', '+4930123'],
    ['+44 (0)20 7946 0000', '+442079460000'],
    ['+49(0)30123', '+4930123'],
    ['+31 (0) 6 1234 5678', '+31612345678'],
    // Without a country code, (0) is only decoration around a digit that stays.
    ['(0)30 123', '030123'],
    ['+31 (20) 123-4567', '+31201234567'],
    // Hostile report 16, defect 2: after 00 as after +.
    ['0031 (0) 900123', '0031900123'],
    ['0049(0)30123', '004930123'],
  ])('%s → %s', (raw, expected) => {
    expect(normalizeNumber(raw)).toBe(expected)
  })
})
