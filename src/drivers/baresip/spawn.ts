import {tmpdir} from 'node:os'
import path from 'node:path'

const {mkdtempSync, rmSync, writeFileSync} = process.getBuiltinModule('node:fs')

export interface HeadlessConfig {
  /** `host:port` baresip's SIP stack listens on; it also opens TCP on port+1. */
  sipListen: string
  ctrlHost: string
  ctrlPort: number
  /** The account line: `<sip:alice@127.0.0.1>;regint=0`, or with a registrar and credentials. */
  account: string
  rtpPorts: string
  modulePath: string
}

/**
 * A baresip config that runs without a sound card and without a registrar (verified on baresip 1.0.0): a sine
 * tone as the audio source, no player, the `menu` commands and ctrl_tcp on loopback.
 */
export function headlessConfig(config: HeadlessConfig): string {
  const host = config.sipListen.replace(/:\d+$/, '').replace(/^\[|\]$/g, '')
  return [
    `sip_listen ${config.sipListen}`,
    `net_interface ${host}`,
    'audio_source ausine,440',
    'ausrc_srate 48000',
    'ausrc_channels 2',
    'audio_player none',
    'audio_alert none',
    `rtp_ports ${config.rtpPorts}`,
    'dns_server 127.0.0.1:53',
    'poll_method epoll',
    'statmode_default off',
    `module_path ${config.modulePath}`,
    'module g711.so',
    'module ausine.so',
    'module_tmp account.so',
    'module_app menu.so',
    'module_app ctrl_tcp.so',
    `ctrl_tcp_listen ${config.ctrlHost}:${config.ctrlPort}`,
    '',
  ].join('\n')
}

/** Writes `config` and `accounts` into a fresh folder and returns it. */
export function writeHeadlessConfig(
  config: HeadlessConfig,
  dir = mkdtempSync(path.join(tmpdir(), 'callctl-baresip-')),
): string {
  writeFileSync(path.join(dir, 'config'), headlessConfig(config))
  writeFileSync(path.join(dir, 'accounts'), `${config.account}\n`)
  return dir
}

export interface SpawnedBaresip {
  pid: number
  /** Resolves when baresip has exited (also when it crashed): `how` is `code 99` or `signal SIGKILL`. */
  exited: Promise<{code: number | null; how: string; output: string}>
  stop(): Promise<void>
}

/** baresip colours its errors red (`\x1b[31m…\x1b[;m`), also when its output is a pipe. */
// eslint-disable-next-line no-control-regex
const ANSI = /\u001B\[[\d;]*[A-Za-z]/g

/** One line baresip printed, without its colour codes; `error` for what it prints in red (its warnings and errors). */
export interface BaresipLine {
  text: string
  error: boolean
}

/**
 * Starts `baresip -4 -f DIR` without a shell; `onLine` gets each line it prints (stdout and stderr). Stopping sends
 * SIGTERM twice (once is slow with a pending INVITE).
 */
export async function spawnBaresip(
  binary: string,
  configDir: string,
  onLine: (line: BaresipLine) => void = () => {},
): Promise<SpawnedBaresip> {
  const {execa} = await import('execa')
  const subprocess = execa(binary, ['-4', '-f', configDir], {reject: false, stdin: 'ignore', buffer: false})
  const child = subprocess.nodeChildProcess
  let output = ''
  // Each stream split into lines on its own: merged, one's line could be cut by the other's.
  for (const stream of [subprocess.stdout, subprocess.stderr]) {
    let partial = ''
    stream?.on('data', (chunk: Buffer) => {
      const text = chunk.toString()
      output = (output + text.replaceAll(ANSI, '')).slice(-4000)
      const lines = (partial + text).split('\n')
      partial = lines.pop()!.slice(-4000)
      for (const line of lines) {
        const plain = line.replaceAll(ANSI, '').trim()
        if (plain)
          onLine({text: plain, error: line.includes('\u001B[31m') || /\b(fail|error|cannot|could not)/i.test(plain)})
      }
    })
  }

  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve())
    child.once('error', reject)
  })
  const exited = new Promise<{code: number | null; how: string; output: string}>((resolve) => {
    child.once('exit', (code, signal) => resolve({code, how: signal ? `signal ${signal}` : `code ${code}`, output}))
  })
  return {
    pid: child.pid!,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const quick = await Promise.race([exited.then(() => true), sleep(1000).then(() => false)])
      if (!quick) child.kill('SIGTERM')
      const done = await Promise.race([exited.then(() => true), sleep(2000).then(() => false)])
      if (!done) child.kill('SIGKILL')
      await exited
      rmSync(configDir, {recursive: true, force: true})
    },
  }
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}
