// Jest's order of the test files: the slowest first, so that no long file starts last and keeps the run going after the
// other workers are done. Jest's own sequencer does this only from its cache of earlier runs, which a clean clone (CI)
// does not have: there it falls back to file size, which put the slowest files (popups, baresip) near the end.
// The durations come from test/durations.json; a file not in it runs before the known ones, as jest does.
// Refresh the list after a full run: jest --json --outputFile=/tmp/jest.json, then node test/sequencer.js /tmp/jest.json
import TestSequencer from '@jest/test-sequencer'
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const LIST = path.join(ROOT, 'test', 'durations.json')
const relative = (file) => path.relative(ROOT, file).split(path.sep).join('/')

export default class SlowestFirst extends TestSequencer {
  durations = JSON.parse(readFileSync(LIST, 'utf8'))

  /** Milliseconds the file took in the committed list; jest's cached figure for a file that is not in it. */
  time(test) {
    return this.durations[relative(test.path)] ?? super.time(test)
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const {testResults} = JSON.parse(readFileSync(process.argv[2], 'utf8'))
  const milliseconds = testResults
    .map((result) => [relative(result.name), result.endTime - result.startTime])
    .sort((a, b) => b[1] - a[1])
  writeFileSync(LIST, `${JSON.stringify(Object.fromEntries(milliseconds), null, 2)}\n`)
}
