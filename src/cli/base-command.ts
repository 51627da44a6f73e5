import {Command, Errors, Flags, type Interfaces} from '@oclif/core'

import {CallctlError, ExitCode, isCallctlError} from '../errors.js'
import {errorJson, formatJson, successJson} from './json.js'
import {printable} from './printable.js'

export const EXIT_CODES_HELP = `EXIT CODES
  0  success
  1  unexpected failure
  2  usage error: bad flag, argument or config value
  3  no listener running (or not answering) on the port
  4  refused by the listener (bad number, nothing to answer or end, ...)
  5  the phone backend (driver) failed
  6  the listener could not start (port busy, address unavailable, config folder in use)
  7  the browser could not be opened (its opener failed): the error names the address to open yourself
  127  not a callctl command`

/**
 * Shared flags and the one place where domain errors become exit codes and `Error:` / `Try this:` output.
 */
export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true

  protected override async catch(error: Interfaces.CommandError): Promise<unknown> {
    const cli = toCliError((await explained(error)) as Interfaces.CommandError)
    process.exitCode = cli.oclif.exit
    // listen, events and logs stream records, one per line, with a --json flag of their own: their failure is one
    // more line, in the one shape.
    if (!this.jsonEnabled() && this.argv.includes('--json')) {
      this.log(JSON.stringify(errorJson(cli)))
      return
    }

    return super.catch(cli)
  }

  /**
   * oclif's own argument parsers (`Args.integer`) throw plain errors, which would end as "unexpected failure"
   * (exit 1): whatever fails while reading the command line is a usage error (exit 2), for every command.
   */
  protected override async parse<
    F extends Record<string, unknown>,
    B extends Record<string, unknown>,
    A extends Record<string, unknown>,
  >(options?: Interfaces.Input<F, B, A>, argv?: string[]): Promise<Interfaces.ParserOutput<F, B, A>> {
    try {
      return await super.parse(options, argv)
    } catch (error) {
      if (error instanceof CallctlError || (error as Errors.CLIError).oclif?.exit !== undefined) throw error
      throw new CallctlError((error as Error).message, {
        code: 'ERR_USAGE',
        exit: ExitCode.usage,
        suggestions: [`callctl ${(this.id ?? '').replaceAll(':', ' ')} --help says what it takes`],
      })
    }
  }

  protected override toSuccessJson(result: unknown): unknown {
    return successJson(result as object)
  }

  protected override toErrorJson(error: unknown): unknown {
    return errorJson(error as Errors.CLIError)
  }
}

/** Adds `--port` to the commands that talk to a running listener. */
export abstract class ListenerCommand extends BaseCommand {
  static override baseFlags = {
    port: Flags.integer({
      char: 'p',
      min: 1,
      max: 65_535,
      description: 'port of the running listener [default: config `port`, else 5678]',
      helpGroup: 'LISTENER',
    }),
  }
}

/** Reports an error as a command would (text or `--json`, exit code): for the fast path of bin/run.js. */
export async function reportError(error: unknown, json: boolean, {stream = false} = {}): Promise<void> {
  const cli = toCliError((await explained(error)) as Interfaces.CommandError)
  if (json) {
    process.exitCode = cli.oclif.exit
    // A stream (listen --json) prints one record per line: its failure is one more line.
    process.stdout.write(stream ? `${JSON.stringify(errorJson(cli))}\n` : formatJson(errorJson(cli)))
    return
  }

  await Errors.handle(cli)
}

/** A failure said with what callctl can find out about it (no listener on the port: where this folder's runs). */
async function explained(error: unknown): Promise<unknown> {
  if (!isCallctlError(error) || error.code !== 'ERR_NO_LISTENER') return error
  const {explainNoListener} = await import('../client.js')
  return explainNoListener(error)
}

function toCliError(error: Interfaces.CommandError): Errors.CLIError & {oclif: {exit: number}} {
  if (isCallctlError(error)) {
    // Messages and hints may quote the network (a listener's answer, a caller's name): never raw to the terminal.
    return Object.assign(
      new Errors.CLIError(printable(error.message), {
        code: error.code,
        exit: error.exit,
        suggestions: printable(error.suggestions),
      }),
      {code: error.code, data: error.data},
    ) as never
  }

  // oclif's own parse errors already carry exit 2; anything unexpected is reported without a stack trace.
  const exit = (error as Errors.CLIError).oclif?.exit
  if (exit !== undefined)
    return Object.assign(error, {
      code: (error as Errors.CLIError).code ?? (exit === ExitCode.usage ? 'ERR_USAGE' : 'ERR_FAILED'),
    }) as never
  return Object.assign(new Errors.CLIError(error.message, {exit: ExitCode.failure}), {code: 'ERR_UNEXPECTED'}) as never
}
