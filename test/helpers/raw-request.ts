import {request} from 'node:http'

export interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  json: () => any
}

/** An HTTP request with exactly the headers given (Host, Origin, Sec-Fetch-*), as a browser or attacker would send. */
export async function rawRequest(
  url: string,
  options: {method?: string; headers?: Record<string, string>; body?: string} = {},
): Promise<RawResponse> {
  const {hostname, port, pathname, search} = new URL(url)
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: hostname,
        port,
        path: pathname + search,
        method: options.method ?? 'GET',
        headers: options.headers,
        setHost: !options.headers?.host,
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (text += chunk))
        res.on('end', () =>
          resolve({status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text)}),
        )
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}
