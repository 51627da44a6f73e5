import envPaths from 'env-paths'
import path from 'node:path'

export const PROJECT_NAME = 'callctl'

/** The config folder: `CALLCTL_CONFIG_DIR`, else the OS's per-user config folder (the one conf picks). */
export function configDir(): string {
  return process.env.CALLCTL_CONFIG_DIR || envPaths(PROJECT_NAME, {suffix: ''}).config
}

export function configFile(): string {
  return path.join(configDir(), 'config.json')
}
