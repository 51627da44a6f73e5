import type {DeliverySettings, PopupConfig} from './settings.js'
import type {Call, CallEvent} from '../engine/call.js'
import {ConfigError} from '../errors.js'
import {type Argv, parseCommandLine, urlOpener} from '../os/launch.js'
import {compileTemplate, type Template, type TemplateValues, VARIABLES} from './template.js'

/** An app argument that is a URL: its values are encoded as a popup URL's. */
const URL_WORD = /^https?:\/\//i

/** Which event opens a popup: Wildix "Ringing" (incoming), "Call generation" (outgoing), "Answer" (both). */
const TRIGGERS: Record<Exclude<PopupConfig['on'], 'click'>, (event: CallEvent) => boolean> = {
  ringing: (event) => event.type === 'incoming',
  dialing: (event) => event.type === 'outgoing',
  answer: (event) => event.type === 'active',
}

export interface Popup {
  key: string
  on: PopupConfig['on']
  /** For the console's clickable link: the URL, when the popup is one. */
  url?: (values: TemplateValues) => string
  argv(values: TemplateValues): Argv
  appliesTo(call: Call): boolean
}

export function compilePopups(config: Pick<DeliverySettings, 'popups'>): Popup[] {
  return config.popups.map((popup, index) => {
    const key = `popups[${index}]`
    if ((popup.url === undefined) === (popup.app === undefined)) {
      throw new ConfigError(`${key} needs either "url" or "app" (not both, not neither)`, [
        `e.g. {"on": "ringing", "url": "https://crm.example.com/search?phone={CALLERNUM}"}`,
      ])
    }

    const appliesTo = (call: Call) => popup.direction === undefined || popup.direction === call.direction
    if (popup.url !== undefined) {
      const url = compileTemplate(popup.url, `${key}.url`)
      return {
        key,
        on: popup.on,
        appliesTo,
        url: (values) => url.render(values, 'url'),
        argv: (values) => urlOpener(url.render(values, 'url')),
      }
    }

    // Each word of the app line is its own template: a value always stays inside the argument it was written in.
    const words = parseCommandLine(popup.app ?? '').map((word, n) => compileTemplate(word, `${key}.app argument ${n}`))
    if (!words[0]?.source)
      throw new ConfigError(`${key}.app names no program: ${JSON.stringify(popup.app)}`, [
        `e.g. {"on": "ringing", "app": "\\"C:\\\\Program Files\\\\CRM\\\\crm.exe\\" {CALLERNUM}"}`,
      ])
    const unsafe = unsafeAppWord(words)
    if (unsafe)
      throw new ConfigError(
        `${key}.app: ${JSON.stringify(unsafe.word)} ${unsafe.why}; a caller's name such as "$(rm -rf ~)" would run as commands`,
        [`Pass each value as a whole argument of its own after the code, which reads it as data: ${README_SH_EXAMPLE}`],
      )
    return {
      key,
      on: popup.on,
      appliesTo,
      argv(values) {
        // A value inside a URL argument is percent-encoded as in a popup URL: a caller named
        // `Eve&Subaction=DeleteAll` must not add parameters to the page the app opens.
        const [file, ...args] = words.map((word) => word.render(values, URL_WORD.test(word.source) ? 'url' : 'argv'))
        return [file, args]
      },
    }
  })
}

/** The README's example of code that reads a caller's value as data (the form parses as Windows reads a line). */
export const README_SH_EXAMPLE = 'sh -c "echo \\"$1\\" >> calls.log" sh {CALLERNAME}'

/**
 * Programs that run code, or run another program, from their arguments: interpreters (`sh`, `perl`, `node`, `awk`,
 * `osascript`, `powershell`, ...), wrappers that start the next word as a program (`env`, `nice`, `timeout`,
 * `xargs`, `sudo`, ...) and terminals that run a command (`xterm -e`). The list errs on the side of refusing.
 */
const RUNS_CODE = new RegExp(
  '^(?:' +
    [
      '(?:ba|da|z|k|mk|fi|tc|c|a|r|y|po)?sh',
      'busybox',
      'toybox',
      'env',
      'nice',
      'ionice',
      'nohup',
      'timeout',
      'xargs',
      'sudo',
      'doas',
      'su',
      'runuser',
      'pkexec',
      'stdbuf',
      'setsid',
      'chrt',
      'taskset',
      'flock',
      'unbuffer',
      'script',
      'watch',
      'time',
      'exec',
      'command',
      'builtin',
      'eval',
      'find',
      'parallel',
      'ssh',
      'tmux',
      'screen',
      'perl\\d*(?:\\.\\d+)*',
      'python[\\d.]*',
      'pypy[\\d.]*',
      'ruby[\\d.]*',
      'irb',
      'node(?:js)?',
      'deno',
      'bun',
      'php[\\d.]*',
      'lua(?:jit)?[\\d.]*',
      'tclsh[\\d.]*',
      'wish',
      'expect',
      'rscript',
      'julia',
      'groovy',
      'jshell',
      'g?awk',
      'mawk',
      'nawk',
      'sed',
      'gdb',
      'vim?',
      'nvim',
      'emacs',
      'osascript',
      'open',
      'cmd',
      'command\\.com',
      'start',
      'runas',
      'powershell(?:_ise)?',
      'pwsh(?:-preview)?',
      'wscript',
      'cscript',
      'mshta',
      'rundll32',
      'regsvr32',
      'msiexec',
      'wmic',
      'conhost',
      'wt',
      'explorer',
      'xterm',
      'uxterm',
      'x-terminal-emulator',
      'gnome-terminal',
      'konsole',
      'xfce4-terminal',
      'mate-terminal',
      'lxterminal',
      'terminator',
      'tilix',
      'kitty',
      'alacritty',
      'wezterm',
      'urxvt',
      'rxvt',
      'st',
      'foot',
    ].join('|') +
    ')$',
  'i',
)

/** Runners that join the rest of their arguments into one command and parse it again (`cmd /c`, `powershell`). */
const JOINS_REST = /^(?:cmd|command\.com|powershell(?:_ise)?|pwsh(?:-preview)?|ssh|su|watch|eval|runas|wmic|mshta)$/i

const SHELL = /^(?:(?:ba|da|z|k|mk|a|r|y|po)?sh|busybox)$/i

/** A program word as the OS names it: the last path part, without a Windows extension. */
function programName(word: string): string {
  return word.replace(/^.*[\\/]/, '').replace(/\.(?:exe|com|cmd|bat|ps1)$/i, '')
}

/** An option word (`-c`, `--eval`, `/c`): what comes before the code or program a runner takes. */
const OPTION = /^(?:-|\/[a-z?]+$)/i

/**
 * Where a call's value would be run rather than read, in an app line: the program word itself (`{CALLERNAME}
 * --x`), and, once any word names a program that runs code or another program, a value that is not a whole
 * argument of its own (`sh -c -- "echo {CALLERNAME}"`, `awk "BEGIN{system(…)}"`, `env -S "…"`, `node --eval={V}`)
 * or that is the first word after such a program's options, which is its code, script or program (`sh -c
 * {CALLERNAME}`, `perl -le {CALLERNAME}`, `timeout 5 sh -c {CALLERNAME}`). Every word is checked, not a list of
 * code options, so a form nobody listed is refused too. Each word is one argument (no shell); this is about what
 * the started program does with it.
 */
export function unsafeAppWord(words: Template[]): {word: string; why: string} | undefined {
  const holds = (word: Template) => word.render(fillAll('a'), 'argv') !== word.render(fillAll('b'), 'argv')
  const whole = (word: Template) => word.render(fillAll('\u0001'), 'argv') === '\u0001'
  if (words[0] && holds(words[0]))
    return {word: words[0].source, why: "is the program to run: a caller's value would choose the program"}
  const firstAfter = (at: number) => {
    const n = words.findIndex((word, index) => index > at && !OPTION.test(word.source))
    return n === -1 ? undefined : n
  }

  const runners: number[] = []
  for (const [n, word] of words.entries()) {
    if (!RUNS_CODE.test(programName(word.source))) continue
    // `sh -c 'code' sh {CALLERNAME}`: the word after a shell's -c code is the code's $0, a name, not a program.
    const shell = runners.find(
      (at) =>
        SHELL.test(programName(words[at].source)) &&
        firstAfter(at) === n - 1 &&
        words.slice(at + 1, n - 1).some((option) => /^-[a-z]*c[a-z]*$/i.test(option.source)),
    )
    if (shell === undefined) runners.push(n)
  }

  if (runners.length === 0) return undefined
  const program = programName(words[runners[0]].source)
  for (const word of words) {
    if (holds(word) && !whole(word))
      return {
        word: word.source,
        why: `mixes a caller's value with other text in a line that runs ${JSON.stringify(program)}, which may run it as code`,
      }
  }

  for (const at of runners) {
    if (JOINS_REST.test(programName(words[at].source))) {
      const joined = words.slice(at + 1).find((word) => holds(word))
      if (joined)
        return {
          word: joined.source,
          why: `is in the command line ${JSON.stringify(programName(words[at].source))} reads again as one command`,
        }
    }

    const n = firstAfter(at)
    const first = n === undefined ? undefined : words[n]
    if (first && holds(first))
      return {
        word: first.source,
        why: `is the code, script or program ${JSON.stringify(programName(words[at].source))} runs`,
      }
  }

  return undefined
}

function fillAll(text: string): TemplateValues {
  return Object.fromEntries(Object.keys(VARIABLES).map((name) => [name, text])) as TemplateValues
}

/** App lines whose caller values a program would run (see unsafeAppWord), one message each: for `callctl doctor`. */
export function unsafeAppLines(config: Pick<DeliverySettings, 'popups'>): string[] {
  const problems: string[] = []
  for (const [index, popup] of config.popups.entries()) {
    if (popup.app === undefined) continue
    try {
      const words = parseCommandLine(popup.app).map((word, n) => compileTemplate(word, `popups[${index}].app ${n}`))
      const unsafe = unsafeAppWord(words)
      if (unsafe) problems.push(`popups[${index}].app: ${JSON.stringify(unsafe.word)} ${unsafe.why}`)
    } catch {
      // An unknown variable is the config check's to report.
    }
  }

  return problems
}

/** The popups an event opens at once (not `click`, not for internal numbers). */
export function popupsFor(popups: Popup[], event: CallEvent, internal: boolean): Popup[] {
  if (internal) return []
  return popups.filter((popup) => popup.on !== 'click' && TRIGGERS[popup.on](event) && popup.appliesTo(event.call))
}

export function clickPopups(popups: Popup[], call: Call): Popup[] {
  return popups.filter((popup) => popup.on === 'click' && popup.appliesTo(call))
}

/**
 * App arguments a caller can turn into an option: an argument that starts with a variable, before any `--`. A
 * caller name such as `--config=/tmp/x` or `-e` is passed as one literal argument, but the app's own option parser
 * reads it as an option. `callctl doctor` warns about each; the fix is `--` before it, or `--name={CALLERNAME}`.
 */
export function optionLikeArguments(config: Pick<DeliverySettings, 'popups'>): string[] {
  // What callctl writes itself (incoming, 2026-…, 12) never starts with a dash; the rest can come from a caller.
  const own = new Set(['CALLTYPE', 'EVENT', 'TIMESTAMP', 'DURATION'])
  const fill = (text: string) =>
    Object.fromEntries(
      Object.keys(VARIABLES).map((name) => [name, own.has(name) ? 'a' : text.repeat(64)]),
    ) as TemplateValues
  const dashes = fill('-')
  const letters = fill('a')
  const problems: string[] = []
  for (const [index, popup] of config.popups.entries()) {
    if (popup.app === undefined) continue
    const words = parseCommandLine(popup.app)
    for (const [n, word] of words.entries()) {
      if (n === 0) continue
      if (word === '--') break
      let template
      try {
        template = compileTemplate(word, `popups[${index}].app argument ${n}`)
      } catch {
        continue // an unknown variable is the config check's to report
      }

      // Whatever a variable holds can come first: a caller's name of dashes shows it.
      if (template.render(dashes, 'argv').startsWith('-') && !template.render(letters, 'argv').startsWith('-')) {
        problems.push(
          `popups[${index}].app argument ${n} (${JSON.stringify(word)}) starts with a caller's value: a name such as "--help" or "-e" would be an option of ${JSON.stringify(words[0])}`,
        )
      }
    }
  }

  return problems
}
