import {createServer, type IncomingHttpHeaders} from 'node:http'
import type {AddressInfo} from 'node:net'

/** A CRM's lookup endpoint on loopback: answers per path and number, after a delay the test sets. */
export async function startLookupServer(
  answer: (number: string, path: string) => {status?: number; type?: string; body: string; delayMs?: number},
) {
  const asked: Array<{url: string; headers: IncomingHttpHeaders}> = []
  const server = createServer((req, res) => {
    asked.push({url: req.url ?? '', headers: req.headers})
    const url = new URL(req.url ?? '/', 'http://x')
    const {
      status = 200,
      type = 'application/json',
      body,
      delayMs = 0,
    } = answer(url.searchParams.get('number') ?? '', url.pathname)
    setTimeout(() => {
      if (!res.destroyed) res.writeHead(status, {'content-type': type}).end(body)
    }, delayMs)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    asked,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
