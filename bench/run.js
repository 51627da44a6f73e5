#!/usr/bin/env node
// `npm run bench`: measures callctl side by side with its baselines and writes bench/results/latest.{md,json}.
//   node bench/run.js [--quick] [--out DIR]
// --quick is a smoke run (a few seconds, for tests); its figures are not the published ones.
import {mkdirSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {parseArgs} from 'node:util'

import {ROOT} from './lib.js'
import {baresipPair} from './sections/baresip.js'
import {cliForwarding, startUp} from './sections/cli.js'
import {history} from './sections/history.js'
import {memory, throughput, webhookLatency} from './sections/listener.js'

const {values: flags} = parseArgs({
  options: {
    quick: {type: 'boolean', default: false},
    out: {type: 'string', default: path.join(ROOT, 'bench', 'results')},
  },
})
// Quick: each figure measured once, on a small load (test/bench/bench-smoke.test.ts runs it with the rest of the tests).
const size = flags.quick
  ? {
      runs: 1,
      rounds: 1,
      seconds: 0.5,
      calls: 20,
      requests: 1000,
      memoryCalls: 100,
      restSamples: 2,
      dials: 3,
      journal: 1000,
    }
  : {
      runs: 25,
      rounds: 3,
      seconds: 5,
      calls: 1000,
      requests: 100_000,
      memoryCalls: 10_000,
      restSamples: 12,
      dials: 20,
      journal: 100_000,
    }

const sections = [
  ['CLI forwarding', () => cliForwarding({runs: size.runs})],
  ['Listener throughput and latency', () => throughput({rounds: size.rounds, seconds: size.seconds})],
  ['Event → webhook latency', () => webhookLatency({calls: size.calls})],
  ['Memory', () => memory({requests: size.requests, calls: size.memoryCalls, samples: size.restSamples})],
  ['Start-up', () => startUp({runs: flags.quick ? 1 : Math.round(size.runs / 2)})],
  ['Call journal', () => history({runs: size.runs, calls: size.journal})],
  ['baresip: command → INVITE', () => baresipPair({rounds: size.dials})],
]

const started = performance.now()
const results = []
for (const [section, run] of sections) {
  process.stderr.write(`${section}…\n`)
  for (const row of await run()) results.push({section, ...row})
}

const machine = {
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.availableParallelism(),
  memoryGb: Math.round(os.totalmem() / 2 ** 30),
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  node: process.version,
  date: new Date().toISOString(),
  quick: flags.quick,
  seconds: Math.round((performance.now() - started) / 1000),
}
const report = {machine, results}
const markdown = toMarkdown(report)
mkdirSync(flags.out, {recursive: true})
writeFileSync(path.join(flags.out, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`)
writeFileSync(path.join(flags.out, 'latest.md'), markdown)
process.stdout.write(markdown)
const missed = results.filter((row) => row.met === false)
process.stderr.write(
  missed.length === 0 ? 'Every target met.\n' : `Targets not met: ${missed.map((row) => row.id).join(', ')}\n`,
)

function toMarkdown({machine, results}) {
  const number = (value) => (value >= 100 ? Math.round(value).toLocaleString('en') : value.toFixed(value >= 10 ? 1 : 2))
  const lines = [
    `Machine: ${machine.cpu} (${machine.cores} cores, ${machine.memoryGb} GB), ${machine.os}, Node ${machine.node}; ${machine.date.slice(0, 16).replace('T', ' ')} UTC${machine.quick ? ' (quick smoke run)' : ''}; took ${machine.seconds} s.`,
    'Times are medians over repeated runs, each measured in the same rounds as its baseline.',
    '',
    '| Section | Measure | Result | Ratio | Target | Met |',
    '| --- | --- | --- | --- | --- | --- |',
    ...results.map((row) =>
      [
        row.section,
        row.measure,
        // A skipped measure (e.g. baresip not installed) has only its note.
        row.value === undefined ? row.note : `${number(row.value)} ${row.unit}${row.note ? ` (${row.note})` : ''}`,
        row.ratio === undefined ? '' : `${row.ratio.toFixed(2)}×`,
        row.target ?? '',
        row.met === undefined ? '' : row.met ? 'met' : '**not met**',
      ]
        .join(' | ')
        .replace(/^/, '| ')
        .replace(/$/, ' |'),
    ),
  ]
  return `${lines.join('\n')}\n`
}
