import {appletScript, desktopEntry, handlerPlan, type HandlerWhere} from '../../src/handler/plan.js'

const LSREGISTER =
  '/System/Library/Frameworks/CoreServices.framework/Frameworks/LaunchServices.framework/Support/lsregister'

describe('handler plans (argv: reg.exe, osacompile, plutil, lsregister and osascript cannot run here)', () => {
  const windows: HandlerWhere = {
    platform: 'win32',
    home: String.raw`C:\Users\Ann Lee`,
    nodePath: String.raw`C:\Program Files\nodejs\node.exe`,
    runJs: String.raw`C:\Users\Ann Lee\AppData\Roaming\npm\node_modules\callctl\bin\run.js`,
    configDir: String.raw`C:\Users\Ann Lee\callctl "test"\cfg\\`,
  }
  const command = String.raw`"C:\Program Files\nodejs\node.exe" "C:\Users\Ann Lee\AppData\Roaming\npm\node_modules\callctl\bin\run.js" dial --notify --config-dir "C:\Users\Ann Lee\callctl \"test\"\cfg\\\\" "%1"`

  test('argv: Windows install writes HKCU classes, Default Apps capabilities and opens ms-settings, all through reg.exe', () => {
    const plan = handlerPlan(windows, ['tel'])
    const add = (key: string, value: string | undefined, data: string) => [
      'reg',
      ['add', key, ...(value === undefined ? ['/ve'] : ['/v', value]), '/t', 'REG_SZ', '/d', data, '/f'],
    ]
    const urlClass = (key: string) => [
      add(key, undefined, 'URL:tel (callctl)'),
      add(key, 'URL Protocol', ''),
      add(`${key}\\DefaultIcon`, undefined, String.raw`"C:\Program Files\nodejs\node.exe",0`),
      add(`${key}\\shell\\open\\command`, undefined, command),
    ]
    expect(plan.install).toEqual({
      dirs: [],
      files: [],
      commands: [
        ...urlClass(String.raw`HKCU\Software\Classes\tel`),
        ...urlClass(String.raw`HKCU\Software\Classes\callctl.tel`),
        add(String.raw`HKCU\Software\callctl\Capabilities`, 'ApplicationName', 'callctl'),
        add(
          String.raw`HKCU\Software\callctl\Capabilities`,
          'ApplicationDescription',
          'Dials tel:, callto: and sip: links through the callctl listener',
        ),
        add(String.raw`HKCU\Software\callctl\Capabilities\URLAssociations`, 'tel', 'callctl.tel'),
        add(String.raw`HKCU\Software\RegisteredApplications`, 'callctl', String.raw`Software\callctl\Capabilities`),
        [
          'explorer.exe',
          ['ms-settings:defaultapps?registeredAppUser=callctl'],
          {mayFail: 'explorer.exe exits 1 also when Settings opened'},
        ],
      ],
      remove: [],
      afterRemove: [],
      notes: ['In Settings → Default apps → callctl, choose callctl for the links you want it to dial.'],
    })
    // Nothing outside the user's own hive.
    for (const [file, args] of plan.install.commands) if (file === 'reg') expect(args[1]).toMatch(/^HKCU\\/)
  })

  test('argv: Windows uninstall deletes exactly the keys and the value install wrote, and status reads UserChoice', () => {
    const plan = handlerPlan(windows, ['tel', 'sip'])
    const full = handlerPlan(windows, ['tel', 'callto', 'sip'])
    const del = (key: string) => ['reg', ['delete', key, '/f'], {mayFail: 'not there'}]
    expect(full.uninstall.commands).toEqual([
      del(String.raw`HKCU\Software\Classes\tel`),
      del(String.raw`HKCU\Software\Classes\callctl.tel`),
      del(String.raw`HKCU\Software\Classes\callto`),
      del(String.raw`HKCU\Software\Classes\callctl.callto`),
      del(String.raw`HKCU\Software\Classes\sip`),
      del(String.raw`HKCU\Software\Classes\callctl.sip`),
      del(String.raw`HKCU\Software\callctl`),
      [
        'reg',
        ['delete', String.raw`HKCU\Software\RegisteredApplications`, '/v', 'callctl', '/f'],
        {mayFail: 'not there'},
      ],
    ])
    // Some schemes only (defect 7 of the hostile report): the others keep their classes and Default Apps entry.
    expect(plan.uninstall.commands).toEqual([
      del(String.raw`HKCU\Software\Classes\tel`),
      del(String.raw`HKCU\Software\Classes\callctl.tel`),
      del(String.raw`HKCU\Software\Classes\sip`),
      del(String.raw`HKCU\Software\Classes\callctl.sip`),
      [
        'reg',
        ['delete', String.raw`HKCU\Software\callctl\Capabilities\URLAssociations`, '/v', 'tel', '/f'],
        {mayFail: 'not there'},
      ],
      [
        'reg',
        ['delete', String.raw`HKCU\Software\callctl\Capabilities\URLAssociations`, '/v', 'sip', '/f'],
        {mayFail: 'not there'},
      ],
    ])
    const written = new Set(
      full.install.commands
        .filter(([file]) => file === 'reg')
        .map(([, args]) => args[1].replace(/\\(DefaultIcon|shell\\open\\command|URLAssociations)$/, '')),
    )
    const removed = new Set(full.uninstall.commands.map(([, args]) => args[1]))
    // Every key written is removed (Capabilities with HKCU\Software\callctl, its parent that only install creates).
    for (const key of written) {
      expect(
        removed.has(key) || key.startsWith(String.raw`HKCU\Software\callctl`) || key.endsWith('RegisteredApplications'),
      ).toBe(true)
    }

    expect(plan.status.map(({command}) => command)).toEqual([
      [
        'reg',
        [
          'query',
          String.raw`HKCU\Software\Microsoft\Windows\Shell\Associations\UrlAssociations\tel\UserChoice`,
          '/v',
          'ProgId',
        ],
      ],
      [
        'reg',
        [
          'query',
          String.raw`HKCU\Software\Microsoft\Windows\Shell\Associations\UrlAssociations\sip\UserChoice`,
          '/v',
          'ProgId',
        ],
      ],
    ])
    expect(plan.status.map(({ours}) => ours)).toEqual(['callctl.tel', 'callctl.sip'])
  })

  const mac: HandlerWhere = {
    platform: 'darwin',
    home: '/Users/ann',
    nodePath: '/opt/homebrew/bin/node',
    runJs: `/Users/ann/My "callctl" $(x)/bin/run.js`,
    configDir: '/Users/ann/cfg',
  }

  test('argv: macOS install compiles an applet, edits its Info.plist with plutil, registers it and asks for the default', () => {
    const plan = handlerPlan(mac, ['tel', 'sip'])
    const applet = '/Users/ann/Applications/callctl Dial.app'
    const plist = `${applet}/Contents/Info.plist`
    const jxa = (scheme: string) => [
      'osascript',
      [
        '-l',
        'JavaScript',
        '-e',
        'ObjC.import("CoreServices"); function run(argv) { const status = $.LSSetDefaultHandlerForURLScheme($(argv[0]), $(argv[1])); if (status !== 0) throw new Error("LSSetDefaultHandlerForURLScheme: " + status); return "ok" }',
        scheme,
        'com.callctl.dial',
      ],
      {mayFail: 'macOS asks the user to choose (see the note)'},
    ]
    expect(plan.install.commands).toEqual([
      ['osacompile', ['-o', applet, ...appletScript(mac).flatMap((line) => ['-e', line])]],
      ['plutil', ['-replace', 'CFBundleIdentifier', '-string', 'com.callctl.dial', plist]],
      [
        'plutil',
        [
          '-replace',
          'CFBundleURLTypes',
          '-json',
          '[{"CFBundleURLName":"callctl phone links","CFBundleURLSchemes":["tel","sip"]}]',
          plist,
        ],
      ],
      ['plutil', ['-replace', 'LSUIElement', '-bool', 'YES', plist]],
      [LSREGISTER, ['-f', applet]],
      jxa('tel'),
      jxa('sip'),
    ])
    expect(plan.install.notes[0]).toMatch(/FaceTime → Settings → "Default for calls"/)
    expect(plan.install.dirs).toEqual(['/Users/ann/Applications'])
    expect(plan.uninstall).toEqual({
      dirs: [],
      files: [],
      commands: [[LSREGISTER, ['-u', applet], {mayFail: 'not registered'}]],
      remove: [applet],
      afterRemove: [],
      notes: [],
    })
  })

  test('the applet runs dial with every word through quoted form of, paths escaped as AppleScript strings', () => {
    expect(appletScript(mac)).toEqual([
      'on open location theURL',
      String.raw`do shell script quoted form of "/opt/homebrew/bin/node" & " " & quoted form of "/Users/ann/My \"callctl\" $(x)/bin/run.js" & " " & quoted form of "dial" & " " & quoted form of "--notify" & " " & quoted form of "--config-dir" & " " & quoted form of "/Users/ann/cfg" & " " & quoted form of theURL & " > /dev/null 2>&1 &"`,
      'end open location',
      'on run',
      'display dialog "callctl Dial dials tel:, callto: and sip: links you click. Nothing to do here." buttons {"OK"} default button "OK"',
      'end run',
    ])
  })

  test('a desktop entry quotes what xdg and GLib must read as one word, and doubles % and backslashes', () => {
    const entry = desktopEntry(
      {platform: 'linux', home: '/home/ann', nodePath: '/usr/bin/node', runJs: '/home/ann/a b/100% "$x`y`\\/run.js'},
      ['tel'],
    )
    expect(entry.split('\n')[4]).toBe(
      String.raw`Exec=/usr/bin/node "/home/ann/a b/100%% \\"\\$x\\` +
        '`' +
        String.raw`y\\` +
        '`' +
        String.raw`\\\\/run.js" dial --notify %u`,
    )
    expect(() =>
      desktopEntry({platform: 'linux', home: '/h', nodePath: '/usr/bin/node', runJs: '/h/a\nExec=evil'}, ['tel']),
    ).toThrow(/line break/)
  })
})

describe('handler status per scheme (argv: reg.exe and osascript recorded, answers as they print them)', () => {
  test('argv: Windows reads UserChoice, else the per-user class it wrote, and tells callctl from another app', async () => {
    const {handlerStatus} = await import('../../src/handler/index.js')
    const runJs = String.raw`C:\callctl\bin\run.js`
    const seen: string[][] = []
    const runner = async (file: string, args: string[]) => {
      seen.push([file, ...args])
      const key = args[1]
      if (key.endsWith(String.raw`tel\UserChoice`))
        return {exitCode: 0, stdout: '\r\n    ProgId    REG_SZ    callctl.tel\r\n', stderr: ''}
      if (key.endsWith(String.raw`sip\UserChoice`))
        return {exitCode: 0, stdout: '    ProgId    REG_SZ    MicroSIP.sip\r\n', stderr: ''}
      if (key.endsWith(String.raw`Classes\callto\shell\open\command`))
        return {
          exitCode: 0,
          stdout: `    (Default)    REG_SZ    "node.exe" "${runJs}" dial --notify "%1"\r\n`,
          stderr: '',
        }
      return {
        exitCode: 1,
        stdout: '',
        stderr: 'ERROR: The system was unable to find the specified registry key or value.',
      }
    }

    const status = await handlerStatus({
      runner,
      where: {platform: 'win32', home: String.raw`C:\Users\ann`, nodePath: 'node.exe', runJs},
    })
    expect(status.installed).toBe(false)
    expect(status.schemes).toEqual([
      {scheme: 'tel', handler: 'callctl.tel', callctl: true},
      {
        scheme: 'callto',
        handler: String.raw`HKCU\Software\Classes\callto: "node.exe" "C:\callctl\bin\run.js" dial --notify "%1"`,
        callctl: true,
      },
      {scheme: 'sip', handler: 'MicroSIP.sip', callctl: false},
    ])
    expect(seen[0]).toEqual(['reg', 'query', String.raw`HKCU\Software\Classes\callctl.tel\shell\open\command`, '/ve'])
  })

  test('argv: macOS asks Launch Services through JXA with the scheme as an argument', async () => {
    const {handlerStatus} = await import('../../src/handler/index.js')
    const seen: string[][] = []
    const status = await handlerStatus({
      schemes: ['tel'],
      runner: async (file, args) => {
        seen.push([file, ...args])
        return {exitCode: 0, stdout: 'com.apple.FaceTime\n', stderr: ''}
      },
      where: {platform: 'darwin', home: '/nonexistent/home', nodePath: '/n', runJs: '/r'},
    })
    expect(seen).toEqual([
      [
        'osascript',
        '-l',
        'JavaScript',
        '-e',
        'ObjC.import("CoreServices"); function run(argv) { const handler = $.LSCopyDefaultHandlerForURLScheme($(argv[0])); return handler ? ObjC.unwrap(ObjC.castRefToObject(handler)) : "" }',
        'tel',
      ],
    ])
    expect(status).toEqual({
      platform: 'darwin',
      installed: false,
      file: '/nonexistent/home/Applications/callctl Dial.app',
      schemes: [{scheme: 'tel', handler: 'com.apple.FaceTime', callctl: false}],
      problems: [],
    })
  })
})
