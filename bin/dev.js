#!/usr/bin/env node
// Node 20 cannot run TypeScript directly, so "from source" means: compile what changed, then run it.
import {execFileSync} from 'node:child_process'
import {createRequire} from 'node:module'
import {fileURLToPath} from 'node:url'

const require = createRequire(import.meta.url)
const root = fileURLToPath(new URL('..', import.meta.url))
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', root], {stdio: 'inherit'})

const {execute} = await import('@oclif/core')
await execute({development: true, dir: import.meta.url})
