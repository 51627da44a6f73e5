import type {IncomingHttpHeaders} from 'node:http'

export interface SendOptions {
  method: 'GET' | 'POST'
  headers: Record<string, string>
  body?: string
  timeoutMs: number
}

export interface Answer {
  status: number
  headers: IncomingHttpHeaders
}

/** Answers a repeat within the same attempt may fix: a blip, not an outage (that waits in the outbox). */
const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504])
const RETRY_ERRORS = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENETUNREACH'])
const QUICK_RETRY_MS = 200

/**
 * One delivery attempt: the request, and once more after 200 ms if the first failed in a way a moment may fix.
 * Node's own `http`/`https`, which the listener has loaded anyway: a client library (got) took about 100 ms to
 * import, blocking the event loop, and so every request, at the first notification after each start. Redirects are
 * not followed: a receiver that moved must be configured anew, not followed to wherever it points.
 */
export async function send(url: string, options: SendOptions): Promise<Answer> {
  try {
    const answer = await request(url, options)
    // A receiver that says when to come back is not asked again sooner.
    if (!RETRY_STATUSES.has(answer.status) || answer.headers['retry-after'] !== undefined) return answer
  } catch (error) {
    if (!RETRY_ERRORS.has((error as NodeJS.ErrnoException).code ?? '')) throw error
  }

  await new Promise((resolve) => setTimeout(resolve, QUICK_RETRY_MS))
  return request(url, options)
}

async function request(url: string, {method, headers, body, timeoutMs}: SendOptions): Promise<Answer> {
  const target = new URL(url)
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    throw Object.assign(new Error(`Unsupported protocol ${target.protocol} (only http and https)`), {
      code: 'ERR_UNSUPPORTED_PROTOCOL',
    })
  // https (and so TLS) is loaded by the first https notification only.
  const {request: open} = process.getBuiltinModule(target.protocol === 'https:' ? 'node:https' : 'node:http')
  return new Promise<Answer>((resolve, reject) => {
    // Throws at once for a header Node will not send (a character outside Latin-1, CR or LF): permanent.
    const req = open(target, {
      method,
      headers: body === undefined ? headers : {...headers, 'content-length': String(Buffer.byteLength(body))},
      signal: AbortSignal.timeout(timeoutMs),
    })
    req.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.name === 'AbortError' || error.name === 'TimeoutError'
          ? Object.assign(new Error(`no answer within ${timeoutMs} ms`), {code: 'ETIMEDOUT'})
          : error,
      ),
    )
    req.once('response', (res) => {
      // The body is not used: read and dropped, so that the connection is freed.
      res.resume()
      res.once('end', () => resolve({status: res.statusCode ?? 0, headers: res.headers}))
      res.once('error', reject)
    })
    req.end(body)
  })
}
