import type {ServerResponse} from 'node:http'

const {randomBytes} = process.getBuiltinModule('node:crypto')

/** How long the confirmation page must have been in view and focused before its button works. */
const ARM_MS = 1000

/** How long a confirmation page's button stays valid. */
const CONFIRM_TTL_MS = 2 * 60 * 1000
const MAX_PENDING = 100

/**
 * One-time codes for the confirmation page: the page's button sends its code back from the listener's own origin,
 * which shows that the user saw the page and clicked. A code adds a condition and grants nothing: with
 * security.token set, the link must carry `?token=` to get a page at all, and the button sends it back.
 */
export class Confirmations {
  readonly #pending = new Map<string, {action: string; expires: number}>()

  issue(action: string): string {
    const now = Date.now()
    for (const [code, entry] of this.#pending) if (entry.expires < now) this.#pending.delete(code)
    if (this.#pending.size >= MAX_PENDING) this.#pending.delete(this.#pending.keys().next().value!)
    const code = randomBytes(18).toString('base64url')
    this.#pending.set(code, {action, expires: now + CONFIRM_TTL_MS})
    return code
  }

  /** Consumes the code when it was issued for exactly this action and has not expired. */
  redeem(code: string, action: string): boolean {
    const entry = this.#pending.get(code)
    if (!entry) return false
    this.#pending.delete(code)
    return entry.action === action && entry.expires >= Date.now()
  }
}

const escape = (text: string) =>
  text.replaceAll(/[&<>"']/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'})[c]!)

/** 020123456 → "020 123 456", for a number a person has to check at a glance. */
export function groupDigits(number: string): string {
  const [, plus = '', digits] = /^(\+?)(.*)$/.exec(number)!
  return plus + (digits.match(/.{1,3}/g) ?? []).join(' ')
}

const STYLE = `body{font:16px system-ui,sans-serif;max-width:28em;margin:4em auto;padding:0 1em;color:#222}
h1{font-size:1.4em}button{font-size:1em;padding:.5em 1.2em;margin-right:.5em;cursor:pointer}
#call{background:#1a7f37;color:#fff;border:0;border-radius:4px}.from{color:#666;font-size:.9em}`

function page(res: ServerResponse, status: number, title: string, body: string, script = ''): void {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<meta name="viewport" content="width=device-width"><style>${STYLE}</style></head><body>${body}${script ? `<script>${script}</script>` : ''}</body></html>`
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    // Nobody may frame this page to trick a click onto its button.
    'x-frame-options': 'DENY',
    'content-security-policy':
      "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
    'referrer-policy': 'no-referrer',
  })
  res.end(html)
}

/** "Call 020 123 456? [Call] [Cancel]": the button acts through a same-origin POST carrying the one-time code. */
export function sendConfirmPage(
  res: ServerResponse,
  options: {question: string; actionUrl: string; code: string; askedBy: string},
): void {
  const {question, actionUrl, code, askedBy} = options
  const target = `${actionUrl}${actionUrl.includes('?') ? '&' : '?'}confirm=${encodeURIComponent(code)}`
  page(
    res,
    200,
    question,
    `<h1>${escape(question)}</h1><p class="from">Asked by ${escape(askedBy)}.</p>
<p><button id="call">${escape(question.split(' ')[0])}</button><button id="cancel">Cancel</button></p><p id="result" role="status"></p>`,
    // The button arms itself only after the page has been in view, focused, for ARM_MS: a page that opens this one
    // under the pointer and asks for a double-click (or prerenders it) gets its second click on a disabled button.
    `const result=document.getElementById('result'),call=document.getElementById('call');let done=false,timer;
const arm=()=>{clearTimeout(timer);call.disabled=true;if(!done&&document.visibilityState==='visible'&&document.hasFocus())timer=setTimeout(()=>{call.disabled=false},${ARM_MS})};
addEventListener('focus',arm);addEventListener('blur',arm);document.addEventListener('visibilitychange',arm);arm();
call.onclick=async()=>{done=true;call.disabled=true;
try{const r=await fetch(${JSON.stringify(target)},{method:'POST'});const b=await r.json();
result.textContent=r.ok?'Done: call '+b.call.id+' is '+b.call.state+'.':'Refused: '+b.error.message}catch(e){result.textContent='Failed: '+e.message}};
document.getElementById('cancel').onclick=()=>{done=true;result.textContent='Cancelled. Nothing was done.';call.disabled=true}`,
  )
}

/** What a navigation that acted at once sees: a line saying what was done, rather than raw JSON. */
export function sendActedPage(
  res: ServerResponse,
  status: number,
  body: {call?: {number: string; state: string; id: string}; error?: {message: string}},
): void {
  const text = body.call
    ? `${body.call.state === 'ended' ? 'Ended' : 'Done'}: ${groupDigits(body.call.number)} (${body.call.state}, call ${body.call.id})`
    : `Refused: ${body.error?.message ?? 'unknown error'}`
  page(res, status, text, `<h1>${escape(text)}</h1><p class="from">callctl</p>`)
}
