import {homedir} from 'node:os'
import path from 'node:path'

export const PROJECT_NAME = 'callctl'

/**
 * The per-user folders of each OS (the ones env-paths names). Written out here because importing env-paths costs
 * the forwarding commands more start-up time than their whole request.
 */
export function osFolders(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
  home = homedir(),
): {config: string; log: string} {
  const join = platform === 'win32' ? path.win32.join : path.posix.join
  switch (platform) {
    case 'darwin': {
      return {
        config: join(home, 'Library', 'Preferences', PROJECT_NAME),
        log: join(home, 'Library', 'Logs', PROJECT_NAME),
      }
    }

    case 'win32': {
      const appData = env.APPDATA || join(home, 'AppData', 'Roaming')
      const localAppData = env.LOCALAPPDATA || join(home, 'AppData', 'Local')
      return {config: join(appData, PROJECT_NAME, 'Config'), log: join(localAppData, PROJECT_NAME, 'Log')}
    }

    default: {
      return {
        config: join(env.XDG_CONFIG_HOME || join(home, '.config'), PROJECT_NAME),
        log: join(env.XDG_STATE_HOME || join(home, '.local', 'state'), PROJECT_NAME),
      }
    }
  }
}

/** The config folder: `CALLCTL_CONFIG_DIR`, else the OS's per-user config folder. */
export function configDir(): string {
  return process.env.CALLCTL_CONFIG_DIR || osFolders().config
}

export function configFile(): string {
  return path.join(configDir(), 'config.json')
}

/** callctl's durable state (outbox, live calls, quarantine): one SQLite file in the config folder. */
export function storeFile(): string {
  return path.join(configDir(), 'callctl.db')
}
