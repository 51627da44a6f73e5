import {RateLimit} from '../../../src/listener/security/rate-limit.js'

test('at most N in any window, then free again', () => {
  const limit = new RateLimit(3, 60_000)
  expect([limit.take(0), limit.take(1000), limit.take(2000), limit.take(3000)]).toEqual([true, true, true, false])
  expect(limit.retryAfterSeconds(3000)).toBe(57)
  expect(limit.take(60_001)).toBe(true)
  expect(new RateLimit(0, 1000).take()).toBe(true)
})
