import {ConfigError, RequestError} from '../errors.js'

export interface NumberLists {
  allow: string[]
  block: string[]
}

type Matcher = {entry: string; test: (number: string) => boolean}

/**
 * `numbers.allow` / `numbers.block`: each entry is a prefix (`0900`, `+31900`; spaces and dashes ignored) or a
 * regular expression between slashes (`/^\+88[0-9]/`). Block wins; a non-empty allow list admits only its matches.
 */
export function compileNumberPolicy(lists: NumberLists): (number: string) => void {
  const block = lists.block.map((entry) => matcher('numbers.block', entry))
  const allow = lists.allow.map((entry) => matcher('numbers.allow', entry))
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

function matcher(key: string, entry: string): Matcher {
  const regex = /^\/(.+)\/$/.exec(entry)
  if (regex) {
    try {
      const pattern = new RegExp(regex[1])
      return {entry, test: (number) => pattern.test(number)}
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

  return {entry, test: (number) => number.startsWith(prefix)}
}
