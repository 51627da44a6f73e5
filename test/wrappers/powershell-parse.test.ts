import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {ROOT} from '../helpers/paths.js'

const SCRIPTS = path.join(ROOT, 'scripts')

async function parser() {
  const {default: Parser} = await import('tree-sitter')
  const {default: PowerShell} = await import('tree-sitter-powershell')
  const instance = new Parser()
  instance.setLanguage(PowerShell as never)
  return instance
}

/** Every ERROR or MISSING node, with its line: what a PowerShell user would get as a parse error. */
function problems(tree: {rootNode: any}, source: string): string[] {
  const found: string[] = []
  const walk = (node: any) => {
    if (node.type === 'ERROR' || node.isMissing) {
      found.push(
        `line ${node.startPosition.row + 1}: ${node.isMissing ? 'missing' : 'error at'} ${JSON.stringify(source.slice(node.startIndex, node.startIndex + 60))}`,
      )
    }

    for (const child of node.children) walk(child)
  }

  walk(tree.rootNode)
  return found
}

describe('PowerShell wrappers parse without errors (tree-sitter-powershell)', () => {
  const files = readdirSync(SCRIPTS).filter((name) => /\.(ps1|psm1|psd1)$/.test(name))

  test('there are a module, its manifest and the three scripts', () => {
    expect(files.sort()).toEqual([
      'CallControl.psd1',
      'CallControl.psm1',
      'answer-call.ps1',
      'end-call.ps1',
      'make-call.ps1',
    ])
  })

  test.each(files)('%s', async (name) => {
    const source = readFileSync(path.join(SCRIPTS, name), 'utf8')
    expect(problems((await parser()).parse(source), source)).toEqual([])
  })

  test('the check finds a broken script (so it can fail)', async () => {
    const broken = 'function Start-Call { param([string]$Number = ) Invoke-RestMethod -Uri "http://x/$(" }'
    expect(problems((await parser()).parse(broken), broken).length).toBeGreaterThan(0)
  })
})
