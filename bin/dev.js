#!/usr/bin/env node
// Node 24 strips types, but the sources import './x.js' (NodeNext style) for files that are .ts here, so "from
// source" means: compile with TypeScript 7's native compiler (about a second), then run it.
import {execFileSync} from 'node:child_process'
import {createRequire} from 'node:module'
import {fileURLToPath} from 'node:url'

const require = createRequire(import.meta.url)
const root = fileURLToPath(new URL('..', import.meta.url))
execFileSync(process.execPath, [require.resolve('typescript-native/bin/tsc'), '-p', root], {stdio: 'inherit'})

const {execute} = await import('@oclif/core')
await execute({development: true, dir: import.meta.url})
