import {badRequest} from './status.ts'

/** One requirement of a label selector (kubectl -l). */
export type LabelRequirement =
  | {key: string; op: 'in' | 'notin'; values: string[]}
  | {key: string; op: 'exists' | 'doesnotexist'}

const labelKey = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/

function checkKey(key: string, selector: string): string {
  if (!labelKey.test(key)) throw badRequest(`unable to parse requirement: invalid label key "${key}" in selector "${selector}"`)
  return key
}

/** Splits on commas that are not inside "(...)". */
function splitTerms(selector: string): string[] {
  const terms: string[] = []
  let depth = 0
  let start = 0
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i]
    if (c === '(') depth++
    else if (c === ')') depth--
    else if (c === ',' && depth === 0) {
      terms.push(selector.slice(start, i))
      start = i + 1
    }
  }
  terms.push(selector.slice(start))
  return terms.map((t) => t.trim()).filter((t) => t.length > 0)
}

/** Parses a label selector: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`. */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  return splitTerms(selector).map((term) => {
    const setMatch = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term)
    if (setMatch) {
      const values = setMatch[3]!.split(',').map((v) => v.trim()).filter((v) => v !== '')
      return {key: checkKey(setMatch[1]!, selector), op: setMatch[2] as 'in' | 'notin', values}
    }
    const eqMatch = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term)
    if (eqMatch) {
      const key = checkKey(eqMatch[1]!, selector)
      return {key, op: eqMatch[2] === '!=' ? 'notin' : 'in', values: [eqMatch[3]!]}
    }
    if (term.startsWith('!')) return {key: checkKey(term.slice(1).trim(), selector), op: 'doesnotexist'}
    return {key: checkKey(term, selector), op: 'exists'}
  })
}

export function matchesLabels(requirements: LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  for (const requirement of requirements) {
    const value = labels?.[requirement.key]
    switch (requirement.op) {
      case 'exists':
        if (value === undefined) return false
        break
      case 'doesnotexist':
        if (value !== undefined) return false
        break
      case 'in':
        if (value === undefined || !requirement.values.includes(value)) return false
        break
      case 'notin':
        if (value !== undefined && requirement.values.includes(value)) return false
        break
    }
  }
  return true
}

/** A matchLabels map (Service.spec.selector, Deployment.spec.selector.matchLabels) as requirements. */
export function fromMatchLabels(matchLabels: Record<string, string>): LabelRequirement[] {
  return Object.entries(matchLabels).map(([key, value]) => ({key, op: 'in', values: [value]}))
}

/** metav1.LabelSelector (matchLabels + matchExpressions) as requirements. */
export function fromLabelSelector(selector: {matchLabels?: Record<string, string>; matchExpressions?: {key: string; operator: string; values?: string[]}[]}): LabelRequirement[] {
  const requirements = fromMatchLabels(selector.matchLabels ?? {})
  for (const expression of selector.matchExpressions ?? []) {
    const op = ({In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: 'doesnotexist'} as const)[expression.operator as 'In']
    if (!op) continue
    requirements.push(op === 'in' || op === 'notin' ? {key: expression.key, op, values: expression.values ?? []} : {key: expression.key, op: op as 'exists'})
  }
  return requirements
}

export interface FieldRequirement {
  field: string
  equal: boolean
  value: string
}

/** Fields a field selector may name, per kind (others are rejected as the API server does). */
const commonFields = ['metadata.name', 'metadata.namespace']
const kindFields: Record<string, string[]> = {
  Pod: ['status.phase', 'spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'status.podIP'],
  Event: ['involvedObject.kind', 'involvedObject.name', 'involvedObject.namespace', 'involvedObject.uid', 'reason', 'type', 'source'],
  Secret: ['type'],
  Namespace: ['status.phase'],
  Node: ['spec.unschedulable'],
}

/** Parses `a=b,c!=d` field selectors and checks the fields are supported for the kind. */
export function parseFieldSelector(selector: string, kind: string): FieldRequirement[] {
  const allowed = [...commonFields, ...(kindFields[kind] ?? [])]
  return splitTerms(selector).map((term) => {
    const match = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(term)
    if (!match) throw badRequest(`invalid selector: '${selector}'; can't understand '${term}'`)
    const field = match[1]!
    if (!allowed.includes(field)) throw badRequest(`field label not supported: ${field}`)
    return {field, equal: match[2] !== '!=', value: match[3]!.trim()}
  })
}

function fieldValue(object: unknown, path: string): string {
  let current: unknown = object
  for (const part of path.split('.')) {
    if (!current || typeof current !== 'object') return ''
    current = (current as Record<string, unknown>)[part]
  }
  return current === undefined || current === null ? '' : String(current)
}

export function matchesFields(requirements: FieldRequirement[], object: unknown): boolean {
  return requirements.every((r) => (fieldValue(object, r.field) === r.value) === r.equal)
}
