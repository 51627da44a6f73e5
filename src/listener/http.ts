import type {IncomingMessage, ServerResponse} from 'node:http'

import {RequestError} from '../errors.js'

/** Bodies are a number, a name and an id: anything larger is not for us. */
const MAX_BODY_BYTES = 16 * 1024

/** Fields that hold a number or a phone link (`key`: Yealink's `key=number=…`), whose `+` may be a number's own. */
const NUMBER_FIELDS = new Set(['number', 'to', 'key'])

/** A JSON answer already serialized: a route may hand one back to skip JSON.stringify (e.g. a cached `/status`). */
export class JsonText {
  /** Its length in UTF-8, counted once: a 3 KB `/status` counted per request was 2 % of the listener's time. */
  readonly bytes: number

  constructor(readonly text: string) {
    this.bytes = Buffer.byteLength(text)
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const json = body instanceof JsonText ? body : new JsonText(JSON.stringify(body))
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': json.bytes,
    'cache-control': 'no-store',
    ...headers,
  })
  res.end(json.text)
}

/** `?call=a&call=b` is a mistake whichever one would win: refused rather than taking the last. */
export function repeatedField(key: string, where: string): RequestError {
  return new RequestError(
    `Repeated ${where} field ${JSON.stringify(key.slice(0, 40))}: give each field once`,
    'ERR_REPEATED_FIELD',
  )
}

/** Reads a small JSON or form body into string fields; other content types are ignored. */
export async function readFields(req: IncomingMessage): Promise<Record<string, string>> {
  if (req.method !== 'POST') return {}
  // No body (HTTP/1.1: neither a length nor chunks): nothing to wait for, which a bare `POST /make/…` saves per call.
  const length = req.headers['content-length']
  if (length === '0' || (length === undefined && req.headers['transfer-encoding'] === undefined)) return {}
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES)
      throw new RequestError(`Request body over ${MAX_BODY_BYTES} bytes`, 'ERR_BODY_TOO_LARGE', 413)
    chunks.push(chunk)
  }

  const text = Buffer.concat(chunks).toString('utf8')
  if (text.trim() === '') return {}
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase()
  // `curl -d number=+4930123` sends the `+` as it is, as a CRM's query does (see formFields).
  if (type === 'application/x-www-form-urlencoded') {
    const fields: Record<string, string> = {}
    for (const [key, value] of formFields(text)) {
      if (Object.hasOwn(fields, key)) throw repeatedField(key, 'form')
      fields[key] = value
    }

    return fields
  }

  if (type !== 'application/json') return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new RequestError('Request body is not valid JSON', 'ERR_BAD_BODY')
  }

  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RequestError('Request body must be a JSON object', 'ERR_BAD_BODY')
  }

  const fields: Record<string, string> = {}
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value === 'string' || typeof value === 'number') fields[key] = String(value)
    else if (Array.isArray(value) && value.every((item) => typeof item === 'string')) fields[key] = value.join(',')
    else if (value !== null) {
      // Dropping it would turn `{"number": {...}}` into a call without a number: say what is wrong instead.
      throw new RequestError(
        `Field "${key}" must be a string or a number, got ${Array.isArray(value) ? 'an array' : typeof value}`,
        'ERR_BAD_BODY',
      )
    }
  }

  return fields
}

/** Splits a request path into decoded segments; bad percent-encoding is the client's error, not a crash. */
export function pathSegments(pathname: string): string[] {
  const segments = pathname.split('/').filter(Boolean)
  // Most paths (`/status`, `/make/020123456`) hold nothing to decode.
  if (!pathname.includes('%')) return segments
  try {
    return segments.map((segment) => decodeURIComponent(segment))
  } catch {
    throw new RequestError('Malformed percent-encoding in the URL path', 'ERR_BAD_URL')
  }
}

/**
 * In a query a `+` is a space (form encoding), so `?number=+4930123` read as such dials 4930123: another number, and
 * one that `numbers.block '+49…'` does not match. In a number field, a `+` that does not follow a letter or digit
 * begins a number, written as it is by a CRM: kept as a `+` (`+4930123`, `tel:+4930123`, `callto://+49…`,
 * `key=number=+49…`, `%0A+49…`). One that follows a digit stays a space (`020+1234567`, a form's `020 1234567`).
 * Keys are decoded before they are compared, so `%6Eumber=+49…` is a number field too.
 */
export function formFields(text: string): Array<[string, string]> {
  const fields: Array<[string, string]> = []
  for (const pair of text.split('&')) {
    if (pair === '') continue
    const equals = pair.indexOf('=')
    const key = decodeForm(equals === -1 ? pair : pair.slice(0, equals))
    const raw = equals === -1 ? '' : pair.slice(equals + 1)
    fields.push([key, NUMBER_FIELDS.has(key) ? decodeNumberField(raw) : decodeForm(raw)])
  }

  return fields
}

/** Form decoding as URLSearchParams does it: `+` is a space; a broken `%` sequence is kept as it is. */
function decodeForm(raw: string): string {
  // `raw` holds no `&`: formFields split the text at them.
  return new URLSearchParams(`x=${raw}`).get('x') ?? ''
}

function decodeNumberField(raw: string): string {
  const parts = raw.split('+').map((part) => decodeForm(part))
  return parts.reduce((value, part) => value + (/[\p{L}\p{N}]$/u.test(value) ? ' ' : '+') + part)
}

/** The query's fields read by formFields, written back so that every later reader of the URL sees them so. */
export function keepNumberPlus(url: URL): void {
  if (!url.search.includes('+')) return
  url.search = formFields(url.search.slice(1))
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
    .join('&')
}
