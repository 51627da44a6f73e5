/**
 * The one `--json` shape of every command: `{"ok": true, ...result}` on success, `{"ok": false, "error": {code,
 * message, hints}}` on failure. Kept free of oclif so that the fast path of bin/run.js prints the same thing.
 */

export interface JsonError {
  ok: false
  error: {code: string; message: string; hints: string[]}
}

export function successJson<T extends object>(result: T): {ok: true} & T {
  return {ok: true, ...result}
}

export function errorJson(error: {code?: string; message: string; suggestions?: string[]; data?: object}): JsonError {
  const shape: JsonError = {
    ok: false,
    error: {code: error.code ?? 'ERR_UNEXPECTED', message: error.message, hints: error.suggestions ?? []},
  }
  // What the failed command still reports (doctor's checks) goes after `ok` and `error`, and cannot replace them.
  return {...shape, ...error.data, ...shape}
}

/** As printed: indented like oclif's `logJson`, so that both paths write identical bytes. */
export function formatJson(json: object): string {
  return `${JSON.stringify(json, null, 2)}\n`
}
