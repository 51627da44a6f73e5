import {createConnection} from 'node:net'
import path from 'node:path'

const {existsSync} = process.getBuiltinModule('node:fs')

/** Whether a program can be started by name (found on the PATH, with Windows' extensions) or by its path. */
export function onPath(program: string): boolean {
  if (path.isAbsolute(program)) return existsSync(program)
  const extensions = process.platform === 'win32' ? ['', ...(process.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';')] : ['']
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .some((dir) => dir && extensions.some((extension) => existsSync(path.join(dir, program + extension))))
}

/** Whether something accepts TCP connections on host:port within a second. */
export async function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({host, port, timeout: 1000})
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
    socket.once('timeout', () => {
      socket.destroy()
      resolve(false)
    })
  })
}
