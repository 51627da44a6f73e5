import {ConfigError, RequestError} from '../errors.js'

export interface NumberLists {
  allow: string[]
  block: string[]
}

type Matcher = {entry: string; test: (number: string) => boolean}

/** The forms a number is also matched in (see src/dialing/rules.ts matchForms); the number itself by default. */
export type NumberForms = (number: string) => string[]

/**
 * `numbers.allow` / `numbers.block`: each entry is a prefix (`0900`, `+31900`; spaces and dashes ignored) or a
 * regular expression between slashes (`/^\+88[0-9]/`). Block wins; a non-empty allow list admits only its matches.
 */
export function compileNumberPolicy(
  lists: NumberLists,
  forms: NumberForms = (number) => [number],
): (number: string) => void {
  const block = lists.block.map((entry) => matcher('numbers.block', entry, forms))
  const allow = lists.allow.map((entry) => matcher('numbers.allow', entry, forms))
  return (number) => {
    const blocked = block.find((m) => m.test(number))
    if (blocked) {
      throw new RequestError(
        `Refused make: ${number} matches numbers.block entry "${blocked.entry}"; remove that entry to allow it`,
        'ERR_NUMBER_BLOCKED',
        403,
      )
    }

    if (allow.length > 0 && !allow.some((m) => m.test(number))) {
      throw new RequestError(
        `Refused make: ${number} matches no numbers.allow entry; add a matching prefix to numbers.allow to allow it`,
        'ERR_NUMBER_NOT_ALLOWED',
        403,
      )
    }
  }
}

/**
 * An entry matches when it matches any form of the number (as dialled, international, ...); a prefix entry is
 * itself taken in each of its forms, so `0900` and `+31900` mean the same once the country code is known.
 */
function matcher(key: string, entry: string, forms: NumberForms): Matcher {
  const regex = /^\/(.+)\/$/.exec(entry)
  if (regex) {
    try {
      const pattern = new RegExp(regex[1])
      return {entry, test: (number) => forms(number).some((form) => pattern.test(form))}
    } catch (error) {
      throw new ConfigError(`Invalid pattern ${entry} in ${key}: ${(error as Error).message}`)
    }
  }

  const prefix = entry.replaceAll(/[\s\-.()]/g, '')
  if (!/^\+?[0-9*#]+$/.test(prefix)) {
    throw new ConfigError(
      `Invalid entry "${entry}" in ${key}: use a number prefix such as 0900 or a /regular expression/`,
    )
  }

  const prefixes = forms(prefix)
  return {entry, test: (number) => forms(number).some((form) => prefixes.some((p) => form.startsWith(p)))}
}
