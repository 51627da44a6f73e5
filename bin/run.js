#!/usr/bin/env node
import module from 'node:module'

import {ensureRuntime} from './runtime.js'

await ensureRuntime(import.meta.url)

// A reader that went away (`callctl config list | head -1`, `callctl events | head -1`) ends the command quietly.
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error
  process.exit(0)
})

// Later starts reuse the compiled bytecode of callctl and its dependencies.
module.enableCompileCache?.()

// make/answer/end/status are what a CRM click or a hotkey runs: they skip loading oclif when their argv is plain
// (see src/cli/fast-path.ts). Everything else, help and every usage error included, is oclif's.
const {runFast} = await import('../dist/src/cli/fast-path.js')
if (!(await runFast(process.argv.slice(2)))) {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
