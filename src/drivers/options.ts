/**
 * Each driver's settings and their defaults, apart from the drivers themselves: the config schema shows these
 * defaults (`callctl config get driver.baresip.port`), and the config is read by commands that must not load a
 * driver's code.
 */

export interface BaresipOptions {
  /** ctrl_tcp address of the baresip to drive. */
  host: string
  port: number
  /** What `make` dials: `{NUMBER}` and `{DOMAIN}` (the account's domain) are filled in. */
  dialUri: string
  /** The SIP account, as a line of baresip's `accounts` file. */
  account: string
  /** Start baresip with a generated headless config (`callctl listen --spawn`) instead of attaching. */
  spawn: boolean
  binary: string
  sipListen: string
  rtpPorts: string
  modulePath: string
  commandTimeoutMs: number
}

export const BARESIP_DEFAULTS: BaresipOptions = {
  host: '127.0.0.1',
  port: 4444,
  dialUri: 'sip:{NUMBER}@{DOMAIN}',
  account: '<sip:callctl@127.0.0.1>;regint=0',
  spawn: false,
  binary: 'baresip',
  sipListen: '127.0.0.1:5060',
  rtpPorts: '10000-10099',
  modulePath: process.platform === 'darwin' ? '/opt/homebrew/lib/baresip/modules' : '/usr/lib/baresip/modules',
  commandTimeoutMs: 3000,
}

export interface CommandOptions {
  /** argv templates, e.g. ["C:\\Program Files\\MicroSIP\\microsip.exe", "{NUMBER}"]. */
  make?: string[]
  answer?: string[]
  end?: string[]
  /**
   * True when the softphone reports answer and end itself (hooks running `callctl notify active|end`); false to
   * have callctl mark the call when the command succeeds.
   */
  hooks: boolean
  timeoutMs: number
}

export const COMMAND_DEFAULTS: CommandOptions = {hooks: true, timeoutMs: 10_000}
