import type {ActionCommand} from '../client.js'
import type {Forwarded} from './forwarding.js'
import {formatJson, successJson} from './json.js'

type Kind = 'port' | 'listenPort' | 'string' | 'boolean'

/** The flags each command takes on the fast path; anything not listed goes to oclif. */
const COMMANDS: Record<string, {flags: Record<string, Kind>; positional: number}> = {
  make: {flags: {'--port': 'port', '-p': 'port', '--json': 'boolean'}, positional: 1},
  answer: {flags: {'--port': 'port', '-p': 'port', '--json': 'boolean', '--call': 'string'}, positional: 0},
  end: {flags: {'--port': 'port', '-p': 'port', '--json': 'boolean', '--call': 'string'}, positional: 0},
  status: {flags: {'--port': 'port', '-p': 'port', '--json': 'boolean'}, positional: 0},
  // What a clicked tel: link runs (the link handler passes --notify).
  dial: {
    flags: {
      '--port': 'port',
      '-p': 'port',
      '--json': 'boolean',
      '--notify': 'boolean',
      '--dry-run': 'boolean',
      '--config-dir': 'string',
    },
    positional: 1,
  },
  ...Object.fromEntries(
    (['reject', 'hold', 'resume', 'transfer', 'dtmf', 'mute', 'unmute'] as const).map((action) => [
      action,
      {
        flags: {'--port': 'port', '-p': 'port', '--json': 'boolean', '--call': 'string'} as Record<string, Kind>,
        positional: action === 'transfer' || action === 'dtmf' ? 1 : 0,
      },
    ]),
  ),
  history: {
    flags: {
      '--since': 'string',
      '--number': 'string',
      '--result': 'string',
      '--limit': 'string',
      '--json': 'boolean',
      '--csv': 'boolean',
    },
    positional: 0,
  },
  listen: {
    flags: {
      '--port': 'listenPort',
      '-p': 'listenPort',
      '--host': 'string',
      '--driver': 'string',
      '--json': 'boolean',
      '--spawn': 'boolean',
    },
    positional: 0,
  },
}

export interface Parsed {
  command: string
  flags: Record<string, string | number | boolean>
  positional: string[]
}

/**
 * Commands on a start-up budget run without loading oclif, whose command machinery costs more than what they do:
 * `make`, `answer`, `end`, `status` and the in-call actions are what a CRM click or a hotkey runs, `listen` what a login item starts.
 * Only plain argv shapes are taken; help, unknown flags, bad values and anything else go to oclif, which owns
 * every usage error.
 */
export function parseFast(argv: string[]): Parsed | undefined {
  const [command, ...rest] = argv
  const spec = Object.hasOwn(COMMANDS, command ?? '') ? COMMANDS[command] : undefined
  if (!spec) return undefined
  const parsed: Parsed = {command, flags: {}, positional: []}
  for (let i = 0; i < rest.length; i++) {
    const token = rest[i]
    // A number may start with a dash only as a typo; `-`, `--` and options are oclif's to report.
    if (!token.startsWith('-')) {
      // An empty number is a usage error, oclif's to report.
      if (token.trim() === '') return undefined
      parsed.positional.push(token)
      continue
    }

    const equals = token.startsWith('--') ? token.indexOf('=') : -1
    const flag = equals === -1 ? token : token.slice(0, equals)
    const kind = Object.hasOwn(spec.flags, flag) ? spec.flags[flag] : undefined
    if (!kind) return undefined
    const name = flag === '-p' ? '--port' : flag
    // A repeated flag is oclif's usage error ("can only be specified once"), whatever form it was given in.
    if (Object.hasOwn(parsed.flags, name.slice(2))) return undefined
    if (kind === 'boolean') {
      if (equals !== -1) return undefined
      parsed.flags[name.slice(2)] = true
      continue
    }

    const value = equals === -1 ? rest[++i] : token.slice(equals + 1)
    if (value === undefined || value === '' || value.startsWith('-')) return undefined
    if (kind === 'string') {
      parsed.flags[name.slice(2)] = value
      continue
    }

    const port = Number(value)
    if (!/^\d+$/.test(value) || port > 65_535 || (kind === 'port' && port < 1)) return undefined
    parsed.flags.port = port
  }

  if (parsed.positional.length !== spec.positional) return undefined
  // oclif colours JSON for a terminal; piped output (scripts) is plain JSON, which is what is printed here.
  if (parsed.flags.json && command !== 'listen' && process.stdout.isTTY) return undefined
  // Both at once is oclif's usage error.
  if (parsed.flags.json && parsed.flags.csv) return undefined
  return parsed
}

let quiet = false

/**
 * A reader that went away (`callctl status | head -1`, `callctl events | head -1`) ends the command quietly. Set up
 * only when there is something to print: creating `process.stdout` loads node:stream's internals, which a command
 * should not pay for before its request is on the wire.
 */
export function quietOnClosedPipe(): void {
  if (quiet) return
  quiet = true
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error
    // A failure keeps its exit code (set before its --json is printed); a success stays 0.
    process.exit(process.exitCode ?? 0)
  })
}

/** A command's answer, printed once it is in. */
function print(text: string): void {
  quietOnClosedPipe()
  process.stdout.write(text)
}

/** Runs the command if `parseFast` takes its argv; returns false to hand it to oclif. */
export async function runFast(argv: string[]): Promise<boolean> {
  const parsed = parseFast(argv)
  if (!parsed) return false
  const json = parsed.flags.json === true
  // history prints as it goes, the others once, after their request. listen outlives its console's reader
  // (src/cli/listen.ts).
  if (parsed.command === 'history') quietOnClosedPipe()
  try {
    if (parsed.command === 'listen') {
      if (!(await listen(parsed))) return false
    } else if (parsed.command === 'dial') {
      const {dial} = await import('../handler/dial.js')
      const {data, lines, warnings} = await dial(parsed.positional[0], {
        port: parsed.flags.port as number | undefined,
        dryRun: parsed.flags['dry-run'] === true,
        notify: parsed.flags.notify === true,
        configDir: parsed.flags['config-dir'] as string | undefined,
      })
      // As the command class prints them (oclif leaves warnings out of --json: they are in the document).
      if (!json) for (const warning of warnings) process.stderr.write(`Warning: ${warning}\n`)
      print(json ? formatJson(successJson(data)) : `${lines.join('\n')}\n`)
    } else if (parsed.command === 'history') {
      await history(parsed)
    } else {
      const result = await forward(parsed)
      print(json ? formatJson(successJson(result.data)) : `${result.lines.join('\n')}\n`)
    }
  } catch (error) {
    // Failures are rare and not on the budget: report them through oclif, exactly as the command classes do.
    quietOnClosedPipe()
    const {reportError} = await import('./base-command.js')
    await reportError(error, json, {stream: parsed.command === 'listen'})
  }

  return true
}

/**
 * Loaded here rather than at the top: `history` reads the store and needs neither the config nor the client, and
 * these two bring in every feature's settings. (In the bundle of bin/run.js they are in the same file, initialised
 * only when imported: build/bundle-fast-path.js.)
 */
async function forward({command, flags, positional}: Parsed): Promise<Forwarded<object>> {
  const [{ListenerClient}, {actOnCall, answerCall, endCall, makeCall, showStatus}] = await Promise.all([
    import('../client.js'),
    import('./forwarding.js'),
  ])
  const client = new ListenerClient({port: flags.port as number | undefined})
  const callId = flags.call as string | undefined
  switch (command) {
    case 'make': {
      return makeCall(client, positional[0])
    }

    case 'answer': {
      return answerCall(client, callId)
    }

    case 'end': {
      return endCall(client, callId)
    }

    case 'status': {
      return showStatus(client)
    }

    default: {
      return actOnCall(client, command as ActionCommand, callId, positional[0])
    }
  }
}

async function history({flags}: Parsed): Promise<void> {
  const {printHistory} = await import('./history.js')
  await printHistory(
    {
      since: flags.since as string | undefined,
      number: flags.number as string | undefined,
      result: flags.result as string | undefined,
      limit: flags.limit as string | undefined,
    },
    flags.json ? 'json' : flags.csv ? 'csv' : 'text',
  )
}

/** Runs the listener; false for a `--driver` callctl does not have, whose usage error is oclif's. */
async function listen({flags}: Parsed): Promise<boolean> {
  const [{runListen, DRIVER_NAMES}, {packageRoot}] = await Promise.all([
    import('./listen.js'),
    import('../wrappers/install.js'),
  ])
  // Checked here, with the registry the listener loads anyway: the drivers' names are not kept twice.
  if (flags.driver !== undefined && !(DRIVER_NAMES as readonly string[]).includes(String(flags.driver))) return false
  const {readFileSync} = process.getBuiltinModule('node:fs')
  const {version} = JSON.parse(readFileSync(`${packageRoot()}/package.json`, 'utf8')) as {
    version: string
  }
  await runListen(flags, {version})
  return true
}
