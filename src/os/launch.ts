/**
 * Starting apps and opening URLs without a shell: caller names and numbers come from the network, so each value
 * is one argument of an argument array and nothing is ever parsed by a shell.
 */

import {CallctlError} from '../errors.js'

export type Argv = [file: string, args: string[]]

/** How each OS opens a URL in the default browser, as an argument array. */
export function urlOpener(url: string, platform: NodeJS.Platform = process.platform): Argv {
  switch (platform) {
    case 'darwin': {
      return ['open', [url]]
    }

    case 'win32': {
      // `start` would need cmd.exe, a shell; the URL protocol handler opens it directly.
      return ['rundll32.exe', ['url.dll,FileProtocolHandler', url]]
    }

    default: {
      return ['xdg-open', [url]]
    }
  }
}

/** Straight and curly double quotes: Wildix's own examples are written with “ ” (a word processor's). */
const QUOTES = new Set(['"', '\u201C', '\u201D'])

/**
 * Splits a Wildix "Popup App" line into an argument array the way Windows reads a command line (CreateProcess for
 * the program, the C runtime's rules for the arguments), so a line written for Windows means the same here:
 * - a program path in quotes ends at its closing quote, even when an argument follows without a space
 *   (`“C:\…\iexplore.exe”^&Subaction=…` starts iexplore.exe with `&Subaction=…`);
 * - “curly” quotes count as quotes; inside quotes `""` is one `"`; backslashes are literal except before a quote,
 *   where 2n of them are n and quote, 2n+1 are n and a literal `"`;
 * - `^&` (cmd.exe's escape that Wildix asks for) is a plain `&`.
 */
export function parseCommandLine(line: string): string[] {
  const chars = [...line.replaceAll('^&', '&')]
  const args: string[] = []
  let at = 0
  while (at < chars.length && /\s/.test(chars[at])) at++
  if (QUOTES.has(chars[at] ?? '')) {
    // The program: everything up to the next quote, backslashes and all (a path, not an argument).
    let end = at + 1
    while (end < chars.length && !QUOTES.has(chars[end])) end++
    args.push(chars.slice(at + 1, end).join(''))
    at = end + 1
  }

  let current = ''
  let inWord = false
  let quoted = false
  while (at < chars.length) {
    const char = chars[at]
    if (char === '\\') {
      let slashes = 0
      while (chars[at] === '\\') {
        slashes++
        at++
      }

      if (QUOTES.has(chars[at] ?? '')) {
        current += '\\'.repeat(Math.floor(slashes / 2))
        if (slashes % 2 === 1) {
          current += chars[at]
          at++
        }
      } else current += '\\'.repeat(slashes)
      inWord = true
      continue
    }

    if (QUOTES.has(char)) {
      // `""` inside quotes: a literal quote, and still quoted.
      if (quoted && QUOTES.has(chars[at + 1] ?? '')) {
        current += '"'
        at += 2
        continue
      }

      quoted = !quoted
      inWord = true
    } else if (!quoted && /\s/.test(char)) {
      if (inWord) args.push(current)
      current = ''
      inWord = false
    } else {
      current += char
      inWord = true
    }

    at++
  }

  if (inWord) args.push(current)
  return args
}

/** Starts a program detached from the listener, so that closing the listener leaves the user's apps open. */
export async function launch([file, args]: Argv): Promise<void> {
  const {execa} = await import('execa')
  const child = execa(file, args, {detached: true, stdio: 'ignore', reject: false, shell: false}).nodeChildProcess
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve())
    child.once('error', reject)
  })
  child.unref()
}

/** Opens a page of callctl's own (`callctl open`) in the default browser. */
export async function openInBrowser(url: string): Promise<void> {
  const argv = urlOpener(url)
  try {
    await launch(argv)
  } catch (error) {
    throw new CallctlError(`Cannot open the browser: ${argv[0]} failed (${(error as Error).message})`, {
      code: 'ERR_OPEN',
      suggestions: [`Open ${url} in your browser yourself`],
    })
  }
}
