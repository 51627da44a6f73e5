import {mkdirSync} from 'node:fs'
import path from 'node:path'

import {onPath} from '../../src/os/probe.js'
import {tempConfigDir} from './paths.js'

const hasXdg = process.platform === 'linux' && onPath('xdg-open') && onPath('xdg-mime')
/** Debian's xdg-utils: where they are missing the suites skip, except under CI, where they fail. */
export const describeWithXdg = hasXdg || process.env.CI === 'true' ? describe : describe.skip

/** A desktop session's folders, in a fresh home: nothing of the user's own is read or changed. */
export function desktopHome(): Record<string, string> {
  const home = tempConfigDir()
  const env = {
    HOME: home,
    XDG_DATA_HOME: path.join(home, 'data'),
    XDG_CONFIG_HOME: path.join(home, 'config'),
    // No desktop environment: xdg-open's generic mode, which still uses the x-scheme-handler default.
    XDG_CURRENT_DESKTOP: '',
    DESKTOP_SESSION: '',
  }
  mkdirSync(env.XDG_DATA_HOME, {recursive: true})
  return env
}
