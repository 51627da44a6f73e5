import type {ServerResponse} from 'node:http'

import type {ListenerSettings} from './settings.js'
import {CALL_EVENT_TYPES} from '../engine/call.js'

const {createHash} = process.getBuiltinModule('node:crypto')

const STYLE = `
:root{color-scheme:light dark;--muted:#777;--line:#8884;--ok:#1a7f37;--bad:#c4302b;--ring:#b7791f}
body{font:15px system-ui,sans-serif;max-width:56em;margin:2em auto;padding:0 1em}
h1{font-size:1.3em;margin:0}h2{font-size:1em;margin:1.6em 0 .4em;color:var(--muted);text-transform:uppercase;letter-spacing:.05em}
header{display:flex;gap:1em;align-items:baseline;flex-wrap:wrap}.muted{color:var(--muted)}
#state.up{color:var(--ok)}#state.down,#driver.warn,.unknown{color:var(--bad)}
form{display:flex;gap:.5em;margin:1em 0}input{font:inherit;padding:.45em .6em;flex:1;max-width:16em}
button{font:inherit;padding:.45em 1em;cursor:pointer;border-radius:4px;border:1px solid var(--line)}
button.go{background:var(--ok);color:#fff;border:0}button.stop{background:var(--bad);color:#fff;border:0}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.4em .5em;border-bottom:1px solid var(--line)}
.ringing{color:var(--ring);font-weight:600}.active{color:var(--ok);font-weight:600}
#events li{font-family:ui-monospace,monospace;font-size:.9em;list-style:none;white-space:pre}#events{padding:0}
#error{color:var(--bad);min-height:1.2em}[hidden]{display:none!important}form.inline{display:inline-flex;gap:.2em;margin:0 .2em}`

/** Runs in the page: everything goes through the listener's own URLs, under the same policy as any client. */
const SCRIPT = `
const $ = (id) => document.getElementById(id)
// The command segments (commands.make, ...) as configured: the page uses the listener's real routes.
const routes = document.body.dataset
const calls = new Map()
// What the driver can (from /status): the page offers only those actions.
let can = new Set()
let token = sessionStorage.getItem('callctl-token') || ''
let source

function headers() { return token ? {authorization: 'Bearer ' + token} : {} }
function showError(text) { $('error').textContent = text || '' }

async function request(method, path) {
  const response = await fetch(path, {method, headers: headers()})
  const body = await response.json().catch(() => ({}))
  if (response.status === 401) { askToken(); throw new Error('This listener needs its token (callctl config get security.token --reveal)') }
  if (!response.ok) throw new Error(body.error ? body.error.message : 'HTTP ' + response.status)
  return body
}

function askToken() { $('token-form').hidden = false }

function duration(call) {
  if (!call.answeredAt) return ''
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(call.answeredAt)) / 1000))
  return Math.floor(seconds / 60) + ':' + String(seconds % 60).padStart(2, '0')
}

function cell(row, text, className) {
  const td = row.insertCell()
  td.textContent = text
  if (className) td.className = className
  return td
}

function button(parent, label, className, action) {
  const b = document.createElement('button')
  b.textContent = label
  b.className = className
  b.addEventListener('click', () => action().then(() => showError(''), (error) => showError(error.message)))
  parent.append(b)
}

// A small form in a call's row: a text field and its button (transfer to a number, DTMF digits).
function field(parent, placeholder, label, action) {
  const form = document.createElement('form')
  form.className = 'inline'
  const input = document.createElement('input')
  input.placeholder = placeholder
  input.setAttribute('aria-label', placeholder)
  input.size = 10
  const submit = document.createElement('button')
  submit.textContent = label
  form.append(input, submit)
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const value = input.value.trim()
    if (value) action(value).then(() => showError(''), (error) => showError(error.message))
  })
  parent.append(form)
}

function renderCalls() {
  const body = $('calls')
  body.replaceChildren()
  for (const call of calls.values()) {
    const row = body.insertRow()
    row.dataset.call = call.id
    cell(row, call.number || '(unknown)')
    cell(row, call.name || '')
    cell(row, call.direction)
    // unknown: the driver cannot reach the phone, so the call may have changed meanwhile.
    cell(row, call.state === 'unknown' ? 'unknown (was ' + call.lastKnownState + ')' : call.state, call.state)
    cell(row, duration(call), 'duration')
    const actions = cell(row, '')
    const act = (route, suffix = '') => () =>
      request('POST', '/' + routes[route] + suffix + '?call=' + encodeURIComponent(call.id))
    const ringing = call.direction === 'incoming' && call.state === 'ringing'
    const talking = call.state === 'active' || call.state === 'held'
    if (ringing) button(actions, 'Answer', 'go', act('answer'))
    if (ringing && can.has('reject')) button(actions, 'Reject', 'stop', act('reject'))
    if (call.state === 'active' && can.has('hold')) button(actions, 'Hold', '', act('hold'))
    if (call.state === 'held' && can.has('resume')) button(actions, 'Resume', 'go', act('resume'))
    if (talking && can.has('mute')) button(actions, call.muted ? 'Unmute' : 'Mute', '', act(call.muted ? 'unmute' : 'mute'))
    if (talking && can.has('transfer')) field(actions, 'Transfer to', 'Transfer', (value) => act('transfer', '/' + encodeURIComponent(value))())
    if (call.state === 'active' && can.has('dtmf')) field(actions, 'Digits', 'DTMF', (value) => act('dtmf', '/' + encodeURIComponent(value))())
    button(actions, 'End', 'stop', act('end'))
  }
  $('no-calls').hidden = calls.size > 0
}

function addEvent(event) {
  const item = document.createElement('li')
  item.textContent = event.at.slice(11, 19) + '  ' + event.type.padEnd(9) + ' ' + (event.call.number || '(unknown)') + (event.call.name ? ' "' + event.call.name + '"' : '')
  $('events').prepend(item)
  while ($('events').children.length > 20) $('events').lastChild.remove()
}

async function refresh() {
  try {
    const status = await request('GET', '/status')
    can = new Set(status.capabilities || [])
    $('version').textContent = 'callctl ' + status.version
    const driver = status.driver
    $('driver').textContent = 'driver: ' + driver.name + (driver.state === 'connected' ? '' : ' (' + driver.state + ': ' + driver.detail + ')')
    $('driver').className = driver.state === 'connected' ? 'muted' : 'warn'
    $('deliveries').textContent = status.deliveries.pending + ' pending, ' + status.deliveries.failed + ' failed' +
      (status.deliveries.disabled ? '; switched off (410 Gone): ' + status.deliveries.disabled.map((d) => d.target).join(', ') : '')
    calls.clear()
    for (const call of status.calls) calls.set(call.id, call)
    renderCalls()
    return true
  } catch (error) {
    showError(error.message)
    return false
  }
}

function connect() {
  if (source) source.close()
  source = new EventSource('/events' + (token ? '?token=' + encodeURIComponent(token) : ''))
  source.onopen = () => { $('state').textContent = 'live'; $('state').className = 'up' }
  source.onerror = () => { $('state').textContent = 'disconnected, retrying'; $('state').className = 'down' }
  for (const type of ${JSON.stringify(CALL_EVENT_TYPES)}) {
    source.addEventListener(type, (message) => {
      const event = JSON.parse(message.data)
      const ended = event.call.state === 'ended'
      if (ended) calls.delete(event.call.id)
      else calls.set(event.call.id, event.call)
      renderCalls()
      addEvent(event)
      if (ended) refresh()
    })
  }
}

$('dial').addEventListener('submit', (submit) => {
  submit.preventDefault()
  const number = $('number').value.trim()
  if (!number) return
  request('POST', '/' + routes.make + '/' + encodeURIComponent(number)).then(() => { $('number').value = ''; showError('') }, (error) => showError(error.message))
})

$('token-form').addEventListener('submit', (submit) => {
  submit.preventDefault()
  token = $('token').value.trim()
  sessionStorage.setItem('callctl-token', token)
  $('token-form').hidden = true
  showError('')
  start()
})

async function start() { if (await refresh()) connect() }
setInterval(() => { for (const td of document.querySelectorAll('#calls tr')) { const call = calls.get(td.dataset.call); if (call) td.querySelector('.duration').textContent = duration(call) } }, 1000)
setInterval(refresh, 10000)
start()
`

const BODY = `<header><h1 id="version">callctl</h1><span id="driver" class="muted"></span><span id="state" class="down">connecting</span></header>
<form id="token-form" hidden><input id="token" type="password" placeholder="token" autocomplete="off" aria-label="Listener token"><button>Use token</button></form>
<form id="dial"><input id="number" placeholder="Number to call" inputmode="tel" autocomplete="off" aria-label="Number to call"><button class="go">Call</button></form>
<div id="error" role="alert"></div>
<h2>Calls</h2><table><thead><tr><th>Number</th><th>Name</th><th>Direction</th><th>State</th><th>Duration</th><th></th></tr></thead><tbody id="calls"></tbody></table>
<p id="no-calls" class="muted">No calls.</p>
<h2>Notifications</h2><p id="deliveries" class="muted"></p>
<h2>Recent events</h2><ul id="events"></ul>`

const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`

/**
 * The status page at `/`: one self-contained document (no CDN, nothing built at run time). Its script and style
 * are allowed by hash, so nothing injected could run; it cannot be framed; and it holds no secret: with a token
 * set, the user types it in and it stays in this tab (sessionStorage).
 */
export function sendStatusPage(res: ServerResponse, commands: ListenerSettings['commands']): void {
  // Segments match ^[A-Za-z0-9_~-]+$ (the config schema): safe in an attribute as they are.
  const data = Object.entries(commands)
    .map(([name, segment]) => `data-${name}="${segment}"`)
    .join(' ')
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>callctl</title>
<meta name="viewport" content="width=device-width"><style>${STYLE}</style></head><body ${data}>${BODY}<script>${SCRIPT}</script></body></html>`
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
    'content-security-policy': `default-src 'none'; script-src ${hash(SCRIPT)}; style-src ${hash(STYLE)}; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
  })
  res.end(html)
}

/** Browsers ask for HTML; scripts and `curl` get the JSON description of the routes. */
export function wantsPage(accept: string | undefined): boolean {
  return /\btext\/html\b/.test(accept ?? '')
}
