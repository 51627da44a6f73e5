import {DatabaseSync} from 'node:sqlite'
import path from 'node:path'

import {runCli} from '../helpers/cli.js'
import {tempConfigDir} from '../helpers/paths.js'

/** The store can be written by anyone who can write the file: what `outbox` prints of it is never raw control text. */
test('outbox shows escape sequences written into the store as text, never raw (a tampered switched-off row)', async () => {
  const configDir = tempConfigDir()
  // The store made as callctl makes it, then a row written into it by hand.
  expect((await runCli(['outbox'], configDir)).stdout).toBe('Outbox empty: every notification was delivered')
  const db = new DatabaseSync(path.join(configDir, 'callctl.db'))
  db.prepare('INSERT INTO disabled_targets (key, target, target_id, url, at, reason) VALUES (?, ?, ?, ?, ?, ?)').run(
    'place:callbacks[0]',
    'callbacks[0]\u001b[2J',
    null,
    'http://crm.test/\u001b]0;owned\u0007',
    '2026-12-03T10:00:00Z',
    '410 Gone\u001b[31m',
  )
  db.close()
  const result = await runCli(['outbox'], configDir)
  expect(result.exitCode).toBe(0)
  expect([...result.stdout].filter((char) => char < ' ' && char !== '\n')).toEqual([])
  expect(result.stdout).toContain('http://crm.test/\\u001b]0;owned\\u0007')
})
