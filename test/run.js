#!/usr/bin/env node
// `npm test`: the build, then everything else at once, and exit 1 if any part failed.
// The parts wait on different things (tsc and the linters on the CPU, most suites on child processes and timeouts),
// so run one after another they left the cores idle for much of the run. Only the build comes first: the suites run
// bin/run.js, which loads dist/. The soak (test/soak) measures the listener's /status p99, so it runs at a higher
// priority than everything else (nice): when the soak's listener wants a core it gets it, and its figure stays the
// listener's rather than that of a machine busy with the other parts.
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
 * much as nice allows, and the rest stays where it was: other work on the machine then does not make the soak's figure
 * either (measured under load average ~15 from other work: p99 238 ms at the same priority, 65 ms at -10, 28 ms at
 * -19). Elsewhere the rest is lowered instead: the suites weigh a tenth of the soak (CFS weights 110 against 1024).
 * tsc and the linters, which only have to end before the suites do, are lowest.
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
  results.push(
    ...(await Promise.all([
      run('typecheck', 'npm', ['run', 'typecheck', '--silent'], {nice: NICE.checks}),
      run('lint', 'npm', ['run', 'lint', '--silent'], {nice: NICE.checks}),
      soakOnly
        ? {name: 'jest', ok: true}
        : run('jest', 'jest', ['--testPathIgnorePatterns=/test/soak/', ...mainArgs], {
            env: JEST_ENV,
            nice: NICE.suites,
            live: true,
          }),
      withSoak
        ? run('jest test/soak', 'jest', ['test/soak'], {env: JEST_ENV, nice: NICE.soak})
        : {name: 'soak', ok: true},
    ])),
  )
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
