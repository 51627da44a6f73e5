import type {ConfigStore} from '../config/store.js'
import {ConfigError} from '../errors.js'
import type {CallbackConfig} from './settings.js'
import {generateStandardSecret} from './signature.js'

/**
 * `callctl callbacks secret N`: a new Standard Webhooks secret for callback N, written with the rest of the
 * callback as it was. A callback that named `signature: "callctl"` keeps it (the secret signs that scheme too);
 * otherwise the `whsec_` secret makes it a Standard Webhooks callback.
 */
export function setCallbackSecret(store: ConfigStore, index: number): {key: string; secret: string} {
  const secret = generateStandardSecret()
  // Read and written under the config's lock: the list read before it would lose a secret another change wrote.
  store.update('callbacks', (stored) => {
    const callbacks = (stored.callbacks ?? []) as CallbackConfig[]
    if (!Array.isArray(callbacks) || !Number.isInteger(index) || index < 0 || index >= callbacks.length)
      throw new ConfigError(
        `There is no callback ${index}: ${Array.isArray(callbacks) ? callbacks.length : 0} callback(s) are configured (numbered from 0)`,
        ['callctl config get callbacks lists them'],
      )
    return callbacks.map((callback, n) => (n === index ? {...callback, secret} : callback))
  })
  return {key: `callbacks[${index}]`, secret}
}
