import {ConfigError} from '../errors.js'
import type {LookupSourceConfig} from './settings.js'

const {open} = process.getBuiltinModule('node:fs/promises')
const {constants: fsConstants} = process.getBuiltinModule('node:fs')

/** An address book is a few megabytes at most: a larger file is not read into memory. */
const MAX_FILE_BYTES = 20 * 1024 * 1024
/** A lookup answer is a name, not a document. */
const MAX_ANSWER_BYTES = 64 * 1024

/** One place names come from. `find` resolves to the name, or undefined when the number is not known there. */
export interface Source {
  /** For reports: `csv:/path/contacts.csv`, `url:crm.example.com`. */
  label: string
  find(
    number: string,
    options: {lastDigits?: number; signal: AbortSignal; userAgent: string},
  ): Promise<string | undefined>
  /** Whether answers are worth caching (HTTP); a file is its own cache. */
  remote: boolean
  /** What its cached answers are kept under: the whole URL template, so two sources on one host never share. */
  cacheKey: string
}

/**
 * A number as numbers are compared: digits, a leading + (`00` read as +), nothing else, so `+31 (0)20-123 4567`
 * style decoration never stops a match; with `lastDigits`, only the last N digits, so that `+31201234567` and
 * `0201234567` are one number.
 */
export function numberKey(raw: string, lastDigits?: number): string {
  let number = raw.replaceAll(/[^\d+]/g, '').replace(/(?!^)\+/g, '')
  if (number.startsWith('00')) number = `+${number.slice(2)}`
  if (lastDigits === undefined) return number
  return number.replace('+', '').slice(-lastDigits)
}

export function compileSources(configs: LookupSourceConfig[]): Source[] {
  return configs.map((config, index) => {
    const where = `lookup.sources[${index}]`
    const kinds = (['csv', 'vcard', 'url'] as const).filter((kind) => config[kind] !== undefined)
    if (kinds.length !== 1)
      throw new ConfigError(`${where} needs exactly one of "csv", "vcard" or "url" (it has ${kinds.length})`, [
        '{"csv": "/path/contacts.csv"}, {"vcard": "/path/contacts.vcf"} or {"url": "https://crm.example.com/lookup?number={CALLERNUM}"}',
      ])
    if (config.url === undefined && (config.namePath !== undefined || config.headers !== undefined))
      throw new ConfigError(`${where}: "namePath" and "headers" belong to a "url" source`)
    if (config.csv !== undefined) return fileSource('csv', config.csv, parseCsv)
    if (config.vcard !== undefined) return fileSource('vcard', config.vcard, parseVcard)
    return urlSource(config.url!, config.namePath, config.headers ?? {}, where)
  })
}

type Entries = Array<[number: string, name: string]>

/** A file read again whenever its size or modification time changed: edit the address book, the next call sees it. */
function fileSource(kind: string, file: string, parse: (text: string) => Entries): Source {
  let loaded: {mtimeMs: number; size: number; lastDigits?: number; names: Map<string, string>} | undefined
  return {
    label: `${kind}:${file}`,
    remote: false,
    cacheKey: `${kind}:${file}`,
    async find(number, {lastDigits}) {
      // Opened without blocking and checked by its descriptor, not its name: a FIFO swapped in between a check by
      // name and the open would block on the open until something writes to it.
      const handle = await open(file, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0))
      try {
        const stats = await handle.stat()
        if (!stats.isFile()) throw new Error(`${file} is not a file`)
        if (stats.size > MAX_FILE_BYTES) throw new Error(`${file} is larger than ${MAX_FILE_BYTES} bytes`)
        if (
          !loaded ||
          loaded.mtimeMs !== stats.mtimeMs ||
          loaded.size !== stats.size ||
          loaded.lastDigits !== lastDigits
        ) {
          const names = new Map<string, string>()
          for (const [raw, name] of parse(await handle.readFile('utf8'))) {
            const key = numberKey(raw, lastDigits)
            // The first entry of a number wins, as it would for a person reading the file.
            if (key !== '' && name !== '' && !names.has(key)) names.set(key, name)
          }

          loaded = {mtimeMs: stats.mtimeMs, size: stats.size, lastDigits, names}
        }
      } finally {
        await handle.close()
      }

      return loaded.names.get(numberKey(number, lastDigits))
    },
  }
}

/** `number,name` rows; `;` when the file uses it; a header row (no digit in its number column) names the columns. */
export function parseCsv(text: string): Entries {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
  if (lines.length === 0) return []
  const delimiter = lines[0].includes(',') || !lines[0].includes(';') ? ',' : ';'
  const rows = lines.map((line) => splitCsvLine(line, delimiter))
  let numberColumn = 0
  let nameColumn = 1
  if (!/\d/.test(rows[0][0] ?? '')) {
    const header = rows.shift()!.map((cell) => cell.trim().toLowerCase())
    const number = header.findIndex((cell) => /^(number|phone|tel|telephone|mobile|phone number)$/.test(cell))
    const name = header.findIndex((cell) => /^(name|full name|display name|fn|contact)$/.test(cell))
    if (number !== -1) numberColumn = number
    if (name !== -1) nameColumn = name
  }

  return rows.map((row) => [row[numberColumn] ?? '', (row[nameColumn] ?? '').trim()])
}

function splitCsvLine(line: string, delimiter: string): string[] {
  const cells: string[] = []
  let cell = ''
  let quoted = false
  for (let at = 0; at < line.length; at++) {
    const char = line[at]
    if (quoted) {
      if (char === '"' && line[at + 1] === '"') {
        cell += '"'
        at++
      } else if (char === '"') quoted = false
      else cell += char
    } else if (char === '"') quoted = true
    else if (char === delimiter) {
      cells.push(cell)
      cell = ''
    } else cell += char
  }

  cells.push(cell)
  return cells
}

/** Each card's FN and every TEL (vCard 2.1, 3.0, 4.0: folded lines, `item1.TEL;TYPE=cell:`, `tel:` URIs). */
export function parseVcard(text: string): Entries {
  const lines = text
    .replace(/^\uFEFF/, '')
    .replaceAll(/\r?\n[ \t]/g, '')
    .split(/\r?\n/)
  const entries: Entries = []
  let name = ''
  let numbers: string[] = []
  for (const line of lines) {
    const colon = line.indexOf(':')
    if (colon === -1) continue
    const property = line
      .slice(0, colon)
      .replace(/^[^.;:]*\./, '')
      .split(';')[0]
      .toUpperCase()
    const value = line.slice(colon + 1)
    if (property === 'BEGIN' && value.trim().toUpperCase() === 'VCARD') {
      name = ''
      numbers = []
    } else if (property === 'FN') name = unescapeVcard(value).trim()
    else if (property === 'TEL') numbers.push(value.replace(/^tel:/i, '').split(';')[0])
    else if (property === 'END' && value.trim().toUpperCase() === 'VCARD')
      for (const number of numbers) entries.push([number, name])
  }

  return entries
}

function unescapeVcard(value: string): string {
  return value.replaceAll(/\\([\\,;nN])/g, (_all, char: string) => (char.toLowerCase() === 'n' ? ' ' : char))
}

/** `{CALLERNUM}`, `{CALLERNUM:n}` or `{CALLERNUM:skip:length}`: the only value a lookup URL needs. */
const NUMBER_TOKEN = /\{([A-Za-z_]+)((?::-?\d+){0,2})\}/g

function urlSource(
  template: string,
  namePath: string | undefined,
  headers: Record<string, string>,
  where: string,
): Source {
  for (const match of template.matchAll(NUMBER_TOKEN)) {
    if (match[1] !== 'CALLERNUM')
      throw new ConfigError(`Unknown variable {${match[1]}} in ${where}.url: a lookup URL takes {CALLERNUM}`, [
        'e.g. https://crm.example.com/lookup?number={CALLERNUM}',
      ])
  }

  if (!template.includes('{CALLERNUM'))
    throw new ConfigError(`${where}.url has no {CALLERNUM}: every lookup would ask for the same thing`)
  const host = new URL(template.replaceAll(NUMBER_TOKEN, '0')).host
  return {
    label: `url:${host}`,
    remote: true,
    cacheKey: `url:${template}`,
    async find(number, {signal, userAgent}) {
      let empty = false
      const url = template.replaceAll(NUMBER_TOKEN, (_all, _name, manipulation: string) => {
        const [skip = 0, length] = manipulation.split(':').slice(1).map(Number)
        const start = skip < 0 ? Math.max(0, number.length + skip) : Math.min(skip, number.length)
        const part = length === undefined ? number.slice(start) : number.slice(start, start + length)
        empty ||= part === ''
        return encodeURIComponent(part)
      })
      // `{CALLERNUM:1}` of a one-digit number leaves nothing to ask about: a question for "" finds no one.
      if (empty) return undefined
      const answer = await get(
        url,
        {accept: 'application/json, text/plain', 'user-agent': userAgent, ...headers},
        signal,
      )
      if (answer.status === 404 || answer.status === 204) return undefined
      if (answer.status < 200 || answer.status >= 300) throw new Error(`HTTP ${answer.status} from ${host}`)
      const body = answer.body.trim()
      if (body === '') return undefined
      // The Content-Type decides: a plain-text name may start with a quote (`"Bob" Smith`). Without one, an object
      // or array is taken as JSON.
      const json = /json/i.test(answer.type) || (answer.type === '' && /^[[{]/.test(body))
      if (!json) return body.split(/\r?\n/)[0]
      let value: unknown
      try {
        value = JSON.parse(body)
      } catch {
        throw new Error(`${host} answered JSON that does not parse`)
      }

      for (const key of namePath?.split('.') ?? []) {
        value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined
      }

      if (value === undefined || value === null || value === '') return undefined
      if (typeof value !== 'string' && typeof value !== 'number')
        throw new Error(`${host}: ${namePath ?? 'the answer'} is not a name (set namePath to where the name is)`)
      return String(value)
    },
  }
}

async function get(
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<{status: number; type: string; body: string}> {
  const target = new URL(url)
  const {request} = process.getBuiltinModule(target.protocol === 'https:' ? 'node:https' : 'node:http')
  return new Promise((resolve, reject) => {
    const req = request(target, {headers, signal}, (res) => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > MAX_ANSWER_BYTES) {
          req.destroy(new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`))
          return
        }

        chunks.push(chunk)
      })
      res.once('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          type: String(res.headers['content-type'] ?? ''),
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      )
      res.once('error', reject)
    })
    req.once('error', reject)
    req.end()
  })
}
