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

/**
 * Splits a Wildix "Popup App" line into an argument array: words, "double-quoted" or “curly-quoted” paths with
 * spaces, and `^&` (cmd.exe's escape, written for Windows) read as a plain `&`.
 */
export function parseCommandLine(line: string): string[] {
  const args: string[] = []
  let current = ''
  let quote: string | undefined
  let inWord = false
  const text = line.replaceAll('^&', '&')
  for (const char of text) {
    if (quote) {
      if (char === quote || (quote === '\u201C' && char === '\u201D')) quote = undefined
      else current += char
    } else if (char === '"' || char === '\u201C' || char === '\u201D') {
      quote = char === '\u201D' ? '\u201C' : char
      inWord = true
    } else if (/\s/.test(char)) {
      if (inWord) args.push(current)
      current = ''
      inWord = false
    } else {
      current += char
      inWord = true
    }
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
