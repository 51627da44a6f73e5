import {createServer, type IncomingHttpHeaders} from 'node:http'
import type {AddressInfo} from 'node:net'

export interface ReceivedRequest {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: string
  /** When it arrived (ms since the epoch). */
  at: number
}

/** A real HTTP server on loopback that records what it is sent, standing in for a CRM. */
/** What the receiver answers: a status, or a status with headers (`Retry-After`). */
export type Answer = number | {status: number; headers: Record<string, string>}

export async function startWebhookReceiver(respond: (request: ReceivedRequest) => Answer = () => 200, port = 0) {
  const received: ReceivedRequest[] = []
  const waiters = new Set<() => void>()
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('end', () => {
      const request = {method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, at: Date.now()}
      received.push(request)
      const answer = respond(request)
      if (typeof answer === 'number') res.writeHead(answer).end()
      else res.writeHead(answer.status, answer.headers).end()
      for (const wake of waiters) wake()
    })
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    /** Resolves once `count` requests have arrived. */
    async waitFor(count: number, timeoutMs = 10_000): Promise<ReceivedRequest[]> {
      if (received.length >= count) return received.slice(0, count)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(
            new Error(
              `receiver got ${received.length} of ${count} requests: ${JSON.stringify(received.map((r) => r.url))}`,
            ),
          )
        }, timeoutMs)
        const check = () => {
          if (received.length < count) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve(received.slice(0, count))
        }

        waiters.add(check)
      })
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
