// callctl needs Node 22.13+ (package.json engines). In a clone whose system Node is older, the project's own Node 24
// (the `node` dev dependency) runs the command instead; anywhere else the user is told what to install.
const [major, minor] = process.versions.node.split('.').map(Number)

export async function ensureRuntime(entry) {
  if (major > 22 || (major === 22 && minor >= 13)) return
  const {spawnSync} = await import('node:child_process')
  const {existsSync} = await import('node:fs')
  const {fileURLToPath} = await import('node:url')
  const projectNode = ['node', 'node.exe']
    .map((name) => fileURLToPath(new URL(`../node_modules/node/bin/${name}`, import.meta.url)))
    .find((file) => existsSync(file))
  if (projectNode) {
    const {status} = spawnSync(projectNode, [fileURLToPath(entry), ...process.argv.slice(2)], {stdio: 'inherit'})
    process.exit(status ?? 1)
  }

  process.stderr.write(
    `callctl needs Node.js 22.13 or newer (24 LTS recommended); this is ${process.version}. Install a current Node.js from nodejs.org.\n`,
  )
  process.exit(1)
}
