// 1. CLI forwarding and 5. start-up, side by side with `node -e 0` in the same rounds. A forwarding command's budget is
// start → the listener has the command (what the user waits for: the phone dials); its whole run, until the answer
// is printed and the process has exited, is shown beside it, with the floor of any Node process that asks a
// listener anything.
import {configFolder, median, post, RUN_JS, startListener, subscribeEvents, timeProcess, timeRun} from '../lib.js'

const BENCH_SETTINGS = {driver: {sim: {answerAfterMs: 0}}, security: {makeRateLimit: 0}}

export async function cliForwarding({runs}) {
  const configDir = configFolder(BENCH_SETTINGS)
  const listener = await startListener(configDir, {quiet: true})
  const events = await subscribeEvents(listener.url)
  const env = {CALLCTL_CONFIG_DIR: configDir}
  const port = String(listener.port)
  const cli = (args, event) => timeRun(process.execPath, [RUN_JS, ...args, '--port', port], env, {events, event})
  const hasCurl = await timeProcess('curl', ['--version']).then(
    () => true,
    () => false,
  )
  const cases = {
    'node -e 0': () => timeRun(process.execPath, ['-e', '0']),
    // The least any Node command that asks the listener something can take: one request over node:net, its answer
    // read and printed, no callctl code at all.
    'bare node': () => timeRun(process.execPath, ['-e', BARE_REQUEST, port]),
    'callctl make': async () => {
      const run = await cli(['make', '0201234567'], 'outgoing')
      await post(`${listener.url}/end`)
      return run
    },
    // What a clicked tel: link runs: link parsing and the dialing rules on top of make's fast path.
    'callctl dial': async () => {
      const run = await cli(['dial', 'tel:+31-20-1234567'], 'outgoing')
      await post(`${listener.url}/end`)
      return run
    },
    'callctl answer': async () => {
      await post(`${listener.url}/notify/incoming?number=0612345678`)
      const run = await cli(['answer'], 'active')
      await post(`${listener.url}/end`)
      return run
    },
    'callctl end': async () => {
      await post(`${listener.url}/make/0201234567`)
      return cli(['end'], 'end')
    },
    ...(hasCurl && {
      'curl /make': async () => {
        const run = await timeRun('curl', ['-sS', '-o', '/dev/null', '-X', 'POST', `${listener.url}/make/0201234567`])
        await post(`${listener.url}/end`)
        return run
      },
    }),
    'callctl --version': () => timeRun(process.execPath, [RUN_JS, '--version']),
    'callctl --help': () => timeRun(process.execPath, [RUN_JS, '--help']),
  }
  const runsOf = Object.fromEntries(Object.keys(cases).map((name) => [name, []]))
  try {
    // Round-robin, so that a noisy moment hits every case alike.
    for (let round = 0; round < runs; round++) {
      for (const [name, run] of Object.entries(cases)) runsOf[name].push(await run())
    }
  } finally {
    await events.close()
    await listener.stop()
  }

  const exitMs = (name) => median(runsOf[name].map((run) => run.exitMs))
  const floor = exitMs('node -e 0')
  const rows = [
    {id: 'cli.node', measure: '`node -e 0` (the floor of any Node CLI)', value: floor, unit: 'ms'},
    {
      id: 'cli.bare',
      measure: 'a bare `node -e` script: one request to the listener over node:net, answer printed',
      value: exitMs('bare node'),
      unit: 'ms',
      ratio: exitMs('bare node') / floor,
    },
  ]
  for (const command of ['make', 'dial', 'answer', 'end']) {
    const name = `callctl ${command}`
    const arrival = median(runsOf[name].map((run) => run.arrivalMs))
    const shown = command === 'dial' ? 'callctl dial tel:+31-20-1234567' : name
    rows.push(
      {
        id: `cli.${command}`,
        measure: `\`${shown}\`: start → the listener has carried out the command (its event arrives here)`,
        value: arrival,
        unit: 'ms',
        ratio: arrival / floor,
        target: '≤ 1.15× node -e 0',
        met: arrival / floor <= 1.15,
      },
      {
        id: `cli.${command}.exit`,
        measure: `\`${shown}\`: start → exit, the answer printed`,
        value: exitMs(name),
        unit: 'ms',
        ratio: exitMs(name) / floor,
      },
    )
  }

  if (hasCurl)
    rows.push({
      id: 'cli.curl',
      measure: '`curl` to the same URL',
      value: exitMs('curl /make'),
      unit: 'ms',
      ratio: exitMs('curl /make') / floor,
    })
  for (const flag of ['--version', '--help']) {
    const value = exitMs(`callctl ${flag}`)
    rows.push({
      id: `cli${flag.replace('--', '.')}`,
      measure: `\`callctl ${flag}\` (oclif)`,
      value,
      unit: 'ms',
      ratio: value / floor,
    })
  }

  return rows
}

const BARE_REQUEST = `const s = require('node:net').connect(+process.argv[1], '127.0.0.1', () => s.end('GET / HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n'))
const chunks = []
s.on('data', (c) => chunks.push(c)).on('end', () => process.stdout.write(Buffer.concat(chunks).toString().split('\\r\\n\\r\\n')[1] + '\\n'))`

export async function startUp({runs}) {
  const configDir = configFolder(BENCH_SETTINGS)
  const floor = []
  const ready = []
  for (let round = 0; round < runs; round++) {
    floor.push(await timeProcess(process.execPath, ['-e', '0']))
    const listener = await startListener(configDir)
    ready.push(listener.readyMs)
    await listener.stop()
  }

  const value = median(ready)
  const ratio = value / median(floor)
  return [
    {
      id: 'startup.listen',
      measure: '`callctl listen` until it accepts commands',
      value,
      unit: 'ms',
      ratio,
      target: '≤ 2× node -e 0',
      met: ratio <= 2,
    },
  ]
}
