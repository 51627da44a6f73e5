import type {ListenerClient} from '../client.js'
import {CallctlError, isCallctlError} from '../errors.js'
import {onPath} from '../os/probe.js'
import {openInBrowser} from '../os/launch.js'
import {confirmCommand, promptAnswer} from './alert.js'
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
  let promptFailed: string | undefined
  if (command) {
    const answer = promptAnswer(command.argv[0], await runAlert(command))
    if (answer === 'yes') return {kind: 'yes'}
    if (answer === 'no') return {kind: 'declined'}
    // The prompt put no question: the status page asks instead.
    promptFailed = `${command.argv[0]} ${answer.failed}`
  }

  try {
    await client.status()
  } catch {
    const {startListenerFor} = await import('./autostart.js')
    await startListenerFor(client)
  }

  const host = client.host.includes(':') ? `[${client.host}]` : client.host
  const url = `http://${host}:${client.port}/${client.commands.make}/${encodeURIComponent(number)}`
  // The page needs the token to ask at all; what is reported back (and any error, shown and logged) names the page
  // without it.
  try {
    await openInBrowser(token ? `${url}?token=${encodeURIComponent(token)}` : url, {shown: url})
  } catch (error) {
    if (!isCallctlError(error) || error.code !== 'ERR_OPEN') throw error
    const {opener, reason} = error.data as {opener: string; reason: string}
    throw new CallctlError(
      `Not dialled: cannot ask whether to call ${dialled}. ${promptFailed ? `The native prompt failed (${promptFailed})` : 'There is no native prompt (zenity, kdialog)'}, and the browser did not open the confirmation page ${url}: ${opener} ${reason}`,
      {
        code: error.code,
        exit: error.exit,
        cause: error,
        data: error.data,
        suggestions: [
          'Install zenity or kdialog so that callctl asks with a native prompt, or set up a browser for xdg-open',
          ...error.suggestions,
        ],
      },
    )
  }

  return {kind: 'page', url}
}
