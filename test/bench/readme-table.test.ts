import {readFileSync} from 'node:fs'
import path from 'node:path'

import {ROOT} from '../helpers/paths.js'

test("the README's Performance section quotes the latest bench table (bench/results/latest.md)", () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8')
  const start = readme.indexOf('<!-- bench -->\n')
  const end = readme.indexOf('<!-- bench:end -->')
  expect(start).toBeGreaterThan(-1)
  expect(readme.slice(start + '<!-- bench -->\n'.length, end).trim()).toBe(
    readFileSync(path.join(ROOT, 'bench/results/latest.md'), 'utf8').trim(),
  )
})
