// callctl needs Node 22.13+ (package.json engines). In a clone whose system Node is older, the project's own Node 24
// (the `node` dev dependency) runs the command instead; anywhere else the user is told what to install.
const [major, minor] = process.versions.node.split('.').map(Number)

export async function ensureRuntime(entry) {
  if (major > 22 || (major === 22 && minor >= 13)) return
  const {spawn} = await import('node:child_process')
  const {existsSync} = await import('node:fs')
  const os = await import('node:os')
  const {fileURLToPath} = await import('node:url')
  const projectNode = ['node', 'node.exe']
    .map((name) => fileURLToPath(new URL(`../node_modules/node/bin/${name}`, import.meta.url)))
    .find((file) => existsSync(file))
  if (projectNode) {
    // The IPC channel ties the child to this process: when this one is killed (-9) and can pass no signal on, the
    // channel closes and the child ends too (bin/run.js), rather than a listener running on, holding its port.
    const child = spawn(projectNode, [fileURLToPath(entry), ...process.argv.slice(2)], {
      stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
      env: {...process.env, CALLCTL_RUNTIME_PARENT: String(process.pid)},
    })
    // A signal meant for callctl (`kill <pid>` of a listener, Ctrl-C) reaches the Node that runs it: otherwise this
    // one would end and leave the listener running, holding its port.
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal))
    const [code, signal] = await new Promise((resolve) => child.on('exit', (...exit) => resolve(exit)))
    process.exit(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1))
  }

  process.stderr.write(
    `callctl needs Node.js 22.13 or newer (24 LTS recommended); this is ${process.version}. Install a current Node.js from nodejs.org.\n`,
  )
  process.exit(1)
}
