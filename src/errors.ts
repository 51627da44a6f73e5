/**
 * Domain errors. Each carries a stable `code`, the HTTP status the listener answers with, and the exit code the
 * CLI leaves with, so that one table (README "Exit codes") holds for every surface.
 */

export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  noListener: 3,
  refused: 4,
  driver: 5,
  cannotListen: 6,
  cannotOpen: 7,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

/**
 * Marks callctl's errors by a registered symbol, which every copy of this module shares: the fast path of bin/run.js
 * is a bundle with its own copy of these classes, and hands its errors to modules loaded from dist/src (the error
 * report, a dial's auto-start), where `instanceof` would not know them.
 */
const CALLCTL_ERROR = Symbol.for('callctl.error')

export function isCallctlError(error: unknown): error is CallctlError {
  return typeof error === 'object' && error !== null && CALLCTL_ERROR in error
}

export class CallctlError extends Error {
  override name = 'CallctlError'
  readonly [CALLCTL_ERROR] = true
  readonly code: string
  readonly status: number
  readonly exit: ExitCodeValue
  readonly suggestions: string[]
  /** What a failed command still has to report: `--json` prints it beside the error (e.g. doctor's checks). */
  readonly data: object | undefined

  constructor(
    message: string,
    options: {
      code: string
      status?: number
      exit?: ExitCodeValue
      suggestions?: string[]
      cause?: unknown
      data?: object
    },
  ) {
    super(message, {cause: options.cause})
    this.code = options.code
    this.status = options.status ?? 500
    this.exit = options.exit ?? ExitCode.failure
    this.suggestions = options.suggestions ?? []
    this.data = options.data
  }
}

/** The request itself is wrong: the caller can fix it. */
export class RequestError extends CallctlError {
  override name = 'RequestError'
  constructor(message: string, code: string, status = 400, suggestions: string[] = []) {
    super(message, {code, status, exit: ExitCode.refused, suggestions})
  }
}

/** The request is fine but the calls are not in a state that allows it (nothing ringing, already ended). */
export class CallStateError extends CallctlError {
  override name = 'CallStateError'
  constructor(message: string, code = 'ERR_CALL_STATE') {
    super(message, {code, status: 409, exit: ExitCode.refused})
  }
}

/** The phone backend failed or cannot do what was asked. Messages start with `[driver:<name>]`. */
export class DriverError extends CallctlError {
  override name = 'DriverError'
  constructor(
    driver: string,
    message: string,
    options: {code?: string; status?: number; cause?: unknown; suggestions?: string[]} = {},
  ) {
    super(`[driver:${driver}] ${message}`, {
      code: options.code ?? 'ERR_DRIVER',
      status: options.status ?? 502,
      exit: ExitCode.driver,
      cause: options.cause,
      suggestions: options.suggestions,
    })
  }
}

/** A config value or file is wrong. Nothing is written when this is thrown. */
export class ConfigError extends CallctlError {
  override name = 'ConfigError'
  constructor(message: string, suggestions: string[] = [], cause?: unknown) {
    super(message, {code: 'ERR_CONFIG', status: 500, exit: ExitCode.usage, suggestions, cause})
  }
}
