// Bundles the fast path of bin/run.js (src/cli/fast-path.ts and everything it imports statically) into one file,
// dist/fast-path.js. Loading one file instead of thirty saves ~20 M instructions (~10 ms) of ES module resolution
// and loading on every `callctl make`, `answer`, `end`, `status` and `dial` (measured with valgrind; bench/).
// The rule: static imports are bundled, and so are the lazy imports of the forwarding commands (the client, the
// forwarding, dial and history), which stay lazy inside the file: esbuild initialises such a module when it is
// imported, so `history` does not pay for the config and the client, nor `make` for the journal. (history as three
// more modules took 1.42-1.51x `node -e 0` on 100,000 calls, bundled 1.34x.) Every other `await import()` stays a
// dynamic import of the plain dist/src module, loaded only when used (listen, the error report, a dial's rare
// paths). npm packages stay outside, loaded from node_modules. A bundled module takes node: builtins it needs only
// sometimes with process.getBuiltinModule where it uses them: esbuild hoists its imports to the top of the file,
// which would load them for every command.
// `listen` is bundled the same way into dist/listen.js, which the fast path imports when it runs it: resolving and
// loading its ~70 modules one by one cost the idle listener 2-3 MB of RSS, and made node:path's normalizeString hot
// enough for TurboFan (~5 MB more of node's code read in) when callctl sits in a longer folder. Its lazy imports are
// bundled too (still initialised only when imported), so that the listener has one copy of each module (`instanceof`
// holds between the drivers and the engine); the console's lines stay a plain import, which only `listen` without
// --json loads, with chalk.
// Run by `npm run build`, after tsc has written dist/src.
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {build} from 'esbuild'

const dist = fileURLToPath(new URL('../dist/', import.meta.url))
const outfile = path.join(dist, 'fast-path.js')

/** The lazily imported modules of the fast commands, bundled (and still initialised only when imported). */
const FORWARDING = ['src/client.js', 'src/cli/forwarding.js', 'src/handler/dial.js', 'src/cli/history.js'].map((file) =>
  path.join(dist, file),
)

const LISTEN = path.join(dist, 'src', 'cli', 'listen.js')
/** What `listen` loads only for people's lines (and chalk): left out of dist/listen.js. */
const CONSOLE = path.join(dist, 'src', 'cli', 'console.js')

/** Keeps each other dynamic import a dynamic import, its path made relative to the bundle. */
const lazyStaysLazy = {
  name: 'lazy-stays-lazy',
  setup(bundle) {
    bundle.onResolve({filter: /.*/}, ({kind, path: specifier, resolveDir}) => {
      if (kind !== 'dynamic-import') return undefined
      if (!specifier.startsWith('.')) return {path: specifier, external: true}
      const resolved = path.resolve(resolveDir, specifier)
      if (FORWARDING.includes(resolved)) return undefined
      if (resolved === LISTEN) return {path: './listen.js', external: true}
      const relative = path.relative(path.dirname(outfile), resolved)
      return {path: `./${relative.split(path.sep).join('/')}`, external: true}
    })
  },
}

await build({
  entryPoints: [path.join(dist, 'src', 'cli', 'fast-path.js')],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'node',
  packages: 'external',
  plugins: [lazyStaysLazy],
  logLevel: 'warning',
})

await build({
  entryPoints: [LISTEN],
  outfile: path.join(dist, 'listen.js'),
  bundle: true,
  format: 'esm',
  platform: 'node',
  packages: 'external',
  plugins: [
    {
      name: 'console-stays-lazy',
      setup(bundle) {
        bundle.onResolve({filter: /console\.js$/}, ({kind, path: specifier, resolveDir}) =>
          kind === 'dynamic-import' && path.resolve(resolveDir, specifier) === CONSOLE
            ? {path: './src/cli/console.js', external: true}
            : undefined,
        )
      },
    },
  ],
  logLevel: 'warning',
})
