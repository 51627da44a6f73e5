import {type Infer, s} from '../config/schema.js'
import type {SettingsSlice} from '../config/settings.js'

const segment = s.string({pattern: '^[A-Za-z0-9_~-]+$', description: 'one URL path segment: letters, digits, _ ~ -'})
const command = (name: string) => s.string({...segment, default: name})

/** The call actions whose URL segment is configurable, besides make, answer and end. */
export const ACTION_COMMANDS = ['reject', 'hold', 'resume', 'transfer', 'dtmf', 'mute', 'unmute'] as const

/** The listener's own settings: where it listens, its URLs, and who may use them (README "Security"). */
export const listenerSettings = {
  port: s.integer({minimum: 1, maximum: 65_535, default: 5678, description: 'TCP port of the listener'}),
  host: s.string({
    pattern: '^[A-Za-z0-9._:%\\[\\]-]+$',
    default: '127.0.0.1',
    description: 'address the listener binds to: a host name or an IP address',
  }),
  commands: s.object({
    make: command('make'),
    answer: command('answer'),
    end: command('end'),
    reject: command('reject'),
    hold: command('hold'),
    resume: command('resume'),
    transfer: command('transfer'),
    dtmf: command('dtmf'),
    mute: command('mute'),
    unmute: command('unmute'),
  }),

  // Several calls at once (README "Several calls").
  calls: s.object({
    holdOnAnswer: s.boolean({
      default: true,
      description: 'answering a second call puts the active one on hold first (when the driver can hold)',
    }),
  }),

  // Desk-phone URLs (README "Clients written for desk phones").
  compat: s.object({
    yealink: s.boolean({default: false, description: 'accept Yealink Action URIs (/servlet?key=...)'}),
    snom: s.boolean({default: false, description: 'accept Snom remote-control URLs (/command.htm?...)'}),
  }),

  // Security (README "Security"): who may control the phone.
  security: s.object({
    token: s.string({
      minLength: 16,
      pattern: '^[\\x21-\\x7E]+$',
      description: 'shared secret every request must carry (printable ASCII, no spaces); --generate makes one',
      secret: true,
    }),
    allowedOrigins: s.array(
      s.string({pattern: '^https?://[^/?#]+$', description: 'an origin such as https://crm.example.com'}),
      {
        default: [],
        description: 'web origins (https://crm.example.com) that may call the listener with CORS',
      },
    ),
    allowedHosts: s.array(s.string({pattern: '^[A-Za-z0-9.-]+$', description: 'a host name'}), {
      default: [],
      description: 'Host header names accepted besides localhost, 127.0.0.1 and [::1]',
    }),
    checkHost: s.boolean({
      default: true,
      description: 'refuse requests whose Host header is not a name of this listener',
    }),
    confirmLinks: s.boolean({
      default: true,
      description:
        'links opened from other sites, typed, bookmarked or opened from other apps get a confirmation page instead of a 403',
    }),
    makeRateLimit: s.integer({minimum: 0, default: 20, description: 'most `make` requests a minute; 0 for no limit'}),
  }),
  numbers: s.object({
    allow: s.array(s.string(), {
      default: [],
      description: 'prefixes, /patterns/ or exact SIP URIs; when set, only these may be dialled',
    }),
    block: s.array(s.string(), {
      default: [],
      description: 'prefixes, /patterns/, SIP URIs or @hosts that may never be dialled',
    }),
  }),
}

export type ListenerSettings = Infer<ReturnType<typeof s.object<typeof listenerSettings>>>

/** What the listener's socket is bound to: a change needs a restart. Every other setting applies while it runs. */
export const RESTART_KEYS: readonly string[] = ['port', 'host']

export const listenerSlice: SettingsSlice = {
  properties: listenerSettings,
  restart: RESTART_KEYS,
  // Loaded by `config set` and `listen` only: the forwarding commands read the config without these.
  checks: async () => (await import('./settings-checks.js')).listenerChecks,
}
