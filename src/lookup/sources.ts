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
    if (config.csv !== undefined) return fileSource('csv', config.csv, csvParser)
    if (config.vcard !== undefined) return fileSource('vcard', config.vcard, vcardParser)
    return urlSource(config.url!, config.namePath, config.headers ?? {}, where)
  })
}

type Entries = Array<[number: string, name: string]>

/** A file's lines, one at a time: parsers are line machines, so a large file is parsed in slices. */
type LineParser = () => {line(text: string): void; end(): Entries}

/** How long parsing may hold the event loop at a time: other requests are answered between slices. */
const SLICE_MS = 4
/** How long a lookup waits for a file being read again before it answers from the index it had. */
const RELOAD_WAIT_MS = 50

/** Feeds each line to the parser, yielding to the event loop every few milliseconds. */
async function parseInSlices(text: string, parser: LineParser): Promise<Entries> {
  const parse = parser()
  let start = text.charCodeAt(0) === 0xfe_ff ? 1 : 0
  let until = performance.now() + SLICE_MS
  for (let count = 0; start <= text.length; count++) {
    let end = text.indexOf('\n', start)
    if (end === -1) end = text.length
    parse.line(text.slice(start, text.charCodeAt(end - 1) === 13 ? end - 1 : end))
    start = end + 1
    if (count % 256 === 0 && performance.now() > until) {
      await new Promise((resolve) => setImmediate(resolve))
      until = performance.now() + SLICE_MS
    }
  }

  return parse.end()
}

function parseAll(text: string, parser: LineParser): Entries {
  const parse = parser()
  for (const line of text.replace(/^\uFEFF/, '').split(/\r?\n/)) parse.line(line)
  return parse.end()
}

interface Index {
  mtimeMs: number
  size: number
  lastDigits?: number
  names: Map<string, string>
}

/**
 * A file read again whenever its size or modification time changed: edit the address book, the next call sees it.
 * Reading and parsing never hold the event loop for more than a few milliseconds at a time, and while a large file
 * is read again, lookups answer from the index read before.
 */
function fileSource(kind: string, file: string, parser: LineParser): Source {
  let loaded: Index | undefined
  let reloading: {key: string; done: Promise<Index>} | undefined

  /** Opened without blocking and checked by its descriptor, not its name: a FIFO swapped in cannot block the open. */
  async function openFile() {
    const handle = await open(file, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0))
    try {
      const stats = await handle.stat()
      if (!stats.isFile()) throw new Error(`${file} is not a file`)
      if (stats.size > MAX_FILE_BYTES) throw new Error(`${file} is larger than ${MAX_FILE_BYTES} bytes`)
      return {handle, stats}
    } catch (error) {
      await handle.close()
      throw error
    }
  }

  async function load(lastDigits: number | undefined): Promise<Index> {
    const {handle, stats} = await openFile()
    let text: string
    try {
      text = await handle.readFile('utf8')
    } finally {
      await handle.close()
    }

    const names = new Map<string, string>()
    for (const [raw, name] of await parseInSlices(text, parser)) {
      const key = numberKey(raw, lastDigits)
      // The first entry of a number wins, as it would for a person reading the file.
      if (key !== '' && name !== '' && !names.has(key)) names.set(key, name)
    }

    return {mtimeMs: stats.mtimeMs, size: stats.size, lastDigits, names}
  }

  return {
    label: `${kind}:${file}`,
    remote: false,
    cacheKey: `${kind}:${file}`,
    async find(number, {lastDigits}) {
      const {handle, stats} = await openFile()
      await handle.close()
      const current = (index: Index | undefined) =>
        index?.mtimeMs === stats.mtimeMs && index.size === stats.size && index.lastDigits === lastDigits
      if (!current(loaded)) {
        const key = `${stats.mtimeMs}|${stats.size}|${lastDigits}`
        if (reloading?.key !== key) {
          const done = load(lastDigits)
          const entry = {key, done}
          reloading = entry
          done
            .then((index) => {
              if (!loaded || index.mtimeMs >= loaded.mtimeMs || index.lastDigits !== loaded.lastDigits) loaded = index
            })
            .catch(() => undefined)
            .finally(() => {
              if (reloading === entry) reloading = undefined
            })
        }

        const {done} = reloading
        const previous = loaded?.lastDigits === lastDigits ? loaded : undefined
        if (previous) {
          // A small file is read within the wait; a large one answers from the index it had meanwhile.
          let timer: NodeJS.Timeout | undefined
          const wait = new Promise<undefined>(
            (resolve) => (timer = setTimeout(() => resolve(undefined), RELOAD_WAIT_MS)),
          )
          const index = await Promise.race([done.catch(() => previous), wait])
          clearTimeout(timer)
          return (index ?? previous).names.get(numberKey(number, lastDigits))
        }

        return (await done).names.get(numberKey(number, lastDigits))
      }

      return loaded!.names.get(numberKey(number, lastDigits))
    },
  }
}

/** `number,name` rows; `;` when the file uses it; a header row (no digit in its number column) names the columns. */
export function parseCsv(text: string): Entries {
  return parseAll(text, csvParser)
}

const csvParser: LineParser = () => {
  const entries: Entries = []
  let delimiter: string | undefined
  let numberColumn = 0
  let nameColumn = 1
  return {
    line(line) {
      if (line.trim() === '') return
      if (delimiter === undefined) {
        delimiter = line.includes(',') || !line.includes(';') ? ',' : ';'
        const first = splitCsvLine(line, delimiter)
        if (!/\d/.test(first[0] ?? '')) {
          const header = first.map((cell) => cell.trim().toLowerCase())
          const number = header.findIndex((cell) => /^(number|phone|tel|telephone|mobile|phone number)$/.test(cell))
          const name = header.findIndex((cell) => /^(name|full name|display name|fn|contact)$/.test(cell))
          if (number !== -1) numberColumn = number
          if (name !== -1) nameColumn = name
          return
        }
      }

      const row = splitCsvLine(line, delimiter)
      entries.push([row[numberColumn] ?? '', (row[nameColumn] ?? '').trim()])
    },
    end: () => entries,
  }
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
  return parseAll(text, vcardParser)
}

const vcardParser: LineParser = () => {
  const entries: Entries = []
  let name = ''
  let numbers: string[] = []
  /** The line being read: a line that starts with a space or tab continues it (folding). */
  let pending: string | undefined
  const property = (line: string) => {
    const colon = line.indexOf(':')
    if (colon === -1) return
    const key = line
      .slice(0, colon)
      .replace(/^[^.;:]*\./, '')
      .split(';')[0]
      .toUpperCase()
    const value = line.slice(colon + 1)
    if (key === 'BEGIN' && value.trim().toUpperCase() === 'VCARD') {
      name = ''
      numbers = []
    } else if (key === 'FN') name = unescapeVcard(value).trim()
    else if (key === 'TEL') numbers.push(value.replace(/^tel:/i, '').split(';')[0])
    else if (key === 'END' && value.trim().toUpperCase() === 'VCARD')
      for (const number of numbers) entries.push([number, name])
  }

  return {
    line(line) {
      if ((line.startsWith(' ') || line.startsWith('\t')) && pending !== undefined) {
        pending += line.slice(1)
        return
      }

      if (pending !== undefined) property(pending)
      pending = line
    },
    end() {
      if (pending !== undefined) property(pending)
      pending = undefined
      return entries
    },
  }
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
