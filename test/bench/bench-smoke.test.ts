import {execa} from 'execa'
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {ROOT} from '../helpers/paths.js'

interface Row {
  id: string
  value: number
  ratio?: number
  target?: string
  met?: boolean
}

test('npm run bench (smoke run, --quick): every figure measured, each target marked met or not', async () => {
  const out = mkdtempSync(path.join(tmpdir(), 'callctl-bench-test-'))
  const run = await execa(process.execPath, [path.join(ROOT, 'bench', 'run.js'), '--quick', '--out', out], {
    reject: false,
    timeout: 120_000,
  })
  expect(run.stderr).not.toMatch(/Error/)
  expect(run.exitCode).toBe(0)
  const report = JSON.parse(readFileSync(path.join(out, 'latest.json'), 'utf8')) as {
    machine: Record<string, unknown>
    results: Row[]
  }
  expect(report.machine).toMatchObject({node: process.version, quick: true})
  expect(report.results.map((row) => row.id)).toEqual(
    expect.arrayContaining([
      'cli.node',
      'cli.make',
      'cli.dial',
      'cli.answer',
      'cli.end',
      'cli.version',
      'cli.help',
      'http.bare',
      'http.status',
      'http.status.p99',
      'http.cycles',
      'webhook.p50',
      'webhook.p99',
      'memory.idle',
      'memory.growth',
      'startup.listen',
    ]),
  )
  for (const row of report.results) {
    // A section whose program is missing here (baresip) reports a skipped row with a note and no figure.
    if (row.id.endsWith('.skipped')) continue
    expect(Number.isFinite(row.value)).toBe(true)
    if (row.target) expect(typeof row.met).toBe('boolean')
  }

  const table = readFileSync(path.join(out, 'latest.md'), 'utf8')
  expect(table.trim()).toBe(run.stdout.trim())
  expect(
    table
      .split('\n')
      .filter((line) => line.startsWith('| ') && !line.startsWith('| Section') && !line.startsWith('| ---')),
  ).toHaveLength(report.results.length)
}, 150_000)

test('npm run bench:profile (short load): the time of each part per request, callctl beside the bare server', async () => {
  const run = await execa(process.execPath, [path.join(ROOT, 'bench', 'profile.js'), 'status', '--seconds', '1'], {
    reject: false,
    timeout: 60_000,
  })
  expect(run.stderr).toBe('')
  expect(run.exitCode).toBe(0)
  const lines = run.stdout.split('\n')
  expect(lines[1]).toMatch(
    /^bare node:http: [\d,]+ req\/s, busy [\d.]+ µs a request; callctl: [\d,]+ req\/s, busy [\d.]+ µs/,
  )
  const part = (name: string) => lines.find((line) => line.startsWith(`| ${name} |`))?.split('|')
  // The bare server runs no callctl code; the listener's request path does (its pipeline, its console and log).
  expect(part('socket send')?.[2].trim()).toMatch(/^\d+\.\d$/)
  expect(part('callctl listener/app.js')?.[2].trim()).toBe('')
  expect(part('callctl listener/app.js')?.[3].trim()).toMatch(/^\d+\.\d$/)
  expect(lines.some((line) => /^\| dispatch listener\/app\.js \(listen\.js:\d+\) \| \d+\.\d \|$/.test(line))).toBe(true)

  const usage = await execa(process.execPath, [path.join(ROOT, 'bench', 'profile.js'), 'bogus'], {reject: false})
  expect(usage.exitCode).toBe(2)
  expect(usage.stderr).toMatch(/Usage: node bench\/profile\.js \[status\|cycles\]/)
})
