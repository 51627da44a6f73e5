import {applyDialingRules, canonicalForms, numberMatching} from '../../src/dialing/rules.js'
import type {DialingSettings} from '../../src/dialing/settings.js'
import {compileNumberPolicy} from '../../src/engine/number-policy.js'
import {DEFAULTS} from '../../src/settings.js'

const rules = (settings: Partial<DialingSettings>): DialingSettings => ({...DEFAULTS.dialing, ...settings})

describe('dialing rules', () => {
  test('by default no rule changes a number', () => {
    expect(applyDialingRules('+4930123', DEFAULTS.dialing)).toEqual({number: '+4930123', rules: []})
    expect(applyDialingRules('030123', DEFAULTS.dialing)).toEqual({number: '030123', rules: []})
  })

  test.each([
    // [number, settings, dialled, rules]
    [
      '+4930123456',
      {countryCode: '49', format: 'national'},
      '030123456',
      ['dialing.format national: +49 (dialing.countryCode) became 0 (dialing.trunkPrefix)'],
    ],
    [
      '+3120123456',
      {countryCode: '49', format: 'national'},
      '003120123456',
      ['dialing.format national: + became 00 (dialing.internationalPrefix)'],
    ],
    [
      '+12015550123',
      {countryCode: '1', trunkPrefix: '1', internationalPrefix: '011', format: 'national'},
      '12015550123',
      ['dialing.format national: +1 (dialing.countryCode) became 1 (dialing.trunkPrefix)'],
    ],
    [
      '0031201234',
      {format: 'international'},
      '+31201234',
      ['dialing.format international: 00 (dialing.internationalPrefix) became +'],
    ],
    [
      '030123456',
      {countryCode: '49', format: 'international'},
      '+4930123456',
      ['dialing.format international: 0 (dialing.trunkPrefix) became +49 (dialing.countryCode)'],
    ],
    ['030123456', {outsideLine: '9'}, '9030123456', ['dialing.outsideLine: 9 dialled first']],
    ['123', {outsideLine: '9', extensionLength: 4}, '123', ['dialing.extensionLength: 123 is an internal extension']],
    ['*31#030123', {strip: ['*31#']}, '030123', ['dialing.strip: removed *31#']],
    ['*31#', {outsideLine: '0'}, '*31#', []],
    [
      '+4930123456',
      {countryCode: '49', format: 'national', outsideLine: '0'},
      '0030123456',
      [
        'dialing.format national: +49 (dialing.countryCode) became 0 (dialing.trunkPrefix)',
        'dialing.outsideLine: 0 dialled first',
      ],
    ],
  ] as Array<[string, Partial<DialingSettings>, string, string[]]>)(
    '%s with %j → %s',
    (number, settings, dialled, applied) => {
      expect(applyDialingRules(number, rules(settings))).toEqual({number: dialled, rules: applied})
    },
  )

  test('length limits refuse external numbers with the setting to change, and leave extensions alone', () => {
    expect(() => applyDialingRules('12345', rules({minLength: 6}))).toThrow(
      'Refused make: 12345 is shorter than dialing.minLength 6',
    )
    expect(() => applyDialingRules('+4930123456789', rules({maxLength: 12}))).toThrow(
      'Refused make: +4930123456789 is longer than dialing.maxLength 12',
    )
    expect(applyDialingRules('12', rules({minLength: 6, extensionLength: 3})).number).toBe('12')
  })
})

describe('numbers.block and numbers.allow match after normalisation', () => {
  const policy = (lists: {allow?: string[]; block?: string[]}, settings: Partial<DialingSettings> = {}) =>
    compileNumberPolicy({allow: lists.allow ?? [], block: lists.block ?? []}, numberMatching(rules(settings)))

  test('+31900 blocks 0031900… (the international prefix), without any other setting', () => {
    expect(() => policy({block: ['+31900']})('0031900123456')).toThrow('matches numbers.block entry "+31900"')
    expect(() => policy({block: ['0031900']})('+31900123456')).toThrow('matches numbers.block entry "0031900"')
  })

  test('with dialing.countryCode, 0900 and +31900 block each other', () => {
    expect(() => policy({block: ['+31900']}, {countryCode: '31'})('0900123456')).toThrow('numbers.block')
    expect(() => policy({block: ['0900']}, {countryCode: '31'})('+31900123456')).toThrow('numbers.block')
    expect(() => policy({block: ['0900']}, {countryCode: '31'})('0031900123456')).toThrow('numbers.block')
  })

  test('an outside line in front does not get a number past the lists', () => {
    expect(() => policy({block: ['0900']}, {outsideLine: '9'})('90900123456')).toThrow('numbers.block')
    expect(() => policy({allow: ['+31']}, {outsideLine: '0'})('00031201234')).not.toThrow()
  })

  test('an allow list admits every form of an allowed number and nothing else', () => {
    const check = policy({allow: ['+31']}, {countryCode: '31'})
    expect(() => check('020123456')).not.toThrow()
    expect(() => check('003120123456')).not.toThrow()
    expect(() => check('+4930123')).toThrow('matches no numbers.allow entry')
  })

  test('a pattern is tried on every form', () => {
    expect(() => policy({block: ['/^\\+88/']})('008816123456')).toThrow('numbers.block entry "/^\\+88/"')
  })

  // Hostile report 16, defect 2: ways past the lists.
  test('an allow list of national numbers (0, +31) admits no number abroad, written with 00 either', () => {
    const check = policy({allow: ['0', '+31']}, {countryCode: '31'})
    expect(() => check('004930123')).toThrow('matches no numbers.allow entry')
    expect(() => check('+4930123')).toThrow('matches no numbers.allow entry')
    expect(() => check('020123456')).not.toThrow()
    expect(() => check('0031201234')).not.toThrow()
  })

  test('feature codes in front (*31#, #31#, *67, *67#) do not get a blocked number past numbers.block', () => {
    const check = policy({block: ['0900']}, {countryCode: '31'})
    for (const number of ['*31#0900123', '#31#0900123', '*670900123', '*67#0900123', '*31#*670900123'])
      expect(() => check(number)).toThrow('numbers.block entry "0900"')
    expect(() => check('*31#020123')).not.toThrow()
    // Nor past an allow list: the number behind the feature code is what must be allowed.
    const allow = policy({allow: ['0']}, {countryCode: '31'})
    expect(() => allow('*31#004930123')).toThrow('matches no numbers.allow entry')
    expect(() => allow('*31#020123')).not.toThrow()
    // A feature code in the lists themselves stays a prefix (it does not become an empty one).
    expect(() => policy({block: ['*31#']})('020123')).not.toThrow()
    expect(() => policy({block: ['*31#']})('*31#020123')).toThrow('numbers.block entry "*31#"')
  })

  test('a trunk 0 after the own country code (+310900…, 00310900…) is still the blocked 0900 number', () => {
    const check = policy({block: ['0900']}, {countryCode: '31'})
    for (const number of ['+310900123', '00310900123']) expect(() => check(number)).toThrow('numbers.block')
    expect(canonicalForms('00310900123', rules({countryCode: '31'}))).toEqual(['+31900123'])
  })
})

describe('dialing.format national never turns a number into another one', () => {
  test.each(['+310900123', '00310900123', '0900123', '+31900123', '0031900123'])(
    '%s (with dialing.countryCode 31) is dialled as 0900123',
    (number) => {
      expect(applyDialingRules(number, rules({countryCode: '31', format: 'national'})).number).toBe('0900123')
    },
  )

  test('the trunk prefix after the country code is dropped, also with format keep, and says so', () => {
    expect(applyDialingRules('+310201234', rules({countryCode: '31'}))).toEqual({
      number: '+31201234',
      rules: ['dialing.trunkPrefix: 0 after the country code 31 dropped (it is not dialled after a country code)'],
    })
  })
})
