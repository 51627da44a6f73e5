import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {openInBrowser} from '../../src/os/launch.js'
import {until} from '../helpers/wait.js'

/** A stand-in opener on PATH: records its argv and exits with `exit`. */
function standIn(name: string, exit: number): {bin: string; calls: () => string[][]} {
  const bin = mkdtempSync(path.join(tmpdir(), 'callctl-opener-'))
  const record = path.join(bin, 'calls.jsonl')
  writeFileSync(
    path.join(bin, name),
    `#!${process.execPath}\nprocess.getBuiltinModule('node:fs').appendFileSync(${JSON.stringify(record)}, JSON.stringify(process.argv.slice(2)) + '\\n')\nprocess.exit(${exit})\n`,
    {mode: 0o755},
  )
  return {
    bin,
    calls: () =>
      existsSync(record)
        ? readFileSync(record, 'utf8')
            .trim()
            .split('\n')
            .map((line) => JSON.parse(line) as string[])
        : [],
  }
}

describe('openInBrowser: when an opener that exits non-zero failed', () => {
  const savedPath = process.env.PATH
  afterEach(() => {
    process.env.PATH = savedPath
  })

  test('Windows (a recorded stand-in for rundll32.exe exiting 1): not a failure, its exit code says nothing', async () => {
    const opener = standIn('rundll32.exe', 1)
    process.env.PATH = `${opener.bin}${path.delimiter}${savedPath}`
    await expect(openInBrowser('http://127.0.0.1:5678/', {platform: 'win32'})).resolves.toBeUndefined()
    // Started, not waited for: its argv arrives a moment later.
    await until(() => opener.calls().length > 0)
    expect(opener.calls()).toEqual([['url.dll,FileProtocolHandler', 'http://127.0.0.1:5678/']])
  })

  test('macOS (a recorded stand-in for open exiting 1): ERR_OPEN, exit 7, naming the shown address, not the token', async () => {
    const opener = standIn('open', 1)
    process.env.PATH = `${opener.bin}${path.delimiter}${savedPath}`
    await expect(
      openInBrowser('http://127.0.0.1:5678/make/1?token=secret', {
        platform: 'darwin',
        shown: 'http://127.0.0.1:5678/make/1',
      }),
    ).rejects.toMatchObject({
      code: 'ERR_OPEN',
      exit: 7,
      message: 'Cannot open the browser: open exited with code 1, so http://127.0.0.1:5678/make/1 was not opened',
    })
    expect(opener.calls()).toEqual([['http://127.0.0.1:5678/make/1?token=secret']])
  })
})
