import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const RUN_JS = path.join(ROOT, 'bin', 'run.js')

/** A fresh, empty config folder for one test: nothing leaks between tests or into the user's real config. */
export function tempConfigDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'callctl-test-'))
  createdDirs.push(dir)
  return dir
}

const createdDirs: string[] = []

/** Removes the folders this test file created (run after all its tests by test/helpers/setup.ts). */
export function removeTempDirs(): void {
  for (const dir of createdDirs.splice(0)) rmSync(dir, {recursive: true, force: true})
}

/**
 * Points CALLCTL_CONFIG_DIR of this (in-process) test at a fresh folder before each test; returns a getter for it.
 */
export function useTempConfigDir(): () => string {
  let dir = ''
  let before: string | undefined
  beforeEach(() => {
    before = process.env.CALLCTL_CONFIG_DIR
    dir = tempConfigDir()
    process.env.CALLCTL_CONFIG_DIR = dir
  })
  afterEach(() => {
    if (before === undefined) delete process.env.CALLCTL_CONFIG_DIR
    else process.env.CALLCTL_CONFIG_DIR = before
  })
  return () => dir
}
