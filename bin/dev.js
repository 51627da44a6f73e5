#!/usr/bin/env node
// Node 24 strips types, but the sources import './x.js' (NodeNext style) for files that are .ts here, so "from
// source" means: compile with TypeScript 7's native compiler (about a second), then run it.
import {execFileSync} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {ensureRuntime} from './runtime.js'

await ensureRuntime(import.meta.url)

const root = fileURLToPath(new URL('..', import.meta.url))
// The package exports no bin path, so the compiler is found by its place in node_modules.
execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript-native', 'bin', 'tsc'), '-p', root], {
  stdio: 'inherit',
})

const {execute} = await import('@oclif/core')
await execute({development: true, dir: import.meta.url})
