import type {CallEvent} from '../../src/engine/call.js'
import {ConfigError} from '../../src/errors.js'
import {parseCommandLine} from '../../src/os/launch.js'
import {compilePopups} from '../../src/delivery/popups.js'
import {compileTemplate, substring, valuesFor} from '../../src/delivery/template.js'

function event(overrides: Partial<CallEvent['call']> = {}, type: CallEvent['type'] = 'incoming'): CallEvent {
  return {
    id: 'e1',
    type,
    at: '2026-01-01T10:00:30.000Z',
    call: {
      id: 'c1',
      direction: 'incoming',
      number: '+31201234567',
      name: 'John Doe',
      state: 'ringing',
      createdAt: '2026-01-01T10:00:00.000Z',
      tags: ['vip', 'sales'],
      channel: 'SIP/trunk-1',
      ...overrides,
    },
  }
}

const user = {number: '201', name: 'Jane Agent'}
const values = valuesFor(event(), user)
const url = (template: string, v = values) => compileTemplate(template, 'test').render(v, 'url')
const argv = (line: string, v = values) =>
  parseCommandLine(line).map((word) => compileTemplate(word, 'test').render(v, 'argv'))

describe('Enreach URL Call Notifications (reference examples)', () => {
  test.each([
    ['https://example.com/incoming?callerid=$callerid', 'https://example.com/incoming?callerid=%2B31201234567'],
    ['https://example.com/active?callerid=$callerid', 'https://example.com/active?callerid=%2B31201234567'],
    ['https://example.com/end?callerid=$callerid', 'https://example.com/end?callerid=%2B31201234567'],
  ])('%s', (template, expected) => {
    expect(url(template)).toBe(expected)
  })
})

describe('Wildix Popup URL and Callback URL (reference examples)', () => {
  test('ticket popup: To={CALLERNAME}, Subject with {USERNAME}, From={CALLERNUM}', () => {
    expect(
      url('https://helpdesk.example.com/new?To={CALLERNAME}&Subject=New%20Ticket%20from%20{USERNAME}&From={CALLERNUM}'),
    ).toBe(
      'https://helpdesk.example.com/new?To=John%20Doe&Subject=New%20Ticket%20from%20Jane%20Agent&From=%2B31201234567',
    )
  })

  test('Solve360: /0{CALLERNUM:3} drops the country code and prepends 0', () => {
    const uk = valuesFor(event({number: '+441234567890'}), user)
    expect(url('https://secure.solve360.com/phonenumber/0{CALLERNUM:3}', uk)).toBe(
      'https://secure.solve360.com/phonenumber/01234567890',
    )
  })

  test('callback URL with every callback variable', () => {
    expect(
      url(
        'https://crm.example.com/call?cname={CALLERNAME}&cnum={CALLERNUM}&uname={USERNAME}&unum={USERNUM}&cdirection={CALLTYPE}&ch={CHANNEL}',
      ),
    ).toBe(
      'https://crm.example.com/call?cname=John%20Doe&cnum=%2B31201234567&uname=Jane%20Agent&unum=201&cdirection=incoming&ch=SIP%2Ftrunk-1',
    )
  })

  test('popup app: quoted path with spaces and ^& read as &', () => {
    expect(
      argv(
        '“C:\\Program Files\\Internet Explorer\\iexplore.exe” https://helpdesk.example.com/?Subaction=StoreNew^&To={CALLERNAME}^&Subject=New%20Ticket%20from%20{USERNAME}^&From={CALLERNUM}',
      ),
    ).toEqual([
      'C:\\Program Files\\Internet Explorer\\iexplore.exe',
      'https://helpdesk.example.com/?Subaction=StoreNew&To=John Doe&Subject=New%20Ticket%20from%20Jane Agent&From=+31201234567',
    ])
  })

  test('popup app: iexplorer.exe “{CALLERNUM}”', () => {
    expect(argv('iexplorer.exe “{CALLERNUM}”')).toEqual(['iexplorer.exe', '+31201234567'])
  })

  test('popup app: iexplorer.exe “{USERNAME}&Department=Support&Number={CALLERNUM}”', () => {
    expect(argv('iexplorer.exe “{USERNAME}&Department=Support&Number={CALLERNUM}”')).toEqual([
      'iexplorer.exe',
      'Jane Agent&Department=Support&Number=+31201234567',
    ])
  })

  test('straight quotes work the same', () => {
    expect(argv('"C:\\Program Files\\App\\app.exe" --number "{CALLERNUM}" {TAGS}')).toEqual([
      'C:\\Program Files\\App\\app.exe',
      '--number',
      '+31201234567',
      'vip,sales',
    ])
  })
})

describe('variables', () => {
  test('every variable has a value', () => {
    expect(valuesFor(event({answeredAt: '2026-01-01T10:00:10.000Z'}, 'updated'), user)).toEqual({
      CALLERNUM: '+31201234567',
      CALLERNAME: 'John Doe',
      USERNUM: '201',
      USERNAME: 'Jane Agent',
      CALLTYPE: 'incoming',
      TAGS: 'vip,sales',
      CHANNEL: 'SIP/trunk-1',
      CALLID: 'c1',
      EVENT: 'updated',
      TIMESTAMP: '2026-01-01T10:00:30.000Z',
      DURATION: '20',
      REASON: '',
      RESULT: '',
      STARTED: '2026-01-01T10:00:00.000Z',
      ANSWERED: '2026-01-01T10:00:10.000Z',
      ENDED: '',
      TRANSFERTO: '',
    })
    expect(values.DURATION).toBe('0')
  })

  test('desk-phone aliases: $remote $display_remote $local $display_local $call_id', () => {
    expect(url('https://x.test/?a=$remote&b=$display_remote&c=$local&d=$display_local&e=$call_id')).toBe(
      'https://x.test/?a=%2B31201234567&b=John%20Doe&c=201&d=Jane%20Agent&e=c1',
    )
  })

  test('$$ is a literal dollar; lower-case braces are text', () => {
    expect(compileTemplate('{"price": "$$5", "n": "{CALLERNUM}"}', 'test').render(values, 'json')).toBe(
      '{"price": "$5", "n": "+31201234567"}',
    )
  })
})

describe('{VAR:skip:len}', () => {
  test.each([
    [3, undefined, '1234567890'],
    [-9, undefined, '234567890'],
    [0, 3, '+44'],
    [3, 4, '1234'],
    [-4, 2, '78'],
    [1, -2, '4412345678'],
    [99, undefined, ''],
    [-99, undefined, '+441234567890'],
  ])('skip %d len %s', (skip, length, expected) => {
    expect(substring('+441234567890', skip, length)).toBe(expected)
  })

  test('in a template: {CALLERNUM:-9} = the last nine digits', () => {
    expect(url('https://crm.test/?q={CALLERNUM:-9}')).toBe('https://crm.test/?q=201234567')
    expect(url('https://crm.test/?q={CALLERNUM:1:2}')).toBe('https://crm.test/?q=31')
  })
})

describe('encoding for where the value lands', () => {
  const hostile = valuesFor(event({name: '"; rm -rf ~; " & calc.exe $(id) \\ \n'}), user)
  test('url: percent-encoded, cannot add parameters', () => {
    expect(url('https://crm.test/?n={CALLERNAME}&x=1', hostile)).toBe(
      'https://crm.test/?n=%22%3B%20rm%20-rf%20~%3B%20%22%20%26%20calc.exe%20%24(id)%20%5C%20%0A&x=1',
    )
  })

  test('json: escaped, the body stays valid JSON', () => {
    const body = compileTemplate('{"name": "{CALLERNAME}"}', 'test').render(hostile, 'json')
    expect(JSON.parse(body)).toEqual({name: '"; rm -rf ~; " & calc.exe $(id) \\ \n'})
  })

  test('argv: one literal argument', () => {
    expect(argv('app --name={CALLERNAME}', hostile)).toEqual(['app', '--name="; rm -rf ~; " & calc.exe $(id) \\ \n'])
  })
})

describe('unknown variables are config errors naming the template and the variable', () => {
  test.each([
    ['https://crm.test/?n={CALLERNUMBER}', /Unknown variable \{CALLERNUMBER\} in notifications\.incoming/],
    ['https://crm.test/?n=$caller', /Unknown variable \$caller in notifications\.incoming/],
    ['https://crm.test/?n={CALLERNUM:x}', /Invalid manipulation \{CALLERNUM:x\} in notifications\.incoming/],
    ['https://crm.test/?n={NOPE:3}', /Unknown variable \{NOPE:3\}/],
    // A variable in the wrong case would go out as literal text on every call.
    [
      'https://crm.test/?n={callername}',
      /Unknown variable \{callername\} in notifications\.incoming: variables are upper-case/,
    ],
  ])('%s', (template, message) => {
    expect(() => compileTemplate(template, 'notifications.incoming')).toThrow(message)
    expect(() => compileTemplate(template, 'notifications.incoming')).toThrow(ConfigError)
  })
})

test('other lower-case braces stay text (a JSON body, a word in braces)', () => {
  const template = compileTemplate('{"event": "{EVENT}", "note": {hello}}', 'callbacks[0].body')
  expect(template.render({EVENT: 'end'} as never, 'text')).toBe('{"event": "end", "note": {hello}}')
})

describe('popup app lines are read as Windows reads a command line', () => {
  test.each([
    [
      'a quoted program ends at its closing quote, an argument glued to it',
      '"C:\\Apps\\crm.exe"--x y',
      ['C:\\Apps\\crm.exe', '--x', 'y'],
    ],
    ['curly quotes around the program and an argument', '“C:\\A B\\crm.exe” “a b”', ['C:\\A B\\crm.exe', 'a b']],
    ['backslashes are literal unless before a quote', 'crm C:\\dir\\ x\\\\y', ['crm', 'C:\\dir\\', 'x\\\\y']],
    ['2n backslashes and a quote: n backslashes, the quote opens', 'crm a\\\\"b c"', ['crm', 'a\\b c']],
    ['2n+1 backslashes and a quote: a literal quote', 'crm a\\"b', ['crm', 'a"b']],
    ['"" inside quotes is one quote', 'crm "say ""hi"""', ['crm', 'say "hi"']],
    ['quotes inside a word join it', 'crm a"b c"d', ['crm', 'ab cd']],
    ['^& is &, outside quotes and in', 'crm a^&b "c^&d"', ['crm', 'a&b', 'c&d']],
    ['an empty quoted argument stays an argument', 'crm "" x', ['crm', '', 'x']],
  ])('%s', (_name, line, expected) => {
    expect(parseCommandLine(line)).toEqual(expected)
  })

  test('an app line that names no program is refused', () => {
    expect(() => compilePopups({popups: [{on: 'ringing', app: '“” {CALLERNUM}'}]})).toThrow(
      'popups[0].app names no program',
    )
  })
})

describe("Wildix's <<clid>>", () => {
  test('is the caller or called number, encoded for where it lands', () => {
    expect(url('https://crm.example.com/?variable1=<<clid>>')).toBe('https://crm.example.com/?variable1=%2B31201234567')
    expect(argv('iexplorer.exe "variable1=<<CLID>>"')).toEqual(['iexplorer.exe', 'variable1=+31201234567'])
  })
})

describe('a call to a SIP address: its number is the address', () => {
  const sip = valuesFor(event({number: "sip:o'brien&co@pbx.example.com:5061;transport=tcp", direction: 'outgoing'}))

  test('a URL gets it encoded, so its @, : and ; do not change the URL', () => {
    const rendered = url('https://crm.example/call?to={CALLERNUM}&id={CALLID}', sip)
    expect(rendered).toBe(
      "https://crm.example/call?to=sip%3Ao'brien%26co%40pbx.example.com%3A5061%3Btransport%3Dtcp&id=c1",
    )
    expect(new URL(rendered).searchParams.get('to')).toBe("sip:o'brien&co@pbx.example.com:5061;transport=tcp")
  })

  test('an argument gets it whole, as one word, and JSON as a string', () => {
    expect(argv('crm-open --to {CALLERNUM}', sip)).toEqual([
      'crm-open',
      '--to',
      "sip:o'brien&co@pbx.example.com:5061;transport=tcp",
    ])
    const json = compileTemplate('{"to": "{CALLERNUM}"}', 'test').render(sip, 'json')
    expect(JSON.parse(json)).toEqual({to: "sip:o'brien&co@pbx.example.com:5061;transport=tcp"})
  })
})
