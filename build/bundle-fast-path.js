// Bundles the fast path of bin/run.js (src/cli/fast-path.ts and everything it imports statically) into one file,
// dist/fast-path.js. Loading one file instead of thirty saves ~20 M instructions (~10 ms) of ES module resolution
// and loading on every `callctl make`, `answer`, `end`, `status` and `dial` (measured with valgrind; bench/).
// The rule: static imports are bundled; every `await import()` stays a dynamic import of the plain dist/src
// module, so what a command loads lazily (listen, history, the error report, a dial's rare paths) is still loaded
// only when used. npm packages stay outside, loaded from node_modules.
// Run by `npm run build`, after tsc has written dist/src.
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {build} from 'esbuild'

const dist = fileURLToPath(new URL('../dist/', import.meta.url))
const outfile = path.join(dist, 'fast-path.js')

/** Keeps each dynamic import a dynamic import, its path made relative to the bundle. */
const lazyStaysLazy = {
  name: 'lazy-stays-lazy',
  setup(bundle) {
    bundle.onResolve({filter: /.*/}, ({kind, path: specifier, resolveDir}) => {
      if (kind !== 'dynamic-import') return undefined
      if (!specifier.startsWith('.')) return {path: specifier, external: true}
      const relative = path.relative(path.dirname(outfile), path.resolve(resolveDir, specifier))
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
