import type {CallEvent} from '../../src/engine/call.js'
import {renderUrl, valuesFor} from '../../src/notify/template.js'

const event: CallEvent = {
  id: 'e1',
  type: 'incoming',
  at: '2026-01-01T00:00:00.000Z',
  call: {
    id: 'c1',
    direction: 'incoming',
    number: '+31201234567',
    name: 'A&B=C /x',
    state: 'ringing',
    createdAt: '2026-01-01T00:00:00.000Z',
    tags: [],
    channel: '',
  },
}

describe('renderUrl', () => {
  test('Enreach $callerid examples', () => {
    const values = valuesFor(event)
    expect(renderUrl('https://example.com/incoming?callerid=$callerid', values)).toBe(
      'https://example.com/incoming?callerid=%2B31201234567',
    )
    expect(renderUrl('https://example.com/end?callerid=$callerid', values)).toBe(
      'https://example.com/end?callerid=%2B31201234567',
    )
  })

  test('values are percent-encoded so they cannot add parameters', () => {
    expect(renderUrl('https://crm.test/?n={CALLERNAME}&t={CALLTYPE}', valuesFor(event))).toBe(
      'https://crm.test/?n=A%26B%3DC%20%2Fx&t=incoming',
    )
  })
})
