import {execa} from 'execa'
import path from 'node:path'

import {ROOT} from '../helpers/paths.js'
import {BARESIP, describeWithTool, SIPP} from '../helpers/tools.js'

interface Check {
  check: string
  value: number | string
  pass: boolean
}

describeWithTool(BARESIP, 'chaos soak (real listener, real baresip, sipp, faults injected)', () => {
  describeWithTool(SIPP, 'with sipp', () => {
    test('npm run soak, a short run: no death but the injected ones, every event delivered in order, /status fast', async () => {
      const run = await execa(process.execPath, [path.join(ROOT, 'bench', 'soak.js'), '--seconds', '30', '--json'], {
        reject: false,
        timeout: 110_000,
      })
      const report = JSON.parse(run.stdout) as {
        seed: number
        injected: Record<string, number>
        events: number
        checks: Check[]
        slowest: unknown[]
        ok: boolean
      }
      // Each failure names the check and the seed that replays it (node bench/soak.js --seed N), and for /status what
      // the slowest answers coincided with.
      expect(
        report.checks
          .filter((check) => !check.pass)
          .map(
            (check) =>
              `${check.check}: ${check.value} (seed ${report.seed})` +
              (check.check.startsWith('/status') ? `, slowest: ${JSON.stringify(report.slowest)}` : ''),
          ),
      ).toEqual([])
      expect(report.checks).toHaveLength(8)
      // The run did what a soak is for: calls, and every kind of fault.
      expect(report.events).toBeGreaterThan(10)
      expect(Object.keys(report.injected)).toEqual(['baresipKills', 'receiverDowns', 'listenerKills', 'damagedRecords'])
      expect(run.exitCode).toBe(0)
    }, 120_000)
  })
})
