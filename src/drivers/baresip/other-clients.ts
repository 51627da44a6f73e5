const {readFileSync} = process.getBuiltinModule('node:fs')

/**
 * How many TCP connections on this machine are open to host:port, read from the kernel's table without connecting
 * (a connection to ctrl_tcp would push off the program using it). undefined where the system cannot tell (not
 * Linux, or /proc unreadable): the caller then has to guess from how the connection was lost.
 */
export function otherClients(host: string, port: number, proc = '/proc/net'): number | undefined {
  if (process.platform !== 'linux') return undefined
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0')
  const ipv4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host)
  // /proc/net/tcp writes an IPv4 address as one little-endian word: 127.0.0.1 → 0100007F.
  const hexHost = ipv4
    ? ipv4
        .slice(1)
        .reverse()
        .map((part) => Number(part).toString(16).toUpperCase().padStart(2, '0'))
        .join('')
    : undefined
  let count = 0
  let readable = false
  for (const file of ['tcp', 'tcp6']) {
    let text: string
    try {
      text = readFileSync(`${proc}/${file}`, 'latin1')
      readable = true
    } catch {
      continue
    }

    for (const line of text.split('\n').slice(1)) {
      const [, , remote, state] = line.trim().split(/\s+/)
      if (!remote || state !== '01') continue
      const [address, remotePort] = remote.split(':')
      if (remotePort !== hexPort) continue
      if (file === 'tcp' && hexHost && address !== hexHost) continue
      count++
    }
  }

  return readable ? count : undefined
}
