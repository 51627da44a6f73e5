import {confirmCommand, notifyCommand, promptAnswer} from '../../src/handler/alert.js'

const none = () => false
const only =
  (...programs: string[]) =>
  (program: string) =>
    programs.includes(program)

// Text from a link: it must stay one argument (or an environment value), never become code.
const hostile = `"); do shell script "rm -rf ~" --'$(reboot)`

describe('desktop notifications and prompts (argv: osascript and PowerShell cannot run here)', () => {
  test('argv: macOS notification and prompt read the text from argv, never from the script', () => {
    expect(notifyCommand('callctl', hostile, 'darwin', none)).toEqual({
      argv: [
        'osascript',
        [
          '-e',
          'on run argv',
          '-e',
          'display notification (item 2 of argv) with title (item 1 of argv)',
          '-e',
          'end run',
          'callctl',
          hostile,
        ],
      ],
    })
    expect(confirmCommand('callctl', hostile, 'darwin', none)?.argv[1].slice(-2)).toEqual(['callctl', hostile])
  })

  test('argv: Windows message boxes read the text from the environment', () => {
    const notify = notifyCommand('callctl', hostile, 'win32', none)
    expect(notify?.argv[0]).toBe('powershell.exe')
    expect(notify?.argv[1].slice(0, 5)).toEqual([
      '-NoProfile',
      '-NonInteractive',
      '-ExecutionPolicy',
      'Bypass',
      '-Command',
    ])
    expect(notify?.argv[1][5]).not.toContain(hostile)
    expect(notify?.argv[1][5]).toContain('$env:CALLCTL_ALERT_MESSAGE')
    expect(notify?.env).toEqual({CALLCTL_ALERT_TITLE: 'callctl', CALLCTL_ALERT_MESSAGE: hostile})
    const confirm = confirmCommand('callctl', 'Call 030123?', 'win32', none)
    expect(confirm?.argv[1][5]).toContain("-eq 'OK') { exit 0 } else { exit 2 }")
  })

  test('argv: Linux uses notify-send when present (after --), zenity then kdialog to ask, nothing otherwise', () => {
    expect(notifyCommand('callctl', '-x', 'linux', only('notify-send'))).toEqual({
      argv: ['notify-send', ['--app-name=callctl', '--', 'callctl', '-x']],
    })
    expect(notifyCommand('callctl', 'm', 'linux', none)).toBeUndefined()
    expect(confirmCommand('callctl', 'Call 030123?', 'linux', only('zenity', 'kdialog'))?.argv).toEqual([
      'zenity',
      ['--question', '--no-markup', '--title=callctl', '--text=Call 030123?'],
    ])
    expect(confirmCommand('callctl', 'Call 030123?', 'linux', only('kdialog'))?.argv).toEqual([
      'kdialog',
      ['--title', 'callctl', '--yesno', 'Call 030123?'],
    ])
    expect(confirmCommand('callctl', 'Call 030123?', 'linux', none)).toBeUndefined()
  })

  test("a prompt's exit is the user's answer only when it is the program's own no; any other failure put no question", () => {
    const exit = (exitCode: number | undefined, stderr = '') => ({exitCode, stderr})
    expect(promptAnswer('zenity', exit(0))).toBe('yes')
    expect(promptAnswer('zenity', exit(1, 'Gtk-Message: GtkDialog mapped without a transient parent'))).toBe('no')
    expect(promptAnswer('zenity', exit(1, 'Gtk-WARNING **: cannot open display: :0'))).toEqual({
      failed: 'exited with code 1: Gtk-WARNING **: cannot open display: :0',
    })
    expect(promptAnswer('kdialog', exit(2))).toBe('no')
    expect(promptAnswer('kdialog', exit(134))).toEqual({failed: 'exited with code 134'})
    expect(promptAnswer('osascript', exit(1, '29:160: execution error: User canceled. (-128)'))).toBe('no')
    expect(promptAnswer('osascript', exit(1, 'execution error: Not authorized to send Apple events (-1743)'))).toEqual({
      failed: 'exited with code 1: execution error: Not authorized to send Apple events (-1743)',
    })
    // PowerShell exits 1 when its script fails; the script's own no is 2.
    expect(promptAnswer('powershell.exe', exit(2))).toBe('no')
    expect(promptAnswer('powershell.exe', exit(1, 'Add-Type : Cannot add type.'))).toMatchObject({
      failed: expect.any(String),
    })
    expect(promptAnswer('zenity', exit(undefined))).toEqual({failed: 'did not run'})
    expect(promptAnswer('zenity', {exitCode: undefined, stderr: '', timedOut: true})).toBe('no')
  })
})
