import type {Errors as OclifErrors, Hook} from '@oclif/core'

import {errorJson, formatJson} from '../json.js'

/**
 * With spaces between topics and commands, oclif reads `callctl end sim-123` as a command "end sim-123" and finds
 * none. A command given an argument it does not take is a usage error of that command (exit 2, in the --json shape
 * too), so it runs and its own parser says what is wrong. Anything else is a typo: @oclif/plugin-not-found offers
 * the closest command in a terminal, or fails with exit 127.
 */
const hook: Hook<'command_not_found'> = async function (options) {
  const [first, ...rest] = options.id.split(':')
  const argv = options.argv ?? []
  const isTopic = options.config.commandIDs.some((id) => id.startsWith(`${first}:`))
  if (rest.length > 0 && options.config.findCommand(first) && !isTopic) {
    try {
      return await options.config.runCommand(first, [...rest, ...argv])
    } catch (error) {
      // Reported here, as the command would: thrown on, oclif would look for the help of a command "end sim-123".
      const {Errors} = await import('@oclif/core')
      await Errors.handle(
        new Errors.CLIError((error as Error).message, {
          exit: (error as OclifErrors.CLIError).oclif?.exit ?? 1,
          code: (error as OclifErrors.CLIError).code,
        }),
      )
      return undefined
    }
  }

  if (argv.includes('--json')) {
    const words = options.id.split(':').join(' ')
    process.stdout.write(
      formatJson(
        errorJson({
          code: 'ERR_UNKNOWN_COMMAND',
          message: `${words} is not a callctl command`,
          suggestions: ['Run callctl help for a list of available commands'],
        }),
      ),
    )
    this.exit(127)
  }

  const {default: notFound} = await import('@oclif/plugin-not-found')
  return notFound.call(this, options)
}

export default hook
