const {createHmac, randomBytes} = process.getBuiltinModule('node:crypto')

/** Which scheme signs a callback: Standard Webhooks (the default for `whsec_` secrets) or callctl's older one. */
export type SignatureScheme = 'standard' | 'callctl'

export const STANDARD_SECRET_PREFIX = 'whsec_'

/**
 * callctl's own scheme (README "Verifying callbacks"): `X-Callctl-Signature: v1=<hex HMAC-SHA256(secret,
 * "<timestamp>.<body>")>` with `X-Callctl-Timestamp: <unix seconds>`, the scheme Stripe uses. Kept for receivers
 * written against it.
 */
export function signatureHeaders(secret: string, body: string, now = Date.now()): Record<string, string> {
  const timestamp = String(Math.floor(now / 1000))
  const signature = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')
  return {'x-callctl-timestamp': timestamp, 'x-callctl-signature': `v1=${signature}`}
}

/**
 * Standard Webhooks (standardwebhooks.com): `webhook-id` (the message id, the same on every retry),
 * `webhook-timestamp` (unix seconds of this attempt), and `webhook-signature: v1,<base64 HMAC-SHA256 of
 * "id.timestamp.body">` keyed with the bytes of the `whsec_` secret. Without a secret the id and timestamp still go,
 * so a receiver can deduplicate.
 */
export function standardHeaders(
  id: string,
  secret: string | undefined,
  body: string,
  now = Date.now(),
): Record<string, string> {
  const timestamp = String(Math.floor(now / 1000))
  const headers: Record<string, string> = {'webhook-id': id, 'webhook-timestamp': timestamp}
  if (secret !== undefined) {
    const signature = createHmac('sha256', standardKey(secret) ?? secret)
      .update(`${id}.${timestamp}.${body}`)
      .digest('base64')
    headers['webhook-signature'] = `v1,${signature}`
  }

  return headers
}

/** The key bytes of a `whsec_<base64>` secret; undefined when it is not one. */
export function standardKey(secret: string): Buffer | undefined {
  if (!secret.startsWith(STANDARD_SECRET_PREFIX)) return undefined
  const encoded = secret.slice(STANDARD_SECRET_PREFIX.length)
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) return undefined
  const key = Buffer.from(encoded, 'base64')
  // The spec asks for 24 to 64 random bytes.
  return key.length >= 24 && key.length <= 64 ? key : undefined
}

/** A new secret in the spec's form: `whsec_` and 32 random bytes in base64. */
export function generateStandardSecret(): string {
  return STANDARD_SECRET_PREFIX + randomBytes(32).toString('base64')
}

/**
 * The scheme a callback uses: the one it names, else Standard Webhooks for a `whsec_` secret (what `callctl
 * callbacks secret` makes: every config from now on), and callctl's own for the rest, a secret of the older form or
 * none, so that what existing receivers get does not change under them.
 */
export function schemeOf(callback: {signature?: SignatureScheme; secret?: string}): SignatureScheme {
  if (callback.signature) return callback.signature
  return callback.secret?.startsWith(STANDARD_SECRET_PREFIX) ? 'standard' : 'callctl'
}
