import {modelDeclarations} from './model-modules.ts'

/**
 * The field tree of an Istio kind, read from the TypeScript declarations @kubernetes-models/istio
 * generates from Istio's CRD schemas. It lets the server prune unknown fields as a structural CRD
 * schema does, and reject them under fieldValidation=Strict as kubectl asks.
 */
export interface FieldNode {
  properties?: Map<string, FieldNode>
  /** Index signature: any key, values of this shape. */
  additional?: FieldNode
  items?: FieldNode
  /** Anything goes below (references, unknown, any). */
  open?: boolean
}

class DeclarationParser {
  private readonly tokens: string[]
  private position = 0

  constructor(text: string) {
    const withoutComments = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '')
    this.tokens = withoutComments.match(/"(?:[^"\\]|\\.)*"|[A-Za-z_$][\w$]*|[{}()<>[\]:;|&?,]/g) ?? []
  }

  private peek(): string | undefined {
    return this.tokens[this.position]
  }

  private next(): string {
    const token = this.tokens[this.position++]
    if (token === undefined) throw new Error('unexpected end of declarations')
    return token
  }

  private expect(token: string): void {
    const got = this.next()
    if (got !== token) throw new Error(`expected ${token}, got ${got}`)
  }

  /** Positions the parser at the body of `export interface NAME {`. */
  seekInterface(name: string): void {
    for (let i = 0; i < this.tokens.length - 2; i++) {
      if (this.tokens[i] === 'interface' && this.tokens[i + 1] === name && this.tokens[i + 2] === '{') {
        this.position = i + 2
        return
      }
    }
    throw new Error(`interface ${name} not found`)
  }

  /** Unions and intersections alike merge their members' fields (any member's field is known). */
  type(): FieldNode {
    return this.joined('|', () => this.joined('&', () => this.primary()))
  }

  private joined(operator: string, parse: () => FieldNode): FieldNode {
    let node = parse()
    while (this.peek() === operator) {
      this.next()
      node = merge(node, parse())
    }
    return node
  }

  private primary(): FieldNode {
    const token = this.next()
    let node: FieldNode
    if (token === '{') node = this.members()
    else if (token === '(') {
      node = this.type()
      this.expect(')')
    } else if (this.peek() === '<') {
      // Generic: Array<T> is a list of T; Exclude<T, U> narrows T (the fields stay T's).
      this.next()
      const args = [this.type()]
      while (this.peek() === ',') {
        this.next()
        args.push(this.type())
      }
      this.expect('>')
      node = token === 'Array' ? {items: args[0]!} : token === 'Exclude' ? args[0]! : {open: true}
    } else if (token.startsWith('"') || ['string', 'number', 'boolean', 'null', 'true', 'false'].includes(token)) node = {}
    else node = {open: true}
    while (this.peek() === '[' && this.tokens[this.position + 1] === ']') {
      this.position += 2
      node = {items: node}
    }
    return node
  }

  private members(): FieldNode {
    const node: FieldNode = {properties: new Map()}
    while (this.peek() !== '}') {
      const token = this.next()
      if (token === ';' || token === ',') continue
      if (token === '[') {
        while (this.next() !== ']');
        this.expect(':')
        node.additional = this.type()
        continue
      }
      const name = token.startsWith('"') ? (JSON.parse(token) as string) : token
      if (this.peek() === '?') this.next()
      this.expect(':')
      node.properties!.set(name, this.type())
    }
    this.next()
    // `{}` is how the generator writes x-kubernetes-preserve-unknown-fields: anything goes.
    return node.properties!.size === 0 && !node.additional ? {open: true} : node
  }
}

function merge(a: FieldNode, b: FieldNode): FieldNode {
  if (a.open || b.open) return {open: true}
  const result: FieldNode = {}
  if (a.properties || b.properties) {
    result.properties = new Map(a.properties)
    for (const [name, node] of b.properties ?? []) {
      const existing = result.properties.get(name)
      result.properties.set(name, existing ? merge(existing, node) : node)
    }
  }
  if (a.additional || b.additional) result.additional = a.additional && b.additional ? merge(a.additional, b.additional) : (a.additional ?? b.additional)
  if (a.items || b.items) result.items = a.items && b.items ? merge(a.items, b.items) : (a.items ?? b.items)
  return result
}

const leaf: FieldNode = {}
const object = (fields: Record<string, FieldNode>): FieldNode => ({properties: new Map(Object.entries(fields))})
const list = (items: FieldNode): FieldNode => ({items})

/**
 * Fields Istio added after @kubernetes-models/istio 3.0.1 was generated, placed where Istio's own
 * CRDs (crd-all.gen.yaml) declare them; a unit test keeps the tree equal to those CRDs.
 */
const newerFields: {under: string[]; fields: Record<string, FieldNode>}[] = [
  {under: ['connectionPool', 'http'], fields: {http2KeepAlive: object({interval: leaf, timeout: leaf})}},
  {under: ['inboundConnectionPool', 'http'], fields: {http2KeepAlive: object({interval: leaf, timeout: leaf})}},
  {
    under: ['loadBalancer'],
    fields: {
      backendUtilization: object({errorUtilizationPenaltyPercent: leaf, metricNamesForComputingUtilization: list(leaf), weightExpirationPeriod: leaf, weightStabilizationPeriod: leaf, weightUpdatePeriod: leaf}),
      zoneAwareLbSetting: object({enabled: leaf, failover: list(object({from: leaf, to: leaf})), failoverPriority: list(leaf), minClusterSize: leaf}),
    },
  },
  {under: ['outlierDetection'], fields: {outlierDetectionHttpErrorCodes: list(leaf)}},
  {under: ['retryBudget'], fields: {budgetInterval: leaf}},
  {under: ['http', 'redirect'], fields: {prefixRewrite: leaf}},
  {under: ['servers', 'tls'], fields: {ecdhCurves: list(leaf), insecureSkipVerify: leaf}},
  {under: ['ingress', 'tls'], fields: {ecdhCurves: list(leaf), insecureSkipVerify: leaf}},
  {under: ['listener', 'filterChain'], fields: {transportSocket: leaf}},
]

function addNewerFields(node: FieldNode, path: string[]): void {
  if (node.open) return
  for (const rule of newerFields) {
    if (!node.properties || path.length < rule.under.length || rule.under.some((name, i) => path[path.length - rule.under.length + i] !== name)) continue
    for (const [name, field] of Object.entries(rule.fields)) if (!node.properties.has(name)) node.properties.set(name, field)
  }
  for (const [name, child] of node.properties ?? []) addNewerFields(child, [...path, name])
  if (node.items) addNewerFields(node.items, path)
  if (node.additional) addNewerFields(node.additional, [...path, '*'])
}

const trees = new Map<string, FieldNode | undefined>()

/** The field tree of `spec` (and `status`) for networking.istio.io VERSION KIND, or undefined if not shipped. */
export function istioFieldTree(version: string, kind: string): FieldNode | undefined {
  const key = `${version}/${kind}`
  if (trees.has(key)) return trees.get(key)
  let tree: FieldNode | undefined
  try {
    const declarations = modelDeclarations(`@kubernetes-models/istio/networking.istio.io/${version}/${kind}`)
    const parser = new DeclarationParser(declarations)
    parser.seekInterface(`I${kind}`)
    tree = parser.type()
    addNewerFields(tree, [])
  } catch {
    tree = undefined
  }
  trees.set(key, tree)
  return tree
}

/** Removes fields the tree does not know (below `spec`), returning their paths as the apiserver names them. */
export function pruneUnknownFields(object: Record<string, unknown>, tree: FieldNode): string[] {
  const unknown: string[] = []
  const walk = (value: unknown, node: FieldNode, path: string) => {
    if (node.open || value === null || typeof value !== 'object') return
    if (Array.isArray(value)) {
      if (node.items) value.forEach((item, i) => walk(item, node.items!, `${path}[${i}]`))
      return
    }
    const record = value as Record<string, unknown>
    for (const key of Object.keys(record)) {
      const child = node.properties?.get(key) ?? node.additional
      if (!child) {
        unknown.push(path ? `${path}.${key}` : key)
        delete record[key]
      } else walk(record[key], child, path ? `${path}.${key}` : key)
    }
  }
  const spec = tree.properties?.get('spec')
  if (spec && object.spec !== undefined) walk(object.spec, spec, 'spec')
  return unknown
}
