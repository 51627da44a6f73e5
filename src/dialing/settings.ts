import {type Infer, s} from '../config/schema.js'
import type {SettingsSlice} from '../config/settings.js'

/**
 * Dialing rules (README "Dialing rules"; 3CX's number rules are the model): how a number a CRM or a link gives
 * becomes the number the phone dials. `/make` and `callctl dial` apply the same rules; none change a number until set.
 */
export const dialingSettings = {
  dialing: s.object({
    internationalPrefix: s.string({
      pattern: '^[0-9]{1,4}$',
      default: '00',
      description: 'what is dialled before a country code instead of + (00 in most countries, 011 in North America)',
    }),
    countryCode: s.string({
      pattern: '^[1-9][0-9]{0,2}$',
      description: 'your own country code without + or 00, e.g. 31, 49 or 1',
    }),
    trunkPrefix: s.string({
      pattern: '^[0-9]{0,2}$',
      default: '0',
      description:
        'the national trunk prefix before an area code (0 in most countries, 1 in North America, empty for none)',
    }),
    format: s.oneOf(['keep', 'international', 'national'], {
      default: 'keep',
      description:
        'keep: dial numbers as given; international: +<country code> everywhere; national: numbers of your own country with the trunk prefix, others with the international prefix',
    }),
    strip: s.array(s.string({pattern: '^\\+?[0-9*#]{1,16}$', description: 'a prefix'}), {
      default: [],
      description: 'prefixes removed from the front of a number (the first that matches)',
    }),
    outsideLine: s.string({
      pattern: '^[0-9*#]{1,4}$',
      description: "a PBX's outside-line prefix, dialled before every number longer than dialing.extensionLength",
    }),
    extensionLength: s.integer({
      minimum: 0,
      maximum: 10,
      default: 0,
      description: 'numbers of up to this many digits are internal extensions: no outside line, no length limits',
    }),
    minLength: s.integer({minimum: 1, maximum: 32, description: 'refuse external numbers shorter than this'}),
    maxLength: s.integer({minimum: 1, maximum: 32, description: 'refuse external numbers longer than this'}),
  }),
}

export type DialingSettings = Infer<(typeof dialingSettings)['dialing']>

export const dialingSlice: SettingsSlice = {properties: dialingSettings}
