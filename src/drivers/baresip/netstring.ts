/** baresip's ctrl_tcp frames JSON as netstrings in both directions: `LEN:JSON,` with LEN in bytes. */
export function encodeNetstring(value: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(value), 'utf8')
  return Buffer.concat([Buffer.from(`${json.length}:`), json, Buffer.from(',')])
}

/** Reassembles netstrings from a TCP stream, chunk by chunk. */
export class NetstringDecoder {
  #buffer = Buffer.alloc(0)

  /** Returns every complete message; throws on framing that can never become valid. */
  push(chunk: Buffer): unknown[] {
    this.#buffer = Buffer.concat([this.#buffer, chunk])
    const messages: unknown[] = []
    for (;;) {
      const colon = this.#buffer.indexOf(':')
      if (colon === -1) {
        if (this.#buffer.length > 10) throw new Error('netstring length prefix too long')
        break
      }

      const lengthText = this.#buffer.subarray(0, colon).toString('latin1')
      if (!/^\d{1,9}$/.test(lengthText)) throw new Error(`bad netstring length ${JSON.stringify(lengthText)}`)
      const length = Number(lengthText)
      const end = colon + 1 + length
      if (this.#buffer.length < end + 1) break
      if (this.#buffer[end] !== 0x2c) throw new Error('netstring not terminated by a comma')
      messages.push(JSON.parse(this.#buffer.subarray(colon + 1, end).toString('utf8')))
      this.#buffer = this.#buffer.subarray(end + 1)
    }

    return messages
  }
}
