import type {CallEvent} from '../engine/call.js'
import {ConfigError} from '../errors.js'

/** Where a value lands decides how it is encoded. */
export type Encoding = 'url' | 'argv' | 'json' | 'form' | 'text'

/** Every variable a template may use, Wildix names plus ours. */
export const VARIABLES = {
  CALLERNUM: "the other party's number",
  CALLERNAME: "the other party's name",
  USERNUM: 'your number (config user.number)',
  USERNAME: 'your name (config user.name)',
  CALLTYPE: 'incoming or outgoing',
  TAGS: 'call tags, comma-separated',
  CHANNEL: 'call channel (driver or `notify --channel`)',
  CALLID: 'the call id',
  EVENT: 'incoming, outgoing, active, updated, held, resumed, transferred, end, missed or rejected',
  TIMESTAMP: 'when the event happened, ISO 8601',
  DURATION: 'seconds talking: from answer to the end (or to now on a live call); 0 if never answered',
  REASON: "why the call ended, in the phone's words (end, missed, rejected)",
  RESULT: 'how the call ended: answered, missed, rejected, busy, failed or cancelled (empty while live)',
  STARTED: 'when the call started (rang or was dialled), ISO 8601',
  ANSWERED: 'when it was answered, ISO 8601 (empty if never)',
  ENDED: 'when it ended, ISO 8601 (empty while live)',
  TRANSFERTO: 'the number the call was transferred to (transferred, and its end)',
} as const

export type Variable = keyof typeof VARIABLES
export type TemplateValues = Record<Variable, string>

/** `$name` forms: Enreach's `$callerid`, and the Yealink/Snom action-URL variables of desk phones. */
export const DOLLAR_ALIASES: Record<string, Variable> = {
  callerid: 'CALLERNUM',
  remote: 'CALLERNUM',
  display_remote: 'CALLERNAME',
  callername: 'CALLERNAME',
  local: 'USERNUM',
  display_local: 'USERNAME',
  call_id: 'CALLID',
}

type Part = string | {variable: Variable; skip: number; length?: number}

export interface Template {
  source: string
  render(values: TemplateValues, encoding: Encoding): string
}

// `{VAR}`, `{VAR:n}`, `{VAR:skip:len}`; `$name`; `$$` is a literal `$`; Wildix's `<<clid>>`, the caller or called
// number.
const TOKEN = /\{([A-Z][A-Z_]*)((?::[^{}]*)?)\}|\$\$|\$([a-z][a-z_]*)|<<(clid)>>/gi
const MANIPULATION = /^(?::(-?\d+)(?::(-?\d+))?)?$/

/**
 * Parses a template once, so that an unknown variable is an error when the config is set or the listener starts,
 * never a silent empty string at the first call. `where` names the template in that error.
 */
export function compileTemplate(source: string, where: string): Template {
  const parts: Part[] = []
  let last = 0
  for (const match of source.matchAll(TOKEN)) {
    const [text, braced, suffix, dollar, clid] = match
    parts.push(source.slice(last, match.index))
    last = match.index + text.length
    if (text === '$$') {
      parts.push('$')
      continue
    }

    if (clid !== undefined) {
      parts.push({variable: 'CALLERNUM', skip: 0})
      continue
    }

    if (braced !== undefined && braced !== braced.toUpperCase()) {
      // A variable's name in the wrong case would go out as that text, every call, with nothing said.
      if (braced.toUpperCase() in VARIABLES)
        throw new ConfigError(`Unknown variable ${text} in ${where}: variables are upper-case`, [
          `Write {${braced.toUpperCase()}${suffix ?? ''}}`,
        ])
      // Other lower-case braces are ordinary text (e.g. JSON bodies): not ours to interpret.
      parts.push(text)
      continue
    }

    const variable = braced ?? DOLLAR_ALIASES[dollar.toLowerCase()]
    if (!variable || !(variable in VARIABLES)) {
      const known =
        braced === undefined
          ? Object.keys(DOLLAR_ALIASES).map((a) => `$${a}`)
          : Object.keys(VARIABLES).map((v) => `{${v}}`)
      throw new ConfigError(`Unknown variable ${text} in ${where}: ${JSON.stringify(source)}`, [
        `Known: ${known.join(', ')}`,
        ...(braced === undefined ? ['Write $$ for a literal $'] : []),
      ])
    }

    const manipulation = MANIPULATION.exec(suffix ?? '')
    if (!manipulation) {
      throw new ConfigError(
        `Invalid manipulation ${text} in ${where}: use {${variable}:n} or {${variable}:skip:length} with whole numbers`,
      )
    }

    const [, skip, length] = manipulation
    parts.push({
      variable: variable as Variable,
      skip: Number(skip ?? 0),
      length: length === undefined ? undefined : Number(length),
    })
  }

  parts.push(source.slice(last))
  return {
    source,
    render(values, encoding) {
      return parts
        .map((part) =>
          typeof part === 'string' ? part : encode(substring(values[part.variable], part.skip, part.length), encoding),
        )
        .join('')
    },
  }
}

/**
 * Wildix `{VAR:n}` drops the first n characters; Asterisk's `{VAR:skip:len}` takes len characters from skip, a
 * negative skip counting from the end (`{CALLERNUM:-9}` = the last nine) and a negative len leaving that many off.
 */
export function substring(value: string, skip: number, length?: number): string {
  const start = skip < 0 ? Math.max(0, value.length + skip) : Math.min(skip, value.length)
  if (length === undefined) return value.slice(start)
  return length < 0 ? value.slice(start, Math.max(start, value.length + length)) : value.slice(start, start + length)
}

function encode(value: string, encoding: Encoding): string {
  switch (encoding) {
    case 'url':
    case 'form': {
      return encodeURIComponent(value.toWellFormed())
    }

    case 'json': {
      return JSON.stringify(value).slice(1, -1)
    }

    default: {
      // argv and text: the value stays one literal piece of the argument it is in.
      return value
    }
  }
}

export interface UserIdentity {
  number?: string
  name?: string
}

export function valuesFor(event: CallEvent, user: UserIdentity = {}): TemplateValues {
  const {call} = event
  const answered = call.answeredAt ? Date.parse(call.answeredAt) : undefined
  const until = call.endedAt ? Date.parse(call.endedAt) : Date.parse(event.at)
  return {
    CALLERNUM: call.number,
    CALLERNAME: call.name,
    USERNUM: user.number ?? '',
    USERNAME: user.name ?? '',
    CALLTYPE: call.direction,
    TAGS: call.tags.join(','),
    CHANNEL: call.channel,
    CALLID: call.id,
    EVENT: event.type,
    TIMESTAMP: event.at,
    DURATION: String(answered === undefined ? 0 : Math.max(0, Math.round((until - answered) / 1000))),
    REASON: call.endReason ?? '',
    RESULT: call.result ?? '',
    STARTED: call.createdAt,
    ANSWERED: call.answeredAt ?? '',
    ENDED: call.endedAt ?? '',
    TRANSFERTO: call.transferredTo ?? '',
  }
}
