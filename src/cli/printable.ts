// eslint-disable-next-line no-control-regex -- control characters are what this escapes before they reach a terminal
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/g

/**
 * Control characters shown as escapes: numbers, names, paths and errors come from the network, and an ESC sequence
 * printed raw could rewrite the user's terminal (title, screen, clipboard).
 */
export function printable<T>(value: T): T {
  if (typeof value === 'string') {
    return value.replaceAll(CONTROL, (char) => `\\u${char.codePointAt(0)!.toString(16).padStart(4, '0')}`) as T
  }

  if (Array.isArray(value)) return value.map((item) => printable(item)) as T
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, printable(item)])) as T
  }

  return value
}
