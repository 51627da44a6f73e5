import {CREDENTIAL_NAMES, type Infer, s} from '../config/schema.js'
import type {SettingsSlice} from '../config/settings.js'

const source = s.object({
  csv: s.string({minLength: 1, description: 'a CSV file of number,name rows (a header row is optional)'}),
  vcard: s.string({minLength: 1, description: 'a vCard file (.vcf): TEL and FN of each card'}),
  url: s.string({
    pattern: '^https?://',
    description: 'an HTTP lookup URL template such as https://crm.example.com/lookup?number={CALLERNUM}',
  }),
  namePath: s.string({
    minLength: 1,
    description: 'where the name is in a JSON answer, dotted: contact.name, results.0.name',
  }),
  // Values of credential headers (Authorization, X-Api-Key, ...) are secrets.
  headers: s.record(s.string(), {secretKeys: CREDENTIAL_NAMES}),
})

/** Caller-name lookup: where a name the phone does not know comes from (README "Caller names"). */
export const lookupSettings = {
  lookup: s.object({
    sources: s.array(source, {
      default: [],
      description:
        'ordered list of {"csv": PATH}, {"vcard": PATH}, {"url": TEMPLATE, "namePath": ..., "headers": {...}}',
    }),
    timeoutMs: s.integer({
      minimum: 10,
      maximum: 10_000,
      default: 300,
      description: 'the most a popup or notification waits for a name, in ms',
    }),
    cacheSeconds: s.integer({
      minimum: 0,
      default: 600,
      description: 'how long an HTTP lookup answer (found or not) is reused; 0: not cached',
    }),
    lastDigits: s.integer({
      minimum: 4,
      maximum: 32,
      description: 'match numbers on their last N digits (+31 20 123 4567 = 020 123 4567 with 9)',
    }),
    overridePhoneName: s.boolean({
      default: false,
      description: "true: a name found replaces the phone's own display name; false: only fills a missing one",
    }),
  }),
}

export type LookupSettings = Infer<ReturnType<typeof s.object<typeof lookupSettings>>>
export type LookupSourceConfig = Infer<typeof source>

export const lookupSlice: SettingsSlice = {
  properties: lookupSettings,
  checks: async () => (await import('./settings-checks.js')).lookupChecks,
}
