import {openConfigStore} from '../../src/settings.js'

/**
 * Writes settings into a config folder the way `callctl config set KEY VALUE` does (ConfigStore.setText: the value
 * read as what the key takes, checked against the schema, written atomically), but in this process. For tests whose
 * subject is the listener or another command: a `config set` process costs a whole Node and oclif start-up per key.
 * Tests about `config set` itself run it as a process (test/commands/config.test.ts, token.test.ts, ...).
 */
export async function setConfig(
  configDir: string,
  settings: Record<string, string> | Array<[string, string]>,
): Promise<void> {
  const previous = process.env.CALLCTL_CONFIG_DIR
  process.env.CALLCTL_CONFIG_DIR = configDir
  try {
    const store = await openConfigStore()
    for (const [key, value] of Array.isArray(settings) ? settings : Object.entries(settings)) store.setText(key, value)
  } finally {
    if (previous === undefined) delete process.env.CALLCTL_CONFIG_DIR
    else process.env.CALLCTL_CONFIG_DIR = previous
  }
}
