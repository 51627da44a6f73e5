import type {SchemaNode} from './schema.js'

/**
 * The config schema checked by hand, for the keywords callctl's schema uses, with messages in the words of JSON
 * schema validators ("port must be <= 65535"). Not ajv: loading and compiling it took longer than the rest of
 * `callctl listen`'s start-up together.
 */
export function schemaProblems(node: SchemaNode, value: unknown, at: string): string[] {
  const problem = (text: string) => [`${at || 'the config'} ${text}`]
  switch (node.type) {
    case 'string': {
      if (typeof value !== 'string') return problem('must be string')
      if (node.enum && !node.enum.includes(value)) return problem(`must be one of ${node.enum.join(', ')}`)
      if (node.minLength !== undefined && value.length < node.minLength)
        return problem(`must NOT have fewer than ${node.minLength} characters`)
      if (node.pattern !== undefined && !new RegExp(node.pattern, 'u').test(value))
        return problem(`must match pattern "${node.pattern}"`)
      return []
    }

    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return problem(`must be ${node.type}`)
      if (node.type === 'integer' && !Number.isInteger(value)) return problem('must be integer')
      if (node.minimum !== undefined && value < node.minimum) return problem(`must be >= ${node.minimum}`)
      if (node.maximum !== undefined && value > node.maximum) return problem(`must be <= ${node.maximum}`)
      if (node.exclusiveMinimum !== undefined && value <= node.exclusiveMinimum)
        return problem(`must be > ${node.exclusiveMinimum}`)
      return []
    }

    case 'boolean': {
      return typeof value === 'boolean' ? [] : problem('must be boolean')
    }

    case 'array': {
      if (!Array.isArray(value)) return problem('must be array')
      if (node.minItems !== undefined && value.length < node.minItems)
        return problem(`must NOT have fewer than ${node.minItems} items`)
      return node.items ? value.flatMap((item, index) => schemaProblems(node.items!, item, `${at}.${index}`)) : []
    }

    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return problem('must be object')
      const record = value as Record<string, unknown>
      const missing = (node.required ?? []).filter((name) => record[name] === undefined)
      if (missing.length > 0) return problem(`must have required property '${missing[0]}'`)
      return Object.entries(record).flatMap(([name, child]) => {
        const where = at ? `${at}.${name}` : name
        // Own keys only: "toString" or "__proto__" in a file are not settings because every object has them.
        const childNode =
          node.properties && Object.hasOwn(node.properties, name) ? node.properties[name] : node.additionalProperties
        if (name === '__proto__') return [`${where} is not a setting`]
        if (childNode === false) return [`${where} is not a setting`]
        return childNode === true || childNode === undefined ? [] : schemaProblems(childNode, child, where)
      })
    }

    default: {
      return []
    }
  }
}
