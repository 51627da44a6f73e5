import {ListenerClient} from '../client.js'
import {answerCall, endCall, type Forwarded, makeCall, showStatus} from './forwarding.js'

interface Parsed {
  command: 'make' | 'answer' | 'end' | 'status'
  number?: string
  port?: number
  callId?: string
  json: boolean
}

/**
 * `make`, `answer`, `end` and `status` without loading oclif: loading its command machinery costs more than the
 * whole request, and these are what a CRM click or a hotkey runs. Only the plain argv shapes are taken here; help,
 * unknown flags, bad values and anything else go to oclif, which owns all usage errors.
 */
export function parseFast(argv: string[]): Parsed | undefined {
  const [command, ...rest] = argv
  if (command !== 'make' && command !== 'answer' && command !== 'end' && command !== 'status') return undefined
  const parsed: Parsed = {command, json: false}
  const positional: string[] = []
  for (let i = 0; i < rest.length; i++) {
    const token = rest[i]
    const [flag, inline] = token.startsWith('--') && token.includes('=') ? [token.slice(0, token.indexOf('=')), token.slice(token.indexOf('=') + 1)] : [token, undefined]
    const value = () => inline ?? rest[++i]
    if (flag === '--json' && inline === undefined) {
      // oclif colours JSON for a terminal; piped output (scripts) is plain JSON, which is what is printed here.
      if (process.stdout.isTTY) return undefined
      parsed.json = true
    } else if (flag === '--port' || flag === '-p') {
      const port = Number(value())
      if (!Number.isInteger(port) || port < 1 || port > 65_535) return undefined
      parsed.port = port
    } else if (flag === '--call' && (command === 'answer' || command === 'end')) {
      const id = value()
      if (id === undefined || id.startsWith('-')) return undefined
      parsed.callId = id
    } else if (token.startsWith('-')) {
      return undefined
    } else {
      positional.push(token)
    }
  }

  if (command === 'make') {
    if (positional.length !== 1) return undefined
    parsed.number = positional[0]
  } else if (positional.length > 0) {
    return undefined
  }

  return parsed
}

/** Runs a forwarding command if `parseFast` takes its argv; returns false to hand it to oclif. */
export async function runFast(argv: string[]): Promise<boolean> {
  const parsed = parseFast(argv)
  if (!parsed) return false
  try {
    const client = new ListenerClient({port: parsed.port})
    const result = await forward(client, parsed)
    process.stdout.write(parsed.json ? `${JSON.stringify(result.data, null, 2)}\n` : `${result.lines.join('\n')}\n`)
  } catch (error) {
    // Failures are rare and not on the budget: report them through oclif, exactly as the command classes do.
    const {reportError} = await import('./base-command.js')
    await reportError(error, parsed.json)
  }

  return true
}

async function forward(client: ListenerClient, {command, number, callId}: Parsed): Promise<Forwarded<unknown>> {
  switch (command) {
    case 'make': {
      return makeCall(client, number!)
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
  }
}
