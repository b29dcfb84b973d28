// A kubeconfig is read at the start of every cluster command. The `yaml` package takes about 10 ms to
// load and 10 ms more to parse its first small document (cold code), as much as kubectl's whole
// `version` call. kubeconfigs are nearly always block YAML as kubectl writes it (sigs.k8s.io/yaml):
// nested mappings, sequences of mappings, plain and quoted one-line scalars. This reads that subset
// and nothing else: anything outside it (flow collections, anchors, tags, block and multi-line
// scalars, numbers, escapes, tabs, several documents, duplicate keys) answers undefined, and the
// caller hands the text to the full parser. Where it answers, it answers what `yaml`'s parse()
// (YAML 1.2, core schema) would; test/unit/kube/block-yaml.test.ts checks that against `yaml` and
// against files written by real kubectl.

/** Thrown inside the reader when the text leaves the subset; never escapes parseBlockYaml. */
class OutsideSubset extends Error {}

interface Line {
  indent: number
  /** The line after its indentation, trailing spaces removed. */
  text: string
}

/** The value of a block-YAML document, or undefined when the text is outside the subset. */
export function parseBlockYaml(source: string): unknown {
  try {
    return new BlockReader(source).document()
  } catch (error) {
    if (error instanceof OutsideSubset) return undefined
    throw error
  }
}

function outside(): never {
  throw new OutsideSubset()
}

const key = /^([A-Za-z_][A-Za-z0-9_./-]*):(?: +(.*))?$/
// Plain scalars the core schema resolves to something other than a string.
const nullScalar = /^(?:~|null|Null|NULL)$/
const boolScalar = /^(?:true|True|TRUE|false|False|FALSE)$/
// Anything that may be a number (or is close enough to one to need the full rules): left to `yaml`.
const numberLike = /^[-+]?(?:[0-9]|\.[0-9]|\.(?:inf|Inf|INF|nan|NaN|NAN)$)|^\.(?:inf|Inf|INF|nan|NaN|NAN)$/
// A plain scalar cannot start with an indicator; those that start one of the forms left out bail.
const indicator = /^[&*!|>{}[\]%@`?:,#'"]|^-(?: |$)/

const isSequenceItem = (text: string) => text === '-' || text.startsWith('- ')

class BlockReader {
  private readonly lines: Line[] = []
  private pos = 0

  constructor(source: string) {
    const text = source.replace(/\r\n/g, '\n')
    // Tabs, lone carriage returns, a byte order mark, non-breaking spaces: the full parser's business.
    if (/[\t\r\ufeff\u00a0]/.test(text)) outside()
    for (const raw of text.split('\n')) {
      const content = raw.replace(/^ +/, '').trimEnd()
      if (content === '' || content.startsWith('#')) continue
      this.lines.push({indent: raw.length - raw.replace(/^ +/, '').length, text: content})
    }
  }

  document(): unknown {
    if (this.lines[0]?.indent === 0 && this.lines[0].text === '---') this.pos++
    // Directives, document ends and further documents.
    if (this.lines.some((line, i) => i >= this.pos && line.indent === 0 && /^(?:---|\.\.\.|%)/.test(line.text))) outside()
    const first = this.lines[this.pos]
    if (!first) return null
    const value = this.block(first.indent)
    if (this.pos < this.lines.length) outside()
    return value
  }

  private block(indent: number): unknown {
    const line = this.lines[this.pos] as Line
    return isSequenceItem(line.text) ? this.sequence(indent) : this.mapping(indent)
  }

  private mapping(indent: number): Record<string, unknown> {
    const map: Record<string, unknown> = {}
    while (this.pos < this.lines.length) {
      const line = this.lines[this.pos] as Line
      if (line.indent < indent) break
      if (line.indent > indent || isSequenceItem(line.text)) outside()
      const entry = key.exec(line.text) ?? outside()
      const name = entry[1] as string
      if (resolvePlain(name) !== name || name === '__proto__' || Object.hasOwn(map, name)) outside()
      this.pos++
      const rest = entry[2] ?? ''
      if (rest === '' || rest.startsWith('#')) {
        map[name] = this.nested(indent, true)
      } else {
        map[name] = inlineValue(rest)
        this.noContinuation(indent)
      }
    }
    return map
  }

  /** The value of `key:` or `-` with nothing after it: a block on the lines below, else null. */
  private nested(parentIndent: number, compactSequence: boolean): unknown {
    const next = this.lines[this.pos]
    if (!next) return null
    if (next.indent > parentIndent) return this.block(next.indent)
    // kubectl writes a mapping's sequence at the mapping's own indentation ("clusters:\n- cluster:").
    if (compactSequence && next.indent === parentIndent && isSequenceItem(next.text)) return this.sequence(parentIndent)
    return null
  }

  private sequence(indent: number): unknown[] {
    const items: unknown[] = []
    while (this.pos < this.lines.length) {
      const line = this.lines[this.pos] as Line
      if (line.indent < indent || (line.indent === indent && !isSequenceItem(line.text))) break
      if (line.indent > indent) outside()
      const inner = line.text.slice(1).replace(/^ +/, '')
      if (inner === '' || inner.startsWith('#')) {
        this.pos++
        items.push(this.nested(indent, false))
      } else if (isSequenceItem(inner)) {
        outside()
      } else if (key.test(inner)) {
        // "- name: x": a mapping whose entries sit where "name" starts.
        this.lines[this.pos] = {indent: indent + line.text.length - inner.length, text: inner}
        items.push(this.mapping(indent + line.text.length - inner.length))
      } else {
        this.pos++
        items.push(inlineValue(inner))
        this.noContinuation(indent)
      }
    }
    return items
  }

  /** A scalar's next line indented deeper would continue it (a multi-line plain scalar): not ours. */
  private noContinuation(indent: number): void {
    const next = this.lines[this.pos]
    if (next && next.indent > indent) outside()
  }
}

/** A value on the same line as its key or dash, with an optional trailing comment. */
function inlineValue(text: string): unknown {
  if (text.startsWith('"')) {
    const end = text.indexOf('"', 1)
    if (end < 0 || text.slice(1, end).includes('\\')) outside()
    afterScalar(text.slice(end + 1))
    return text.slice(1, end)
  }
  if (text.startsWith("'")) {
    const match = /^'((?:[^']|'')*)'/.exec(text) ?? outside()
    afterScalar(text.slice(match[0].length))
    return (match[1] as string).replace(/''/g, "'")
  }
  const plain = text.replace(/ +#.*$/, '')
  if (plain === '{}' || plain === '[]') return plain === '{}' ? {} : []
  if (indicator.test(plain) || plain.includes(': ') || plain.endsWith(':')) outside()
  return resolvePlain(plain)
}

/** After a quoted scalar only spaces and a comment may follow. */
function afterScalar(rest: string): void {
  const trimmed = rest.trimStart()
  if (trimmed !== '' && !(trimmed.startsWith('#') && rest.startsWith(' '))) outside()
}

/** The core schema's reading of a plain scalar; numbers are left to the full parser. */
function resolvePlain(text: string): unknown {
  if (nullScalar.test(text)) return null
  if (boolScalar.test(text)) return text.toLowerCase() === 'true'
  if (numberLike.test(text)) outside()
  return text
}
