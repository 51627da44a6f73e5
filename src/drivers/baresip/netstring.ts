/** baresip's ctrl_tcp frames JSON as netstrings in both directions: `LEN:JSON,` with LEN in bytes. */
export function encodeNetstring(value: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(value), 'utf8')
  return Buffer.concat([Buffer.from(`${json.length}:`), json, Buffer.from(',')])
}

/**
 * The largest message accepted. baresip's biggest (a `listcalls` with many calls, CALL_RTCP stats) are a few KB; a
 * peer announcing more is not baresip, and waiting for its bytes would only buffer them.
 */
export const MAX_NETSTRING_BYTES = 1024 * 1024

/** Reassembles netstrings from a TCP stream, chunk by chunk. */
export class NetstringDecoder {
  #buffer = Buffer.alloc(0)

  /** Returns every complete message; throws on framing that can never become valid, or on a message that is not JSON. */
  push(chunk: Buffer): unknown[] {
    this.#buffer = Buffer.concat([this.#buffer, chunk])
    const messages: unknown[] = []
    for (;;) {
      const colon = this.#buffer.indexOf(':')
      if (colon === -1) {
        // The first bytes only: how many came in this chunk is chance, and the message should not depend on it.
        if (this.#buffer.length > 10 || (this.#buffer.length > 0 && !/^\d+$/.test(this.#buffer.toString('latin1'))))
          throw new Error(`not a netstring: ${preview(this.#buffer.subarray(0, 11))}`)
        break
      }

      const lengthText = this.#buffer.subarray(0, colon).toString('latin1')
      if (!/^\d{1,9}$/.test(lengthText)) throw new Error(`bad netstring length: ${preview(this.#buffer)}`)
      const length = Number(lengthText)
      if (length > MAX_NETSTRING_BYTES)
        throw new Error(`netstring of ${length} bytes announced, over the ${MAX_NETSTRING_BYTES} byte limit`)
      const end = colon + 1 + length
      if (this.#buffer.length < end + 1) break
      if (this.#buffer[end] !== 0x2c) throw new Error('netstring not terminated by a comma')
      const text = this.#buffer.subarray(colon + 1, end).toString('utf8')
      this.#buffer = this.#buffer.subarray(end + 1)
      try {
        messages.push(JSON.parse(text))
      } catch {
        throw new Error(`netstring is not JSON: ${preview(Buffer.from(text))}`)
      }
    }

    return messages
  }
}

/** The first bytes of what came, printable, for an error message. */
function preview(bytes: Buffer): string {
  return JSON.stringify(bytes.subarray(0, 40).toString('latin1'))
}
