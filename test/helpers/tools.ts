import {existsSync} from 'node:fs'

/**
 * For suites that need an outside program. Under CI=true a missing one fails the suite (CI must install it);
 * elsewhere the suite is skipped with a message saying what to install.
 */
export function describeWithTool(
  tool: {name: string; path: string; install: string},
  name: string,
  body: () => void,
): void {
  if (existsSync(tool.path)) {
    describe(name, body)
    return
  }

  if (process.env.CI === 'true') {
    describe(name, () => {
      test(`${tool.name} is installed`, () => {
        throw new Error(`${tool.name} is missing at ${tool.path}: CI must install it (${tool.install})`)
      })
    })
    return
  }

  process.stderr.write(`Skipping "${name}": ${tool.name} not found at ${tool.path} (install: ${tool.install})\n`)
  describe.skip(name, body)
}

export const CHROMIUM = {
  name: 'Chromium',
  path: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  install: 'apt-get install chromium',
}
export const BARESIP = {name: 'baresip', path: '/usr/bin/baresip', install: 'apt-get install baresip-core'}
export const SIPP = {name: 'sipp', path: '/usr/bin/sipp', install: 'apt-get install sip-tester'}
