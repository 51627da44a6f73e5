import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {CHROMIUM} from './tools.js'

/**
 * Headless Debian Chromium through playwright-core, with the flags this closed network needs, a fresh profile,
 * and extra host names mapped to loopback (`attacker.test`, `crm.test`) so that pages come from other sites.
 */
export async function launchChromium(mappedHosts: string[] = []) {
  const {chromium} = await import('playwright-core')
  const profile = mkdtempSync(path.join(tmpdir(), 'callctl-chromium-'))
  const rules = mappedHosts.map((host) => `MAP ${host} 127.0.0.1`).join(', ')
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM.path,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...(rules ? [`--host-resolver-rules=${rules}`] : []),
    ],
  })
  return {
    context,
    async close() {
      await context.close()
      rmSync(profile, {recursive: true, force: true})
    },
  }
}
