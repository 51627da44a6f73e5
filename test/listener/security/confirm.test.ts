import {jest} from '@jest/globals'

import {Confirmations} from '../../../src/listener/security/confirm.js'

describe('confirmation codes', () => {
  afterEach(() => jest.restoreAllMocks())

  test('act once, for their action only, within 2 minutes; guessed codes never', () => {
    const codes = new Confirmations()
    const code = codes.issue('make 020')
    expect(code).toMatch(/^[\w-]{24}$/)
    expect(codes.redeem('A'.repeat(24), 'make 020')).toBe(false)
    expect(codes.redeem(code, 'make 020')).toBe(true)
    expect(codes.redeem(code, 'make 020')).toBe(false)
    // A try for another action uses the code up.
    const other = codes.issue('make 020')
    expect(codes.redeem(other, 'make 0900')).toBe(false)
    expect(codes.redeem(other, 'make 020')).toBe(false)
  })

  test('expire after 2 minutes', () => {
    const now = Date.now()
    const clock = jest.spyOn(Date, 'now').mockReturnValue(now)
    const codes = new Confirmations()
    const late = codes.issue('end')
    const inTime = codes.issue('end')
    clock.mockReturnValue(now + 2 * 60 * 1000)
    expect(codes.redeem(inTime, 'end')).toBe(true)
    clock.mockReturnValue(now + 2 * 60 * 1000 + 1)
    expect(codes.redeem(late, 'end')).toBe(false)
  })
})
