// 1. CLI forwarding and 5. start-up: whole-process wall times, side by side with `node -e 0` in the same rounds.
import {configFolder, median, post, RUN_JS, startListener, timeProcess} from '../lib.js'

const BENCH_SETTINGS = {driver: {sim: {answerAfterMs: 0}}, security: {makeRateLimit: 0}}

export async function cliForwarding({runs}) {
  const configDir = configFolder(BENCH_SETTINGS)
  const listener = await startListener(configDir, {quiet: true})
  const env = {CALLCTL_CONFIG_DIR: configDir}
  const port = String(listener.port)
  const cli = (...args) => timeProcess(process.execPath, [RUN_JS, ...args], env)
  const hasCurl = await timeProcess('curl', ['--version']).then(
    () => true,
    () => false,
  )
  const cases = {
    'node -e 0': () => timeProcess(process.execPath, ['-e', '0']),
    'callctl make': async () => {
      const ms = await cli('make', '0201234567', '--port', port)
      await post(`${listener.url}/end`)
      return ms
    },
    // What a clicked tel: link runs: link parsing and the dialing rules on top of make's fast path.
    'callctl dial': async () => {
      const ms = await cli('dial', 'tel:+31-20-1234567', '--port', port)
      await post(`${listener.url}/end`)
      return ms
    },
    'callctl answer': async () => {
      await post(`${listener.url}/notify/incoming?number=0612345678`)
      const ms = await cli('answer', '--port', port)
      await post(`${listener.url}/end`)
      return ms
    },
    'callctl end': async () => {
      await post(`${listener.url}/make/0201234567`)
      return cli('end', '--port', port)
    },
    ...(hasCurl && {
      'curl /make': async () => {
        const ms = await timeProcess('curl', [
          '-sS',
          '-o',
          '/dev/null',
          '-X',
          'POST',
          `${listener.url}/make/0201234567`,
        ])
        await post(`${listener.url}/end`)
        return ms
      },
    }),
    'callctl --version': () => cli('--version'),
    'callctl --help': () => cli('--help'),
  }
  const times = Object.fromEntries(Object.keys(cases).map((name) => [name, []]))
  try {
    // Round-robin, so that a noisy moment hits every case alike.
    for (let round = 0; round < runs; round++) {
      for (const [name, run] of Object.entries(cases)) times[name].push(await run())
    }
  } finally {
    await listener.stop()
  }

  const floor = median(times['node -e 0'])
  const rows = [{id: 'cli.node', measure: '`node -e 0` (the floor of any Node CLI)', value: floor, unit: 'ms'}]
  for (const command of ['make', 'dial', 'answer', 'end']) {
    const value = median(times[`callctl ${command}`])
    rows.push({
      id: `cli.${command}`,
      measure:
        command === 'dial'
          ? '`callctl dial tel:+31-20-1234567` against a running listener'
          : `\`callctl ${command}\` against a running listener`,
      value,
      unit: 'ms',
      ratio: value / floor,
      target: '≤ 1.15× node -e 0',
      met: value / floor <= 1.15,
    })
  }

  if (hasCurl)
    rows.push({
      id: 'cli.curl',
      measure: '`curl` to the same URL',
      value: median(times['curl /make']),
      unit: 'ms',
      ratio: median(times['curl /make']) / floor,
    })
  for (const flag of ['--version', '--help']) {
    const value = median(times[`callctl ${flag}`])
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
