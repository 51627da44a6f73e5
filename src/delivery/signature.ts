const {createHmac} = process.getBuiltinModule('node:crypto')

/**
 * Webhook signatures (README "Verifying callbacks"): `X-Callctl-Signature: v1=<hex HMAC-SHA256(secret,
 * "<timestamp>.<body>")>` with `X-Callctl-Timestamp: <unix seconds>`, the scheme Stripe uses.
 */
export function signatureHeaders(secret: string, body: string, now = Date.now()): Record<string, string> {
  const timestamp = String(Math.floor(now / 1000))
  const signature = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')
  return {'x-callctl-timestamp': timestamp, 'x-callctl-signature': `v1=${signature}`}
}
