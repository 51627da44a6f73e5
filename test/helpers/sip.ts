import {createSocket} from 'node:dgram'
import {createServer} from 'node:net'
import path from 'node:path'

import {execa, type ResultPromise} from 'execa'

import {ROOT} from './paths.js'

async function tcpFree(port: number): Promise<boolean> {
  const server = createServer()
  return new Promise((resolve) => {
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

async function udpFree(port: number): Promise<boolean> {
  const socket = createSocket('udp4')
  return new Promise((resolve) => {
    socket.once('error', () => resolve(false))
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)))
  })
}

/**
 * `count` consecutive ports free for TCP and UDP, from a random place, so that parallel runs do not collide
 * (baresip opens SIP on UDP and TCP, and TCP on port+1 too).
 */
export async function freePortBlock(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 2000) * 10
    const ports = Array.from({length: count}, (_, index) => base + index)
    const free = await Promise.all(ports.map(async (port) => (await tcpFree(port)) && (await udpFree(port))))
    if (free.every(Boolean)) return base
  }

  throw new Error('no free port block found')
}

export interface Sipp {
  process: ResultPromise
  stop(): Promise<void>
}

/** Runs sipp with one of test/fixtures/sipp/*.xml, on loopback, for one call. */
export function startSipp(scenario: string, args: string[]): Sipp {
  const child = execa(
    'sipp',
    [
      '-sf',
      path.join(ROOT, 'test/fixtures/sipp', scenario),
      '-i',
      '127.0.0.1',
      '-mi',
      '127.0.0.1',
      '-m',
      '1',
      '-timeout',
      '30s',
      '-nostdin',
      ...args,
    ],
    {reject: false, stdin: 'ignore'},
  )
  return {
    process: child,
    async stop() {
      if (child.nodeChildProcess.exitCode === null && child.nodeChildProcess.signalCode === null) {
        child.kill('SIGKILL')
      }

      await child
    },
  }
}
