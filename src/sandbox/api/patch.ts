import {badRequest, ApiStatusError} from './status.ts'

export type Json = null | boolean | number | string | Json[] | {[key: string]: Json}
type JsonObject = {[key: string]: Json}

export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]))
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a)
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && deepEqual(a[k], b[k]))
  }
  return false
}

// ---- RFC 6902 JSON patch ----

function unescapePointer(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~')
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return []
  if (!pointer.startsWith('/')) throw badRequest(`invalid JSON pointer "${pointer}"`)
  return pointer.slice(1).split('/').map(unescapePointer)
}

function resolveParent(document: Json, tokens: string[], op: string, path: string): {parent: Json; key: string} {
  let current = document
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(current)) current = current[Number(token)] as Json
    else if (isObject(current)) current = current[token] as Json
    else current = undefined as unknown as Json
    if (current === undefined) throw new ApiStatusError(422, 'Invalid', `the server rejected our request due to an error in our request: ${op} operation does not apply: doc is missing path: "${path}": missing value`)
  }
  return {parent: current, key: tokens[tokens.length - 1]!}
}

function getAt(document: Json, path: string): Json {
  let current: Json | undefined = document
  for (const token of parsePointer(path)) {
    if (Array.isArray(current)) current = current[Number(token)]
    else if (isObject(current)) current = current[token]
    else current = undefined
    if (current === undefined) throw new ApiStatusError(422, 'Invalid', `the server rejected our request due to an error in our request: doc is missing path: "${path}": missing value`)
  }
  return current
}

function arrayIndex(array: Json[], key: string, forInsert: boolean, path: string): number {
  if (key === '-' && forInsert) return array.length
  const index = /^(0|[1-9]\d*)$/.test(key) ? Number(key) : Number.NaN
  if (Number.isNaN(index) || index > array.length || (!forInsert && index === array.length)) {
    throw new ApiStatusError(422, 'Invalid', `the server rejected our request due to an error in our request: unable to access invalid index: ${key} at "${path}"`)
  }
  return index
}

function addAt(document: Json, path: string, value: Json, op: string): Json {
  const tokens = parsePointer(path)
  if (tokens.length === 0) return value
  const {parent, key} = resolveParent(document, tokens, op, path)
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, true, path), 0, value)
  else if (isObject(parent)) parent[key] = value
  else throw new ApiStatusError(422, 'Invalid', `the server rejected our request due to an error in our request: ${op} operation does not apply: doc is missing path: "${path}"`)
  return document
}

function removeAt(document: Json, path: string, op: string): Json {
  const tokens = parsePointer(path)
  const {parent, key} = resolveParent(document, tokens, op, path)
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, false, path), 1)
  else if (isObject(parent) && key in parent) delete parent[key]
  else throw new ApiStatusError(422, 'Invalid', `the server rejected our request due to an error in our request: ${op} operation does not apply: doc is missing path: "${path}": missing value`)
  return document
}

/** Applies an RFC 6902 JSON patch to a copy of the document. */
export function applyJsonPatch(original: Json, patch: unknown): Json {
  if (!Array.isArray(patch)) throw badRequest('the server rejected our request due to an error in our request: json patch must be an array of operations')
  let document = structuredClone(original)
  for (const operation of patch) {
    if (!isObject(operation) || typeof operation.op !== 'string' || typeof operation.path !== 'string') {
      throw badRequest('the server rejected our request due to an error in our request: each json patch operation needs "op" and "path"')
    }
    const {op, path} = operation as {op: string; path: string}
    switch (op) {
      case 'add':
        document = addAt(document, path, structuredClone(operation.value as Json), op)
        break
      case 'remove':
        document = removeAt(document, path, op)
        break
      case 'replace':
        getAt(document, path)
        document = addAt(removeAt(document, path, op), path, structuredClone(operation.value as Json), op)
        break
      case 'move': {
        const value = getAt(document, String(operation.from))
        document = addAt(removeAt(document, String(operation.from), op), path, value, op)
        break
      }
      case 'copy':
        document = addAt(document, path, structuredClone(getAt(document, String(operation.from))), op)
        break
      case 'test':
        if (!deepEqual(getAt(document, path), operation.value)) {
          throw new ApiStatusError(422, 'Invalid', `the server rejected our request due to an error in our request: testing value ${path} failed: test failed`)
        }
        break
      default:
        throw badRequest(`the server rejected our request due to an error in our request: Unexpected kind: ${op}`)
    }
  }
  return document
}

// ---- RFC 7386 JSON merge patch ----

export function applyMergePatch(original: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch)
  const result: JsonObject = isObject(original) ? {...original} : {}
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key]
    else result[key] = applyMergePatch(result[key], value)
  }
  return result
}

// ---- strategic merge patch (built-in kinds) ----

/**
 * The list-merge keys of built-in kinds, by field name (and parent for `ports`), as the Go types'
 * patchMergeKey tags declare them. Lists not named here are atomic: a patch replaces them whole.
 */
export function listMergeKey(path: readonly string[]): string | 'set' | undefined {
  const field = path[path.length - 1]
  switch (field) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'env':
    case 'volumes':
    case 'imagePullSecrets':
    case 'resourceClaims':
      return 'name'
    case 'ports':
      return path.includes('containers') || path.includes('initContainers') ? 'containerPort' : 'port'
    case 'volumeMounts':
      return 'mountPath'
    case 'volumeDevices':
      return 'devicePath'
    case 'hostAliases':
      return 'ip'
    case 'conditions':
      return 'type'
    case 'readinessGates':
      return 'conditionType'
    case 'topologySpreadConstraints':
      return 'topologyKey'
    case 'ownerReferences':
      return 'uid'
    case 'finalizers':
      return 'set'
    default:
      return undefined
  }
}

const directivePrefixes = ['$setElementOrder/', '$deleteFromPrimitiveList/', '$retainKeys', '$patch']

function mergeList(original: Json[] | undefined, patch: Json[], path: string[], order: Json[] | undefined): Json[] {
  const key = listMergeKey(path)
  if (key === 'set') {
    const result = [...(original ?? [])]
    for (const item of patch) if (!result.some((x) => deepEqual(x, item))) result.push(item)
    return result
  }
  if (!key) {
    if (patch.some((item) => isObject(item) && item.$patch === 'replace')) return patch.filter((item) => !(isObject(item) && item.$patch === 'replace'))
    return stripDirectives(patch) as Json[]
  }
  let result = [...(original ?? [])]
  if (patch.some((item) => isObject(item) && item.$patch === 'replace')) result = []
  for (const item of patch) {
    if (!isObject(item) || item.$patch === 'replace') continue
    const index = result.findIndex((x) => isObject(x) && deepEqual(x[key], item[key]))
    if (item.$patch === 'delete') {
      if (index >= 0) result.splice(index, 1)
      continue
    }
    if (index >= 0) result[index] = strategicMerge(result[index], item, path)
    else result.push(strategicMerge(undefined, item, path))
  }
  if (order) {
    const position = (x: Json) => order.findIndex((o) => isObject(o) && isObject(x) && deepEqual(o[key], x[key]))
    result = result
      .map((item, i) => ({item, i, p: position(item)}))
      .sort((a, b) => (a.p < 0 || b.p < 0 ? a.i - b.i : a.p - b.p))
      .map((x) => x.item)
  }
  return result
}

function stripDirectives(value: Json): Json {
  if (Array.isArray(value)) return value.map(stripDirectives)
  if (!isObject(value)) return value
  const result: JsonObject = {}
  for (const [key, v] of Object.entries(value)) {
    if (directivePrefixes.some((p) => key.startsWith(p))) continue
    if (v !== null) result[key] = stripDirectives(v)
  }
  return result
}

/** Applies a strategic merge patch as kubectl's apply and patch --type strategic produce them. */
export function strategicMerge(original: Json | undefined, patch: Json, path: string[] = []): Json {
  if (!isObject(patch)) return structuredClone(patch)
  if (patch.$patch === 'replace') return stripDirectives(patch)
  if (patch.$patch === 'delete') return {}
  let result: JsonObject = isObject(original) ? {...original} : {}
  const retainKeys = patch.$retainKeys
  if (Array.isArray(retainKeys)) result = Object.fromEntries(Object.entries(result).filter(([k]) => retainKeys.includes(k)))
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys' || key.startsWith('$setElementOrder/')) continue
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length)
      const current = result[field]
      if (Array.isArray(current) && Array.isArray(value)) result[field] = current.filter((x) => !value.some((v) => deepEqual(v, x)))
      continue
    }
    if (value === null) {
      delete result[key]
      continue
    }
    const childPath = [...path, key]
    const order = patch[`$setElementOrder/${key}`]
    if (Array.isArray(value)) result[key] = mergeList(Array.isArray(result[key]) ? (result[key] as Json[]) : undefined, value, childPath, Array.isArray(order) ? order : undefined)
    else if (isObject(value)) result[key] = strategicMerge(result[key], value, childPath)
    else result[key] = value
  }
  for (const [key, order] of Object.entries(patch)) {
    if (!key.startsWith('$setElementOrder/') || !Array.isArray(order)) continue
    const field = key.slice('$setElementOrder/'.length)
    if (!(field in patch) && Array.isArray(result[field])) result[field] = mergeList(result[field] as Json[], [], [...path, field], order)
  }
  return result
}
