import type {DeliverySettings, PopupConfig} from './settings.js'
import type {Call, CallEvent} from '../engine/call.js'
import {ConfigError} from '../errors.js'
import {type Argv, parseCommandLine, urlOpener} from '../os/launch.js'
import {compileTemplate, type Template, type TemplateValues, VARIABLES} from './template.js'

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
    const code = codeWithValues(words)
    if (code)
      throw new ConfigError(
        `${key}.app runs ${JSON.stringify(code.program)} with a call's value inside the code it runs (${JSON.stringify(code.word)}): a caller's name such as "$(rm -rf ~)" would run as commands`,
        [
          `Pass the value as an argument of its own, which the code reads: "sh -c 'echo \\"$1\\" >> calls.log' sh {CALLERNAME}"`,
        ],
      )
    return {
      key,
      on: popup.on,
      appliesTo,
      argv(values) {
        const [file, ...args] = words.map((word) => word.render(values, 'argv'))
        return [file, args]
      },
    }
  })
}

/** Programs that run code given on their command line, and the options that give it. */
const INTERPRETERS =
  /^(?:(?:ba|da|z|k|fi|tc|c|a)?sh|cmd|powershell|pwsh|osascript|python[\d.]*|perl|ruby|node|php|lua|tclsh|wscript|cscript)$/i
const CODE_OPTION = /^(?:-[a-z]*c|\/[ck]|-command|-encodedcommand|-ec|-e|--eval|-r)$/i
/** After these, the rest of the line is one command (`cmd /c`, `powershell -Command`). */
const REST_IS_CODE = /^(?:\/[ck]|-command|-encodedcommand|-ec)$/i

/**
 * A word of an app line that is code for an interpreter (`sh -c "…"`, `osascript -e "…"`, `cmd /c …`) and holds a
 * template value: callctl passes each word as one argument, never through a shell, but an interpreter told to run
 * that word runs whatever the value holds.
 */
function codeWithValues(words: Template[]): {program: string; word: string} | undefined {
  const differs = (word: Template) => word.render(fillAll('a'), 'argv') !== word.render(fillAll('b'), 'argv')
  let at = 0
  // `env NAME=value sh -c …`
  if (/^(?:.*[\\/])?env$/.test(words[0]?.source ?? '')) {
    at = 1
    while (at < words.length && (words[at].source.includes('=') || words[at].source.startsWith('-'))) at++
  }

  const program = words[at]?.source.replace(/^.*[\\/]/, '').replace(/\.exe$/i, '') ?? ''
  if (!INTERPRETERS.test(program)) return undefined
  for (let n = at + 1; n < words.length; n++) {
    if (!CODE_OPTION.test(words[n].source)) continue
    const code = REST_IS_CODE.test(words[n].source) ? words.slice(n + 1) : words.slice(n + 1, n + 2)
    const holding = code.find((word) => differs(word))
    if (holding) return {program: words[at].source, word: holding.source}
  }

  return undefined
}

function fillAll(text: string): TemplateValues {
  return Object.fromEntries(Object.keys(VARIABLES).map((name) => [name, text])) as TemplateValues
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
