import {homedir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {CallctlError} from '../errors.js'

const {copyFileSync, existsSync, mkdirSync, readdirSync} = process.getBuiltinModule('node:fs')

/** The package's own folder (it holds applescript/ and scripts/), from source, dist/src/ or the fast path's bundle in dist/ alike. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  while (!existsSync(path.join(dir, 'package.json')) || !existsSync(path.join(dir, 'applescript'))) {
    const parent = path.dirname(dir)
    if (parent === dir) throw new Error('cannot find the callctl package folder')
    dir = parent
  }

  return dir
}

export function wrapperDirs(root = packageRoot()): {applescript: string; powershell: string} {
  return {applescript: path.join(root, 'applescript'), powershell: path.join(root, 'scripts')}
}

export interface InstallPlan {
  copies: Array<{from: string; to: string}>
  notes: string[]
}

interface Where {
  platform: NodeJS.Platform
  home: string
  root: string
}

const files = (dir: string, pattern: RegExp) =>
  readdirSync(dir)
    .filter((name) => pattern.test(name))
    .sort()

/**
 * Where the wrappers go on each OS: the AppleScript ones into the Script menu's folder (macOS), the PowerShell
 * module into the user's module path of Windows PowerShell 5.1 and PowerShell 7 (Windows), or of pwsh (Linux).
 */
export function installPlan(
  {platform, home, root}: Where = {platform: process.platform, home: homedir(), root: packageRoot()},
): InstallPlan {
  const {applescript, powershell} = wrapperDirs(root)
  const join = platform === 'win32' ? path.win32.join : path.posix.join
  const copy = (fromDir: string, names: string[], toDir: string) =>
    names.map((name) => ({from: path.join(fromDir, name), to: join(toDir, name)}))
  const module = files(powershell, /\.(psm1|psd1|ps1)$/)
  switch (platform) {
    case 'darwin': {
      return {
        copies: copy(applescript, files(applescript, /\.applescript$/), join(home, 'Library', 'Scripts', 'callctl')),
        notes: [
          'Turn on the Script menu in Script Editor > Settings > "Show Script menu in menu bar" to run them from there.',
        ],
      }
    }

    case 'win32': {
      return {
        copies: [
          ...copy(powershell, module, join(home, 'Documents', 'WindowsPowerShell', 'Modules', 'CallControl')),
          ...copy(powershell, module, join(home, 'Documents', 'PowerShell', 'Modules', 'CallControl')),
        ],
        notes: ['Then, in PowerShell: Import-Module CallControl; Get-Help Start-Call'],
      }
    }

    default: {
      return {
        copies: copy(powershell, module, join(home, '.local', 'share', 'powershell', 'Modules', 'CallControl')),
        notes: [
          'The AppleScript wrappers are for macOS; on Linux the PowerShell module is installed for pwsh.',
          'Without PowerShell, use curl or `callctl make|answer|end` directly.',
        ],
      }
    }
  }
}

export function applyPlan(plan: InstallPlan): void {
  for (const {from, to} of plan.copies) {
    try {
      mkdirSync(path.dirname(to), {recursive: true})
      copyFileSync(from, to)
    } catch (error) {
      throw new CallctlError(`Cannot copy ${path.basename(from)} to ${path.dirname(to)}: ${(error as Error).message}`, {
        code: 'ERR_INSTALL',
        cause: error,
        suggestions: [
          'Check that the folder can be written, or copy the files by hand from the folder `callctl scripts` prints',
        ],
      })
    }
  }
}
