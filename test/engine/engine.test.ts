import {jest} from '@jest/globals'

import type {CallEvent} from '../../src/engine/call.js'
import {CallEngine} from '../../src/engine/engine.js'
import {CallStateError} from '../../src/errors.js'

function recording() {
  const engine = new CallEngine()
  const events: CallEvent[] = []
  engine.subscribe((event) => events.push(event))
  return {engine, events, types: () => events.map((event) => event.type)}
}

describe('CallEngine', () => {
  test('an incoming call rings, becomes active, ends: one event per transition', () => {
    const {engine, events, types} = recording()
    const call = engine.incoming({number: '020123456', name: 'Alice'})
    expect(call).toMatchObject({direction: 'incoming', state: 'ringing', number: '020123456', name: 'Alice'})
    engine.activate(call.id)
    const ended = engine.finish(call.id, 'remote hangup')
    expect(types()).toEqual(['incoming', 'active', 'end'])
    expect(ended).toMatchObject({state: 'ended', endReason: 'remote hangup'})
    expect(ended.answeredAt).toBeDefined()
    expect(ended.endedAt).toBeDefined()
    expect(new Set(events.map((event) => event.id)).size).toBe(3)
  })

  test('an outgoing call is dialing and emits outgoing', () => {
    const {engine, types} = recording()
    expect(engine.outgoing({number: '1'}).state).toBe('dialing')
    expect(types()).toEqual(['outgoing'])
  })

  test('answer refuses an outgoing call and an ended call', () => {
    const {engine} = recording()
    const out = engine.outgoing({number: '1'})
    expect(() => engine.answerable(out.id)).toThrow(/only a ringing incoming call/)
    const inc = engine.incoming({number: '2'})
    engine.finish(inc.id)
    expect(() => engine.answerable(inc.id)).toThrow(/already ended/)
    expect(() => engine.answerable()).toThrow(CallStateError)
  })

  test('end of an ended call is refused, and emits nothing', () => {
    const {engine, types} = recording()
    const call = engine.incoming({number: '2'})
    engine.finish(call.id)
    expect(() => engine.finish(call.id)).toThrow(/already ended/)
    // Never answered: it ends as `missed`.
    expect(types()).toEqual(['incoming', 'missed'])
  })

  test('answer without an id takes the oldest ringing incoming call', () => {
    const {engine} = recording()
    engine.outgoing({number: '9'})
    const first = engine.incoming({number: '1'})
    engine.incoming({number: '2'})
    expect(engine.answerable().id).toBe(first.id)
  })

  test('end without an id takes the call answered last when two are up (no hold): the one the user talks on', () => {
    const engine = new CallEngine()
    const first = engine.outgoing({number: '020123456'})
    engine.activate(first.id)
    const second = engine.incoming({number: '0612345678'})
    engine.activate(second.id)
    expect(engine.endable().id).toBe(second.id)
    engine.finish(second.id)
    expect(engine.endable().id).toBe(first.id)
  })

  test('end without an id takes the active call, else the newest ringing or dialing one', () => {
    const {engine} = recording()
    const a = engine.incoming({number: '1'})
    const b = engine.incoming({number: '2'})
    expect(engine.endable().id).toBe(b.id)
    engine.activate(a.id)
    expect(engine.endable().id).toBe(a.id)
    engine.finish(a.id)
    engine.finish(b.id)
    expect(() => engine.endable()).toThrow(/No call to end/)
  })

  test('updated fires only when something changed', () => {
    const {engine, types, events} = recording()
    const call = engine.incoming({number: '1'})
    engine.update(call.id, {number: '1'})
    engine.update(call.id, {name: 'Bob'})
    expect(types()).toEqual(['incoming', 'updated'])
    expect(events[1].call.name).toBe('Bob')
  })

  test('duplicate ids are refused', () => {
    const {engine} = recording()
    engine.incoming({id: 'x', number: '1'})
    expect(() => engine.outgoing({id: 'x', number: '1'})).toThrow(/already exists/)
  })

  test('ended calls are kept for status but bounded', () => {
    const {engine} = recording()
    for (let i = 0; i < 200; i++) engine.finish(engine.incoming({number: String(i)}).id)
    expect(engine.live()).toHaveLength(0)
    expect(engine.recent().length).toBeLessThanOrEqual(50)
    expect(engine.recent()[0].number).toBe('199')
  })

  test('a throwing subscriber does not stop the transition or other subscribers', () => {
    const {engine, types} = recording()
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => {})
    engine.subscribe(() => {
      throw new Error('boom')
    })
    engine.incoming({number: '1'})
    expect(types()).toEqual(['incoming'])
    expect(engine.live()).toHaveLength(1)
    warn.mockRestore()
  })
})

describe('caller data is cleaned at the engine, whatever reports it (a driver, /notify)', () => {
  test('control characters, newlines, bidi overrides out; lengths capped; a dialable number normalised', () => {
    const {engine, events} = recording()
    const call = engine.incoming({
      number: '+31 (20) 123-4567\n',
      name: `Eve\r\nX-Evil: 1\u0000\u202E${'x'.repeat(300)}`,
      channel: 'SIP/\u0007trunk',
      tags: ['vip\n', '', 'a'.repeat(100)],
    })
    expect(call.number).toBe('+31201234567')
    expect(call.name).toBe(`EveX-Evil: 1${'x'.repeat(116)}`)
    expect([...call.name]).toHaveLength(128)
    expect(call.channel).toBe('SIP/trunk')
    expect(call.tags).toEqual(['vip', 'a'.repeat(64)])
    engine.update(call.id, {name: '$(reboot)\n'})
    expect(events.at(-1)?.call.name).toBe('$(reboot)')
    expect(engine.finish(call.id, 'bye\r\n\u0085now').endReason).toBe('byenow')
  })

  test('caller IDs that are not numbers are taken as they are, cleaned: anonymous, SIP URIs, display names', () => {
    const {engine} = recording()
    for (const id of ['anonymous', 'sip:alice@pbx.example', '"Bob" <sip:201@pbx>', 'Withheld']) {
      expect(engine.incoming({number: id}).number).toBe(id)
    }

    expect(engine.incoming({number: `sip:${'a'.repeat(300)}@pbx`}).number).toHaveLength(128)
    // Half a surrogate pair is never left at the cut.
    expect(engine.incoming({name: `${'a'.repeat(127)}📞📞`}).name).toBe(`${'a'.repeat(127)}📞`)
  })
})
