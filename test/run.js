#!/usr/bin/env node
// `npm test`: the build, then the type check, the lint and the suites at once, the soak after the suites; exit 1 if
// any part failed. Run one after another, the parts left a core idle for much of the run (tsc and the linters are
// CPU work that can fill the gaps while the suites wait on their child processes and timeouts). Only the build comes
// first: the suites run bin/run.js, which loads dist/.
// The soak (test/soak) measures the listener's /status p99, so it runs on its own after the suites, as before, and at
// a higher priority (nice) than anything else: run alongside the suites, even at nice -19, its p99 was 77-102 ms in
// three runs of four (28 ms alone on the same loaded machine; the limit is 50 ms), a figure of the machine, not the
// listener.
// Arguments go to the main jest run (`npm test -- test/commands`); with paths, the soak runs only if one names it.
import {spawn} from 'node:child_process'
import {getPriority, setPriority} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const BIN = path.join(ROOT, 'node_modules', '.bin')
const JEST_ENV = {NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules`.trim()}
/**
 * Nice values (relative to this process). Where the soak's priority can be raised (root, CAP_SYS_NICE) it is, by as
 * much as nice allows, and the rest stays where it was: other work on the machine then weighs less on the soak's
 * figure (measured alone under load average ~15 from other work: p99 238 ms at the same priority, 65 ms at -10, 28 ms
 * at -19). Elsewhere the rest is lowered instead. tsc and the linters, which only have to end before the suites do,
 * are below the suites.
 */
const NICE = canRaisePriority() ? {soak: -19, suites: 0, checks: 10} : {soak: 0, suites: 10, checks: 19}

const args = process.argv.slice(2)
const isSoak = (arg) => arg.startsWith('test/soak')
const paths = args.filter((arg) => !arg.startsWith('-'))
const soakOnly = paths.length > 0 && paths.every(isSoak)
const withSoak = paths.length === 0 || paths.some(isSoak)
const mainArgs = args.filter((arg) => !isSoak(arg))

const started = Date.now()
const seconds = () => `${((Date.now() - started) / 1000).toFixed(1)} s`

/**
 * Runs one part. `live` parts print as they go; the others print when they end, in one piece, so that their output
 * does not interleave with jest's.
 */
function run(name, command, commandArgs, {env = {}, nice = 0, live = false} = {}) {
  // Windows has no nice(1); its npm test runs the parts at one priority.
  const [file, argv] =
    nice === 0 || process.platform === 'win32'
      ? [command, commandArgs]
      : ['nice', ['-n', String(nice), command, ...commandArgs]]
  return new Promise((resolve) => {
    const child = spawn(file, argv, {
      cwd: ROOT,
      env: {...process.env, PATH: `${BIN}${path.delimiter}${process.env.PATH}`, ...env},
      stdio: live ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout?.on('data', (chunk) => (output += chunk))
    child.stderr?.on('data', (chunk) => (output += chunk))
    child.on('error', (error) => (output += `${error.message}\n`))
    child.on('close', (code, signal) => {
      const ok = code === 0
      if (!live && (!ok || output.trim() !== '')) process.stdout.write(`\n--- ${name} ---\n${output}`)
      process.stdout.write(
        `[test/run.js] ${name}: ${ok ? 'ok' : `FAILED (${signal ?? `exit ${code}`})`} at ${seconds()}\n`,
      )
      resolve({name, ok})
    })
  })
}

const build = await run('build', 'npm', ['run', 'build', '--silent'])
const results = [build]
if (build.ok) {
  const [typecheck, lint, [suites, soak]] = await Promise.all([
    run('typecheck', 'npm', ['run', 'typecheck', '--silent'], {nice: NICE.checks}),
    run('lint', 'npm', ['run', 'lint', '--silent'], {nice: NICE.checks}),
    (async () => {
      const suites = soakOnly
        ? {name: 'jest', ok: true}
        : await run('jest', 'jest', ['--testPathIgnorePatterns=/test/soak/', ...mainArgs], {
            env: JEST_ENV,
            nice: NICE.suites,
            live: true,
          })
      // The suites' last child processes (listeners, baresip, Chromium) end after jest does: the soak's /status p99
      // measured 76.5 ms starting at once in one CI run, 9.5 ms on the same machine alone.
      if (withSoak && !soakOnly) await new Promise((resolve) => setTimeout(resolve, 5000))
      const soak = withSoak
        ? await run('jest test/soak', 'jest', ['test/soak'], {env: JEST_ENV, nice: NICE.soak, live: true})
        : {name: 'soak', ok: true}
      return [suites, soak]
    })(),
  ])
  results.push(typecheck, lint, suites, soak)
}

const failed = results.filter((result) => !result.ok).map((result) => result.name)
process.stdout.write(
  `[test/run.js] ${failed.length === 0 ? 'all passed' : `failed: ${failed.join(', ')}`} in ${seconds()}\n`,
)
process.exitCode = failed.length === 0 ? 0 : 1

function canRaisePriority() {
  const own = getPriority()
  try {
    setPriority(own - 1)
    setPriority(own)
    return true
  } catch {
    return false
  }
}
