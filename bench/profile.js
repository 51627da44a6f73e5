#!/usr/bin/env node
// `npm run bench:profile -- [status|cycles] [--seconds N]`: where the listener's time goes under the throughput
// section's load, beside the bare node:http server under the same load. Both run with V8's CPU profiler; only the
// samples taken while the load ran count (the profiles' clock is this process's hrtime). Prints, per answered
// request, the time of each part: the socket's send, the rest of Node, callctl's modules, garbage collection, idle.
import {mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

import autocannon from 'autocannon'

import {startBareServer} from './lib.js'
import {loadedListener, MAKE_END} from './sections/listener.js'

const {values: flags, positionals} = parseArgs({
  allowPositionals: true,
  options: {seconds: {type: 'string', default: '5'}},
})
const load = positionals[0] ?? 'status'
if (load !== 'status' && load !== 'cycles') {
  process.stderr.write('Usage: node bench/profile.js [status|cycles] [--seconds N]\n')
  process.exit(2)
}

const seconds = Number(flags.seconds)
/** Per bundle file: where each of its modules begins (see bundledModule). */
const bundles = new Map()
const profiles = mkdtempSync(path.join(tmpdir(), 'callctl-profile-'))
const profiled = (dir) => ({...process.env, NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir}`})

const listenerDir = path.join(profiles, 'listener')
const {listener, statusBody} = await loadedListener({env: profiled(listenerDir)})
const bareDir = path.join(profiles, 'bare')
const bare = await startBareServer(statusBody, {env: profiled(bareDir)})

const runs = {}
try {
  runs.bare = await measured(() => autocannon({url: `${bare.url}/status`, connections: 50, duration: seconds}))
  runs.callctl = await measured(() =>
    load === 'status'
      ? autocannon({url: `${listener.url}/status`, connections: 50, duration: seconds})
      : autocannon({url: listener.url, connections: 50, duration: seconds, requests: MAKE_END}),
  )
} finally {
  // Each writes its profile as it exits.
  await listener.stop()
  await bare.stop()
}

const parts = {
  bare: summarize(onlyProfile(bareDir), runs.bare),
  callctl: summarize(onlyProfile(listenerDir), runs.callctl),
}
rmSync(profiles, {recursive: true, force: true})
process.stdout.write(report(parts))

async function measured(run) {
  const from = process.hrtime.bigint() / 1000n
  const result = await run()
  const to = process.hrtime.bigint() / 1000n
  return {from: Number(from), to: Number(to), answered: result.requests.total - (result.non2xx ?? 0)}
}

function onlyProfile(dir) {
  const [file] = readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'))
  return JSON.parse(readFileSync(path.join(dir, file), 'utf8'))
}

/** Where a frame's time goes: callctl's modules by file, dependencies by package, the rest of Node as one. */
function partOf({functionName, url, lineNumber}) {
  if (functionName === '(idle)') return 'idle'
  if (functionName === '(garbage collector)') return 'garbage collection'
  // The send of a response: the write syscall on the socket, and the kernel's loopback delivery under it.
  if (['writeUtf8String', 'writeLatin1String', 'writeBuffer', 'writev'].includes(functionName) && !url) {
    return 'socket send'
  }

  const own = /\/dist\/src\/(.+)$/.exec(url)
  if (own) return `callctl ${own[1]}`
  const bundled = /\/dist\/[^/]+\.js$/.test(url) && bundledModule(url, lineNumber)
  if (bundled) return `callctl ${bundled}`
  const dependency = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)
  if (dependency) return `dependency ${dependency[1]}`
  return 'Node.js (http, streams, timers, natives)'
}

/**
 * The module a line of a bundle (dist/listen.js, dist/fast-path.js) came from: esbuild heads each module's code with
 * a `// dist/src/<module>` comment.
 */
function bundledModule(url, lineNumber) {
  if (!bundles.has(url)) {
    const starts = []
    readFileSync(fileURLToPath(url), 'utf8')
      .split('\n')
      .forEach((line, index) => {
        const start = /^\/\/ dist\/src\/(.+\.js)$/.exec(line)
        if (start) starts.push({line: index, module: start[1]})
      })
    bundles.set(url, starts)
  }

  return bundles.get(url).findLast((start) => start.line <= lineNumber)?.module
}

/** Self time of each part and of each callctl function, in the load's window only. */
function summarize(profile, {from, to, answered}) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
  const byPart = new Map()
  const byFunction = new Map()
  let at = profile.startTime
  let total = 0
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0
    at += delta
    if (at < from || at > to) return
    total += delta
    const {callFrame} = nodes.get(id)
    const part = partOf(callFrame)
    byPart.set(part, (byPart.get(part) ?? 0) + delta)
    if (part.startsWith('callctl ')) {
      // The line in the file that ran: a bundle's, for what is bundled.
      const name = `${callFrame.functionName || '(anonymous)'} ${part.slice(8)} (${path.basename(callFrame.url)}:${callFrame.lineNumber + 1})`
      byFunction.set(name, (byFunction.get(name) ?? 0) + delta)
    }
  })
  return {byPart, byFunction, total, answered, seconds: (to - from) / 1e6}
}

function report({bare, callctl}) {
  const perRequest = (summary, micros) => (micros / summary.answered).toFixed(1)
  const busy = (summary) => summary.total - (summary.byPart.get('idle') ?? 0)
  const names = [...new Set([...bare.byPart.keys(), ...callctl.byPart.keys()])].sort(
    (a, b) => (callctl.byPart.get(b) ?? 0) - (callctl.byPart.get(a) ?? 0),
  )
  const lines = [
    `Load: ${load === 'status' ? 'GET /status' : '/make then /end'}, 50 connections, ${seconds} s each.`,
    `bare node:http: ${Math.round(bare.answered / bare.seconds).toLocaleString('en')} req/s, busy ${perRequest(bare, busy(bare))} µs a request; callctl: ${Math.round(callctl.answered / callctl.seconds).toLocaleString('en')} req/s, busy ${perRequest(callctl, busy(callctl))} µs a request.`,
    '',
    '| Part (self time) | bare µs/request | callctl µs/request |',
    '| --- | --- | --- |',
    ...names.map(
      (name) =>
        `| ${name} | ${bare.byPart.has(name) ? perRequest(bare, bare.byPart.get(name)) : ''} | ${callctl.byPart.has(name) ? perRequest(callctl, callctl.byPart.get(name)) : ''} |`,
    ),
    '',
    '| callctl function (self time) | µs/request |',
    '| --- | --- |',
    ...[...callctl.byFunction]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([name, micros]) => `| ${name} | ${perRequest(callctl, micros)} |`),
  ]
  return `${lines.join('\n')}\n`
}
