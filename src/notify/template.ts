import type {CallEvent} from '../engine/call.js'

/** Values a template can use, by canonical name. */
export type TemplateValues = Record<string, string>

/** Enreach's `$callerid` and friends, mapped to canonical names. */
const DOLLAR_ALIASES: Record<string, string> = {
  callerid: 'CALLERNUM',
}

export function valuesFor(event: CallEvent): TemplateValues {
  const {call} = event
  return {
    CALLERNUM: call.number,
    CALLERNAME: call.name,
    CALLTYPE: call.direction,
    CALLID: call.id,
    EVENT: event.type,
  }
}

/**
 * Fills a URL template. Each value is percent-encoded, so that a caller name such as `A&B=C` stays one query
 * value and cannot add parameters or change the path.
 */
export function renderUrl(template: string, values: TemplateValues): string {
  return template
    .replaceAll(/\$([a-z_]+)/gi, (match, name: string) => {
      const key = DOLLAR_ALIASES[name.toLowerCase()]
      return key === undefined ? match : encodeURIComponent(values[key] ?? '')
    })
    .replaceAll(/\{([A-Z]+)\}/g, (match, name: string) =>
      name in values ? encodeURIComponent(values[name]) : match,
    )
}
