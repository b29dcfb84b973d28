import {LineCounter, parseDocument, isMap, isPair, isScalar, visit, type Document, type Node} from 'yaml'
import {UsageError} from '../errors.ts'
import type {Locator} from './locate.ts'
import {pathText} from './locate.ts'
import {scaffoldSpecSchema, type ScaffoldSpec, type SpecPath} from './spec.ts'

/** Aliases a spec may expand (the yaml library's own guard against alias bombs). */
const maxSpecAliasCount = 100

export interface ParsedSpec {
  spec: ScaffoldSpec
  locate: Locator
}

import type {SchemaError, Validator} from './spec-validator.ts'
let compiled: Promise<Validator> | undefined

/** ajv is loaded on first use only: start-up time matters more than this one compile. */
async function specValidator(): Promise<Validator> {
  compiled ??= import('./spec-validator.ts').then(({compileValidator}) => compileValidator(scaffoldSpecSchema))
  return compiled
}

function nodeAt(doc: Document, path: SpecPath): {node?: Node; depth: number} {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true)
    if (node && typeof node === 'object' && 'range' in (node as object)) return {node: node as Node, depth}
  }
  return {depth: 0}
}

/** Line of the key `key` inside the map at `path` (an unknown field), else of the node at path. */
function lineOf(doc: Document, lines: LineCounter, path: SpecPath, key?: string): number {
  const {node} = nodeAt(doc, path)
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === key)
    const keyNode = pair?.key as Node | undefined
    if (keyNode?.range) return lines.linePos(keyNode.range[0]).line
  }
  const offset = node?.range?.[0]
  return offset === undefined ? 1 : lines.linePos(offset).line
}

function toPath(instancePath: string): SpecPath {
  if (instancePath === '') return []
  return instancePath
    .slice(1)
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part))
}

function describe(error: SchemaError): {message: string; hint?: string; key?: string} {
  const schemaHint = error.parentSchema?.['x-hint'] as string | undefined
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(error.params.additionalProperty)
      const known = Object.keys((error.parentSchema?.properties as object | undefined) ?? {})
      return {message: `unknown field "${key}"`, hint: known.length ? `known fields here: ${known.join(', ')}` : 'remove it', key}
    }
    case 'required':
      return {message: `missing required field "${String(error.params.missingProperty)}"`, hint: `add ${String(error.params.missingProperty)}:`}
    case 'enum':
      return {message: 'value is not allowed', hint: `use one of: ${(error.params.allowedValues as unknown[]).join(', ')}`}
    case 'pattern':
      return schemaHint ? {message: 'is not in the expected form', hint: schemaHint} : {message: error.message ?? 'is invalid'}
    default:
      return {message: error.message ?? 'is invalid', hint: schemaHint}
  }
}

/** Keeps the most telling error per place: a wrong type hides the checks that follow from it. */
function mostTelling(errors: SchemaError[]): SchemaError[] {
  const byPlace = new Map<string, SchemaError>()
  const rank = (e: SchemaError) => (e.keyword === 'additionalProperties' || e.keyword === 'required' ? 0 : e.keyword === 'type' ? 1 : 2)
  for (const error of errors) {
    const place = `${error.instancePath}|${error.keyword === 'additionalProperties' ? String(error.params.additionalProperty) : ''}`
    const previous = byPlace.get(place)
    if (!previous || rank(error) < rank(previous)) byPlace.set(place, error)
  }
  return [...byPlace.values()]
}

/** A schema problem at a spec path (plus the unknown key, when that is the problem). */
export interface SchemaProblem {
  path: SpecPath
  key?: string
  /** The spec path as text, e.g. virtualServices[0].routes[1].timeout. */
  where: string
  /** What is wrong and how to fix it. */
  message: string
}

/** Checks any spec object (from a file or from flags) against the documented schema. */
export async function schemaProblems(data: unknown): Promise<SchemaProblem[]> {
  const validate = await specValidator()
  if (validate(data)) return []
  return mostTelling(validate.errors ?? []).map((error) => {
    const path = toPath(error.instancePath)
    const {message, hint, key} = describe(error)
    const where = pathText(key ? [...path, key] : path) || '(top level)'
    return {path, key, where, message: `${message}${hint ? ` (${hint})` : ''}`}
  })
}

/**
 * Reads a spec file: YAML syntax and schema errors name the file and line, say what is wrong
 * and how to fix it; every error is reported at once. The locator maps later (semantic) errors
 * to lines the same way.
 */
export async function parseSpecText(text: string, fileName: string): Promise<ParsedSpec> {
  const lines = new LineCounter()
  const doc = parseDocument(text, {lineCounter: lines, prettyErrors: false, uniqueKeys: true})
  if (doc.errors.length > 0) {
    const first = doc.errors[0]
    const line = first?.linePos?.[0]?.line ?? (first ? lines.linePos(first.pos[0]).line : 1)
    if (first?.code === 'MULTIPLE_DOCS') {
      throw new UsageError(`${fileName}:${line}: a spec file holds one YAML document; a second one starts here`, {hint: 'put each spec in its own file and run scaffold once per file'})
    }
    throw new UsageError(`${fileName}:${line}: invalid YAML: ${first?.message.split('\n')[0] ?? 'parse error'}`, {hint: 'fix the YAML syntax at that line'})
  }
  let data: unknown
  try {
    data = doc.toJS({maxAliasCount: maxSpecAliasCount})
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error
    // An alias bomb (billion laughs): aliases that expand beyond any real spec.
    let aliasLine = 1
    visit(doc, {
      Alias(_key, node) {
        if (node.range) aliasLine = lines.linePos(node.range[0]).line
        return visit.BREAK
      },
    })
    throw new UsageError(`${fileName}:${aliasLine}: YAML aliases expand too far (${error.message.split('\n')[0]})`, {hint: 'write the values out instead of repeating aliases'})
  }
  const locate: Locator = (path) => `${fileName}:${lineOf(doc, lines, path)}`
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new UsageError(`${fileName}:1: a scaffold spec is a YAML mapping (name:, gateway:, virtualServices: ...)`, {hint: 'see docs/scaffold-spec.md'})
  }
  const problems = (await schemaProblems(data)).map((p) => ({line: lineOf(doc, lines, p.path, p.key), text: `${p.where}: ${p.message}`}))
  if (problems.length) {
    problems.sort((a, b) => a.line - b.line)
    throw new UsageError(problems.map((p) => `${fileName}:${p.line}: ${p.text}`).join('\n'))
  }
  return {spec: data as ScaffoldSpec, locate}
}
