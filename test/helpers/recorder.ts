import {existsSync, mkdtempSync, readFileSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {ROOT} from './paths.js'

/**
 * Real executables on a PATH of their own (`xdg-open`, `crm-app`, ...) that record the argv they were started with,
 * so tests see exactly what callctl launched.
 */
export function argvRecorder(names: string[]) {
  const bin = mkdtempSync(path.join(tmpdir(), 'callctl-bin-'))
  const file = path.join(bin, 'calls.jsonl')
  for (const name of names) symlinkSync(path.join(ROOT, 'test/fixtures/record-argv.cjs'), path.join(bin, name))
  return {
    bin,
    env: {PATH: `${bin}${path.delimiter}${process.env.PATH}`, RECORD_FILE: file},
    calls(): Array<{name: string; args: string[]}> {
      return existsSync(file)
        ? readFileSync(file, 'utf8')
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line))
        : []
    },
  }
}
