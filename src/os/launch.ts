/**
 * Starting apps and opening URLs without a shell: caller names and numbers come from the network, so each value
 * is one argument of an argument array and nothing is ever parsed by a shell.
 */

import {CallctlError, ExitCode} from '../errors.js'

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
export async function launch(argv: Argv): Promise<void> {
  await start(argv)
}

/** What became of an opener in the time it was watched. */
export type OpenerOutcome = {exited: false} | {exited: true; exitCode?: number; signal?: string}

async function start([file, args]: Argv, watchMs = 0): Promise<OpenerOutcome> {
  const {execa} = await import('execa')
  const subprocess = execa(file, args, {detached: true, stdio: 'ignore', reject: false, shell: false})
  const child = subprocess.nodeChildProcess
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve())
    child.once('error', reject)
  })
  let timer: NodeJS.Timeout | undefined
  const outcome = await Promise.race<OpenerOutcome>([
    subprocess.then((result) => ({exited: true, exitCode: result.exitCode, signal: result.signal})),
    new Promise((resolve) => {
      timer = setTimeout(() => resolve({exited: false}), watchMs)
    }),
  ])
  clearTimeout(timer)
  child.unref()
  return outcome
}

/**
 * How long `xdg-open` and `open` are watched for failing: one that finds no way to open the URL exits at once (xdg-open
 * 3, "no method available"; open 1), while xdg-open without a desktop may start the browser itself and run as long
 * as it does, so one still running by then has started something.
 */
export const OPENER_WATCH_MS = 3000

/**
 * Whether an opener's exit code says anything: rundll32.exe does not pass on whether FileProtocolHandler opened the
 * URL (Windows' openers, explorer.exe too, can exit non-zero on success), so on Windows only failing to start counts.
 */
export const openerExitCodeCounts = (platform: NodeJS.Platform): boolean => platform !== 'win32'

/**
 * Opens a page of callctl's own (`callctl open`, handler.confirm's page) in the default browser. `shown` is the
 * address an error names, when `url` holds what must not be printed or logged (the token).
 */
export async function openInBrowser(
  url: string,
  {shown = url, platform = process.platform}: {shown?: string; platform?: NodeJS.Platform} = {},
): Promise<void> {
  const argv = urlOpener(url, platform)
  const counts = openerExitCodeCounts(platform)
  let why: string | undefined
  try {
    const outcome = await start(argv, counts ? OPENER_WATCH_MS : 0)
    if (counts && outcome.exited && outcome.exitCode !== 0)
      why = outcome.signal ? `was ended by ${outcome.signal}` : `exited with code ${outcome.exitCode}`
  } catch (error) {
    why = `could not be started (${(error as Error).message})`
  }

  if (why) {
    throw new CallctlError(`Cannot open the browser: ${argv[0]} ${why}, so ${shown} was not opened`, {
      code: 'ERR_OPEN',
      exit: ExitCode.cannotOpen,
      suggestions: [`Open ${shown} in your browser yourself`],
      data: {url: shown, opener: argv[0], reason: why},
    })
  }
}
