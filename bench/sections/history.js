// 7. The call journal: `callctl history` on a journal of many calls, side by side with `node -e 0`.
import path from 'node:path'

import {JOURNAL_SCHEMA} from '../../dist/src/journal/journal.js'
import {Store} from '../../dist/src/store/database.js'
import {configFolder, median, RUN_JS, timeProcess} from '../lib.js'

const RESULTS = ['answered', 'answered', 'answered', 'missed', 'rejected', 'busy', 'failed', 'cancelled']

/** A store holding `calls` journal entries over the last 90 days, written as the listener writes them. */
function fillJournal(configDir, calls) {
  const store = new Store(path.join(configDir, 'callctl.db'), [JOURNAL_SCHEMA])
  const insert = store.db.prepare(
    `INSERT INTO journal (id, direction, number, name, tags, channel, started, answered, ended, duration, result, reason, delivered)
     VALUES (?, ?, ?, ?, '[]', '', ?, ?, ?, ?, ?, ?, '["end notifications.end"]')`,
  )
  const now = Date.now()
  store.transaction(() => {
    for (let i = 0; i < calls; i++) {
      const ended = now - Math.floor(((calls - i) / calls) * 90 * 86_400_000)
      const result = RESULTS[i % RESULTS.length]
      const started = new Date(ended - 120_000).toISOString()
      const answered = result === 'answered' ? new Date(ended - 100_000).toISOString() : null
      insert.run(
        `call-${i}`,
        i % 2 ? 'incoming' : 'outgoing',
        `06${String(i).padStart(8, '0')}`,
        i % 3 ? '' : `Caller ${i}`,
        started,
        answered,
        new Date(ended).toISOString(),
        answered ? 100 : 0,
        result,
        'remote hangup',
      )
    }
  })
  store.close()
}

export async function history({runs, calls}) {
  const configDir = configFolder({})
  fillJournal(configDir, calls)
  const env = {CALLCTL_CONFIG_DIR: configDir}
  const cases = {
    'node -e 0': () => timeProcess(process.execPath, ['-e', '0']),
    'callctl history': () => timeProcess(process.execPath, [RUN_JS, 'history'], env),
    'callctl history --result missed --since 1w --json': () =>
      timeProcess(process.execPath, [RUN_JS, 'history', '--result', 'missed', '--since', '1w', '--json'], env),
  }
  const times = Object.fromEntries(Object.keys(cases).map((name) => [name, []]))
  for (let round = 0; round < runs; round++) {
    for (const [name, run] of Object.entries(cases)) times[name].push(await run())
  }

  const floor = median(times['node -e 0'])
  return Object.keys(cases)
    .filter((name) => name !== 'node -e 0')
    .map((name, index) => {
      const value = median(times[name])
      return {
        id: index === 0 ? 'history.default' : 'history.filtered',
        measure: `\`${name}\` on a journal of ${calls.toLocaleString('en')} calls`,
        value,
        unit: 'ms',
        ratio: value / floor,
        target: '≤ 1.5× node -e 0',
        met: value / floor <= 1.5,
      }
    })
}
