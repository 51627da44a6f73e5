import type {DeliverySettings, PopupConfig} from './settings.js'
import type {Call, CallEvent} from '../engine/call.js'
import {ConfigError} from '../errors.js'
import {type Argv, parseCommandLine, urlOpener} from '../os/launch.js'
import {compileTemplate, type TemplateValues, VARIABLES} from './template.js'

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
