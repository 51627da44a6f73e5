#!/usr/bin/env node
import module from 'node:module'

// callctl needs Node 22.13+; runtime.js re-runs it on the project's own Node or says what to install.
const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 13)) {
  const {ensureRuntime} = await import('./runtime.js')
  await ensureRuntime(import.meta.url)
}

// Run by bin/runtime.js for an older system Node: ends with that Node, even when it is killed -9 (the channel closes).
if (process.env.CALLCTL_RUNTIME_PARENT && process.channel) {
  delete process.env.CALLCTL_RUNTIME_PARENT
  process.channel.unref()
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'))
}

// Later starts reuse the compiled bytecode of callctl and its dependencies.
module.enableCompileCache?.()

// make/answer/end/status/dial are what a CRM click, a hotkey or a clicked link runs: they skip loading oclif when
// their argv is plain (src/cli/fast-path.ts, bundled into one file by build/bundle-fast-path.js). Everything else,
// help and every usage error included, is oclif's.
const {quietOnClosedPipe, runFast} = await import('../dist/fast-path.js')
if (!(await runFast(process.argv.slice(2)))) {
  // The listener outlives its console's reader (src/cli/listen.ts); any other command ends quietly without it.
  if (process.argv[2] !== 'listen') quietOnClosedPipe()
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
