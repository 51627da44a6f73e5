import type {Argv} from '../os/launch.js'

/**
 * Telling the user something where they are, when `callctl dial` runs from a clicked link with no terminal: a
 * desktop notification, and the native yes/no prompt of `handler.confirm`. Text from the link (a number, an error
 * naming it) is untrusted: it reaches the OS program only as an argument or an environment variable, never inside
 * script code.
 */

/** An OS command with the environment its script reads the text from (PowerShell). */
export interface AlertCommand {
  argv: Argv
  env?: Record<string, string>
}

/** Where a program can be found, for choosing between notify-send, zenity and kdialog. */
export type Finder = (program: string) => boolean

// AppleScript reads the text from `argv`: `osascript -e 'on run argv' … title message`.
const OSASCRIPT_NOTIFY = [
  '-e',
  'on run argv',
  '-e',
  'display notification (item 2 of argv) with title (item 1 of argv)',
  '-e',
  'end run',
]

const OSASCRIPT_CONFIRM = [
  '-e',
  'on run argv',
  '-e',
  'display dialog (item 2 of argv) with title (item 1 of argv) buttons {"Cancel", "Call"} default button "Call" cancel button "Cancel"',
  '-e',
  'end run',
]

// PowerShell reads the text from the environment: nothing from the link is parsed as PowerShell.
const POWERSHELL_NOTIFY =
  'Add-Type -AssemblyName System.Windows.Forms; [void][System.Windows.Forms.MessageBox]::Show($env:CALLCTL_ALERT_MESSAGE, $env:CALLCTL_ALERT_TITLE, 0, 48)'
// "No" is exit 2: PowerShell itself exits 1 when the script fails (no desktop, Add-Type refused), which must not
// read as the user's answer.
const POWERSHELL_CONFIRM =
  "Add-Type -AssemblyName System.Windows.Forms; if ([System.Windows.Forms.MessageBox]::Show($env:CALLCTL_ALERT_MESSAGE, $env:CALLCTL_ALERT_TITLE, 1, 32) -eq 'OK') { exit 0 } else { exit 2 }"

const powershell = (script: string, title: string, message: string): AlertCommand => ({
  argv: ['powershell.exe', ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', script]],
  env: {CALLCTL_ALERT_TITLE: title, CALLCTL_ALERT_MESSAGE: message},
})

/** The command that shows `message` as a desktop notification, or undefined where there is none. */
export function notifyCommand(
  title: string,
  message: string,
  platform: NodeJS.Platform,
  has: Finder,
): AlertCommand | undefined {
  switch (platform) {
    case 'darwin': {
      return {argv: ['osascript', [...OSASCRIPT_NOTIFY, title, message]]}
    }

    case 'win32': {
      return powershell(POWERSHELL_NOTIFY, title, message)
    }

    default: {
      // `--` ends notify-send's options: a message starting with a dash is still the message. notify-send has no
      // --no-markup: notification servers read the body as markup (a link in it would be clickable), so it is escaped.
      return has('notify-send')
        ? {argv: ['notify-send', ['--app-name=callctl', '--', title, escapeMarkup(message)]]}
        : undefined
    }
  }
}

/** The body markup of the freedesktop notification spec (a subset of HTML): `&`, `<` and `>` shown as they are. */
export function escapeMarkup(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
}

/** The native yes/no prompt (exit 0: yes), or undefined where there is none (then the status page asks). */
export function confirmCommand(
  title: string,
  question: string,
  platform: NodeJS.Platform,
  has: Finder,
): AlertCommand | undefined {
  switch (platform) {
    case 'darwin': {
      return {argv: ['osascript', [...OSASCRIPT_CONFIRM, title, question]]}
    }

    case 'win32': {
      return powershell(POWERSHELL_CONFIRM, title, question)
    }

    default: {
      // --no-markup: zenity reads --text as Pango markup otherwise.
      if (has('zenity'))
        return {argv: ['zenity', ['--question', '--no-markup', `--title=${title}`, `--text=${question}`]]}
      if (has('kdialog')) return {argv: ['kdialog', ['--title', title, '--yesno', question]]}
      return undefined
    }
  }
}

/**
 * What a prompt's exit says: the user's yes or no, or that no question was put (it could not start, could not reach
 * the display, or failed otherwise). Only a real answer may stop a clicked link; a failed prompt falls back to the
 * status page, so that a click never silently does nothing.
 */
export function promptAnswer(
  program: string,
  {exitCode, stderr, timedOut = false}: {exitCode?: number; stderr: string; timedOut?: boolean},
): 'yes' | 'no' | {failed: string} {
  if (exitCode === 0) return 'yes'
  // A question left unanswered for two minutes was not a yes.
  if (timedOut) return 'no'
  const no =
    program === 'osascript'
      ? // display dialog's Cancel button is error -128, "User canceled."
        exitCode === 1 && stderr.includes('-128')
      : program === 'zenity'
        ? // GTK prints this and exits 1, zenity's "No", when there is no display to show the question on.
          exitCode === 1 && !/cannot open display/i.test(stderr)
        : program === 'kdialog'
          ? exitCode === 1 || exitCode === 2
          : exitCode === 2
  if (no) return 'no'
  const said = stderr.trim().split('\n').at(-1)?.slice(0, 200)
  return {failed: exitCode === undefined ? 'did not run' : `exited with code ${exitCode}${said ? `: ${said}` : ''}`}
}
