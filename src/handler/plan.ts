import path from 'node:path'

import {DIAL_SCHEMES, type DialScheme} from '../dialing/link.js'
import {CallctlError} from '../errors.js'
import {type ServiceCommand, windowsQuote} from '../service/plan.js'

/**
 * What `callctl handler …` writes and runs on each OS to make callctl the handler of tel:, callto: and sip: links,
 * computed without touching the system (as src/service/plan.ts does for the service), so that `--dry-run` and the
 * tests see exactly what a real run does.
 */

export interface HandlerWhere {
  platform: NodeJS.Platform
  home: string
  /** Absolute path of the Node that installs the handler (`process.execPath`). */
  nodePath: string
  /** Absolute path of this package's `bin/run.js`. */
  runJs: string
  /** `CALLCTL_CONFIG_DIR` at install time: the handler dials with that config. */
  configDir?: string
  /** For `XDG_DATA_HOME` and `XDG_CONFIG_HOME` (Linux). */
  env?: NodeJS.ProcessEnv
}

export interface HandlerAction {
  /** Folders made before anything runs (osacompile does not create ~/Applications). */
  dirs: string[]
  files: Array<{path: string; content: string}>
  commands: ServiceCommand[]
  /** Files and folders removed (recursively: the macOS applet is a folder). */
  remove: string[]
  /** Run after `remove`. */
  afterRemove: ServiceCommand[]
  notes: string[]
}

/** How to ask which application handles a scheme now, and how to tell callctl's answer. */
export interface SchemeQuery {
  scheme: DialScheme
  command: ServiceCommand
  /** What the query prints when callctl is the handler (Linux: the desktop file id; macOS: the bundle id). */
  ours: string
  /**
   * Windows: with no UserChoice (the user never chose), the per-user class decides: asked with this, it is callctl's
   * when its command names callctl's run.js.
   */
  fallback?: {command: ServiceCommand; ours: string; name: string}
}

export interface HandlerPlan {
  platform: NodeJS.Platform
  /** The file (or applet folder) whose presence means "installed". */
  file: string
  install: HandlerAction
  uninstall: HandlerAction
  status: SchemeQuery[]
  /** Windows: the registry key whose presence means "installed" is asked with this (exit code 0: there). */
  installedQuery?: ServiceCommand
  /** Linux: `xdg-mime default` writes here; uninstall takes callctl's lines out again. */
  mimeApps?: string
}

export const DESKTOP_ID = 'callctl-dial.desktop'
export const BUNDLE_ID = 'com.callctl.dial'
export const APPLET_NAME = 'callctl Dial.app'
export const WINDOWS_APP = 'callctl'
const LSREGISTER =
  '/System/Library/Frameworks/CoreServices.framework/Frameworks/LaunchServices.framework/Support/lsregister'

/** The command line a clicked link runs, before the link itself: `<node> <run.js> dial --notify [--config-dir D]`. */
export function dialArgv(where: HandlerWhere): string[] {
  return [
    where.nodePath,
    where.runJs,
    'dial',
    '--notify',
    ...(where.configDir ? ['--config-dir', where.configDir] : []),
  ]
}

export function handlerPlan(where: HandlerWhere, schemes: readonly DialScheme[]): HandlerPlan {
  switch (where.platform) {
    case 'darwin': {
      return macPlan(where, schemes)
    }

    case 'win32': {
      return windowsPlan(where, schemes)
    }

    default: {
      return xdgPlan(where, schemes)
    }
  }
}

const action = (parts: Partial<HandlerAction>): HandlerAction => ({
  dirs: [],
  files: [],
  commands: [],
  remove: [],
  afterRemove: [],
  notes: [],
  ...parts,
})

// ---------------------------------------------------------------------------------------------------------------
// Linux (and other XDG desktops): a desktop entry that declares the x-scheme-handler types, made the default.

function xdgPlan(where: HandlerWhere, schemes: readonly DialScheme[]): HandlerPlan {
  const env = where.env ?? {}
  const dataHome = env.XDG_DATA_HOME || path.posix.join(where.home, '.local', 'share')
  const configHome = env.XDG_CONFIG_HOME || path.posix.join(where.home, '.config')
  const apps = path.posix.join(dataHome, 'applications')
  const file = path.posix.join(apps, DESKTOP_ID)
  const mime = (scheme: string) => `x-scheme-handler/${scheme}`
  const updateDatabase: ServiceCommand = [
    'update-desktop-database',
    [apps],
    {mayFail: 'desktop-file-utils is not installed: xdg-mime still records the default'},
  ]
  return {
    platform: where.platform,
    file,
    mimeApps: path.posix.join(configHome, 'mimeapps.list'),
    install: action({
      files: [{path: file, content: desktopEntry(where, schemes)}],
      commands: [
        updateDatabase,
        ...schemes.map((scheme): ServiceCommand => ['xdg-mime', ['default', DESKTOP_ID, mime(scheme)]]),
      ],
      notes: [
        `Links of ${schemes.map((s) => `${s}:`).join(', ')} now run callctl dial (a desktop may ask once which app to use).`,
      ],
    }),
    uninstall: action({remove: [file], afterRemove: [updateDatabase]}),
    status: schemes.map((scheme) => ({
      scheme,
      command: ['xdg-mime', ['query', 'default', mime(scheme)]],
      ours: DESKTOP_ID,
    })),
  }
}

export function desktopEntry(where: HandlerWhere, schemes: readonly DialScheme[]): string {
  const exec = [...dialArgv(where).map((arg) => desktopQuote(arg)), '%u'].join(' ')
  return `${[
    '[Desktop Entry]',
    'Type=Application',
    'Name=callctl',
    `Comment=Dial phone links (${schemes.map((scheme) => `${scheme}:`).join(', ')}) with callctl`,
    `Exec=${exec}`,
    'Terminal=false',
    'NoDisplay=true',
    `MimeType=${schemes.map((scheme) => `x-scheme-handler/${scheme};`).join('')}`,
  ].join('\n')}\n`
}

/** A word that every reader of Exec (GIO, KDE, Debian's generic xdg-open) takes as one word, unchanged. */
export function plainForGenericXdg(word: string): boolean {
  return /^[\w@+=:,./-]+$/.test(word)
}

/**
 * One argument of a desktop entry's Exec. Plain words stay bare: xdg-open without a desktop (Debian's generic mode)
 * splits Exec at spaces and knows no quotes. Others are double-quoted with `"`, `` ` ``, `$` and `\` escaped (the Exec
 * rules), then `\` doubled again (the string rules of the file); `%` is written `%%` (field codes).
 */
export function desktopQuote(arg: string): string {
  if (/[\n\r]/.test(arg))
    throw new CallctlError(`A line break cannot be put in a desktop entry: ${JSON.stringify(arg)}`, {
      code: 'ERR_HANDLER_PATH',
      suggestions: ['Install callctl (and set CALLCTL_CONFIG_DIR) in a folder whose path has no line break'],
    })
  if (plainForGenericXdg(arg)) return arg
  const exec = `"${arg.replaceAll(/["`$\\]/g, (c) => `\\${c}`)}"`
  return exec.replaceAll('\\', '\\\\').replaceAll('%', '%%')
}

// ---------------------------------------------------------------------------------------------------------------
// Windows: per-user classes under HKCU (no administrator), and Default Apps' capabilities.

const CLASSES = String.raw`HKCU\Software\Classes`
const CAPABILITIES = String.raw`HKCU\Software\callctl\Capabilities`
const REGISTERED_APPS = String.raw`HKCU\Software\RegisteredApplications`

function windowsPlan(where: HandlerWhere, schemes: readonly DialScheme[]): HandlerPlan {
  // Every path quoted, also those without spaces: `"<node>" "<run.js>" dial --notify "%1"`.
  const line = `${dialArgv(where)
    .map((arg, index) => windowsQuote(arg, index < 2 || index === 5))
    .join(' ')} "%1"`
  const icon = `"${where.nodePath}",0`
  const add = (key: string, value: string | undefined, data: string): ServiceCommand => [
    'reg',
    ['add', key, ...(value === undefined ? ['/ve'] : ['/v', value]), '/t', 'REG_SZ', '/d', data, '/f'],
  ]
  const urlClass = (key: string, scheme: DialScheme): ServiceCommand[] => [
    add(key, undefined, `URL:${scheme} (callctl)`),
    add(key, 'URL Protocol', ''),
    add(`${key}\\DefaultIcon`, undefined, icon),
    add(`${key}\\shell\\open\\command`, undefined, line),
  ]
  const progId = (scheme: DialScheme) => `callctl.${scheme}`
  const install: ServiceCommand[] = [
    ...schemes.flatMap((scheme) => [
      ...urlClass(`${CLASSES}\\${scheme}`, scheme),
      // What Default Apps lists for callctl: the scheme → this ProgID.
      ...urlClass(`${CLASSES}\\${progId(scheme)}`, scheme),
    ]),
    add(CAPABILITIES, 'ApplicationName', 'callctl'),
    add(CAPABILITIES, 'ApplicationDescription', 'Dials tel:, callto: and sip: links through the callctl listener'),
    ...schemes.map((scheme) => add(`${CAPABILITIES}\\URLAssociations`, scheme, progId(scheme))),
    add(REGISTERED_APPS, WINDOWS_APP, String.raw`Software\callctl\Capabilities`),
    // Windows 10 and 11 let only the user choose a default: open the page where callctl is now listed.
    [
      'explorer.exe',
      [`ms-settings:defaultapps?registeredAppUser=${WINDOWS_APP}`],
      {mayFail: 'explorer.exe exits 1 also when Settings opened'},
    ],
  ]
  const remove = (key: string): ServiceCommand => ['reg', ['delete', key, '/f'], {mayFail: 'not there'}]
  return {
    platform: 'win32',
    file: `${CLASSES}\\${progId(schemes[0])}`,
    installedQuery: ['reg', ['query', `${CLASSES}\\${progId(schemes[0])}\\shell\\open\\command`, '/ve']],
    install: action({
      commands: install,
      notes: ['In Settings → Default apps → callctl, choose callctl for the links you want it to dial.'],
    }),
    uninstall: action({
      commands: [
        ...schemes.flatMap((scheme) => [remove(`${CLASSES}\\${scheme}`), remove(`${CLASSES}\\${progId(scheme)}`)]),
        // Some schemes only: the others keep their classes and their place in Default Apps.
        ...(schemes.length < DIAL_SCHEMES.length
          ? schemes.map((scheme): ServiceCommand => [
              'reg',
              ['delete', `${CAPABILITIES}\\URLAssociations`, '/v', scheme, '/f'],
              {mayFail: 'not there'},
            ])
          : [
              remove(String.raw`HKCU\Software\callctl`),
              ['reg', ['delete', REGISTERED_APPS, '/v', WINDOWS_APP, '/f'], {mayFail: 'not there'}] as ServiceCommand,
            ]),
      ],
    }),
    status: schemes.map((scheme) => ({
      scheme,
      command: [
        'reg',
        [
          'query',
          `${String.raw`HKCU\Software\Microsoft\Windows\Shell\Associations\UrlAssociations`}\\${scheme}\\UserChoice`,
          '/v',
          'ProgId',
        ],
      ],
      ours: progId(scheme),
      fallback: {
        command: ['reg', ['query', `${CLASSES}\\${scheme}\\shell\\open\\command`, '/ve']],
        ours: where.runJs,
        name: `${CLASSES}\\${scheme}`,
      },
    })),
  }
}

// ---------------------------------------------------------------------------------------------------------------
// macOS: a URL arrives as an Apple Event, which only an application receives: a small applet that runs dial.

function macPlan(where: HandlerWhere, schemes: readonly DialScheme[]): HandlerPlan {
  const applet = path.posix.join(where.home, 'Applications', APPLET_NAME)
  const plist = path.posix.join(applet, 'Contents', 'Info.plist')
  const plutil = (...args: string[]): ServiceCommand => ['plutil', [...args, plist]]
  const urlTypes = JSON.stringify([{CFBundleURLName: 'callctl phone links', CFBundleURLSchemes: schemes}])
  return {
    platform: 'darwin',
    file: applet,
    install: action({
      dirs: [path.posix.dirname(applet)],
      commands: [
        ['osacompile', ['-o', applet, ...appletScript(where).flatMap((line) => ['-e', line])]],
        plutil('-replace', 'CFBundleIdentifier', '-string', BUNDLE_ID),
        plutil('-replace', 'CFBundleURLTypes', '-json', urlTypes),
        // No Dock icon for the moment it runs.
        plutil('-replace', 'LSUIElement', '-bool', 'YES'),
        [LSREGISTER, ['-f', applet]],
        ...schemes.map((scheme): ServiceCommand => [
          'osascript',
          ['-l', 'JavaScript', '-e', JXA_SET_DEFAULT, scheme, BUNDLE_ID],
          {mayFail: 'macOS asks the user to choose (see the note)'},
        ]),
      ],
      notes: [
        `${APPLET_NAME} in ~/Applications dials the links. macOS may keep its own app for tel: until you choose: FaceTime → Settings → "Default for calls" → callctl Dial.`,
      ],
    }),
    uninstall: action({
      commands: [[LSREGISTER, ['-u', applet], {mayFail: 'not registered'}]],
      remove: [applet],
    }),
    status: schemes.map((scheme) => ({
      scheme,
      command: ['osascript', ['-l', 'JavaScript', '-e', JXA_GET_DEFAULT, scheme]],
      ours: BUNDLE_ID,
    })),
  }
}

/** The applet: `on open location` runs callctl dial, every word through `quoted form of` (a shell runs it). */
export function appletScript(where: HandlerWhere): string[] {
  const words = dialArgv(where).map((arg) => `quoted form of ${appleScriptString(arg)}`)
  return [
    'on open location theURL',
    `do shell script ${words.join(' & " " & ')} & " " & quoted form of theURL & " > /dev/null 2>&1 &"`,
    'end open location',
    'on run',
    'display dialog "callctl Dial dials tel:, callto: and sip: links you click. Nothing to do here." buttons {"OK"} default button "OK"',
    'end run',
  ]
}

const appleScriptString = (value: string) => `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`

/** JXA (osascript -l JavaScript): the scheme and bundle id come in as arguments, never as code. */
export const JXA_SET_DEFAULT =
  'ObjC.import("CoreServices"); function run(argv) { const status = $.LSSetDefaultHandlerForURLScheme($(argv[0]), $(argv[1])); if (status !== 0) throw new Error("LSSetDefaultHandlerForURLScheme: " + status); return "ok" }'
export const JXA_GET_DEFAULT =
  'ObjC.import("CoreServices"); function run(argv) { const handler = $.LSCopyDefaultHandlerForURLScheme($(argv[0])); return handler ? ObjC.unwrap(ObjC.castRefToObject(handler)) : "" }'
