import type {ListenerClient} from '../client.js'
import {onPath} from '../os/probe.js'
import {openInBrowser} from '../os/launch.js'
import {confirmCommand} from './alert.js'
import {runAlert} from './report.js'

export type ConfirmAnswer = {kind: 'yes'} | {kind: 'declined'} | {kind: 'page'; url: string}

/**
 * `handler.confirm`: asks before a clicked link dials, with the OS's own prompt (osascript, a PowerShell message box,
 * zenity or kdialog). Where there is none, the listener's confirmation page asks in the browser: opened as a link from
 * another app, `/make/<number>` gets that page (security.confirmLinks), and its button dials.
 */
export async function confirmDial(
  client: ListenerClient,
  {dialled, number, token}: {dialled: string; number: string; token?: string},
): Promise<ConfirmAnswer> {
  const command = confirmCommand('callctl', `Call ${dialled}?`, process.platform, onPath)
  if (command) return (await runAlert(command)) === 0 ? {kind: 'yes'} : {kind: 'declined'}
  try {
    await client.status()
  } catch {
    const {startListenerFor} = await import('./autostart.js')
    await startListenerFor(client)
  }

  const host = client.host.includes(':') ? `[${client.host}]` : client.host
  const url = `http://${host}:${client.port}/${client.commands.make}/${encodeURIComponent(number)}`
  // The page needs the token to ask at all; what is reported back names the page without it.
  await openInBrowser(token ? `${url}?token=${encodeURIComponent(token)}` : url)
  return {kind: 'page', url}
}
