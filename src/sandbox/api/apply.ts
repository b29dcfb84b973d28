import {deepEqual, isObject, listMergeKey, type Json} from './patch.ts'
import {ApiStatusError} from './status.ts'

/** A fieldsV1 tree: "f:name" for fields, "k:{...}" for keyed list items, "." for the item itself. */
export type FieldSet = {[token: string]: FieldSet}
type JsonObject = {[key: string]: Json}

export interface ManagedFieldsEntry {
  manager: string
  operation: 'Apply' | 'Update'
  apiVersion: string
  time: string
  fieldsType: 'FieldsV1'
  fieldsV1: FieldSet
  subresource?: string
}

const trackedMetadata = ['labels', 'annotations', 'finalizers', 'ownerReferences']

function itemKey(item: Json, key: string): string {
  return `k:${JSON.stringify({[key]: isObject(item) ? item[key] : null})}`
}

function walk(value: Json, path: string[]): FieldSet {
  const set: FieldSet = {}
  if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) set[`f:${key}`] = childSet(child, [...path, key])
  }
  return set
}

function childSet(child: Json, path: string[]): FieldSet {
  if (isObject(child)) return walk(child, path)
  if (Array.isArray(child)) {
    const key = listMergeKey(path)
    if (key === 'set') return Object.fromEntries(child.map((v) => [`v:${JSON.stringify(v)}`, {}]))
    if (key && child.every(isObject)) return Object.fromEntries(child.map((item) => [itemKey(item, key), {'.': {}, ...walk(item, path)}]))
  }
  return {}
}

/** The fields an object (or an applied configuration) sets, as managedFields records them. */
export function fieldSetOf(object: JsonObject, options: {builtin: boolean; hasStatus: boolean}): FieldSet {
  const set: FieldSet = {}
  for (const [key, value] of Object.entries(object)) {
    if (key === 'apiVersion' || key === 'kind' || (key === 'status' && options.hasStatus)) continue
    if (key === 'metadata') {
      const metadata: FieldSet = {}
      if (isObject(value)) for (const field of trackedMetadata) if (value[field] !== undefined) metadata[`f:${field}`] = childSet(value[field], ['metadata', field])
      if (Object.keys(metadata).length > 0) set['f:metadata'] = metadata
      continue
    }
    set[`f:${key}`] = options.builtin ? childSet(value, [key]) : customChildSet(value)
  }
  return set
}

/** Custom resources: maps are granular, lists atomic (the default x-kubernetes-list-type). */
function customChildSet(value: Json): FieldSet {
  if (!isObject(value)) return {}
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [`f:${k}`, customChildSet(v)]))
}

/** Leaf paths of a field set (an item's "." counts as a leaf). */
export function leaves(set: FieldSet, prefix: string[] = []): string[][] {
  const result: string[][] = []
  for (const [token, child] of Object.entries(set)) {
    if (token === '.') {
      result.push(prefix)
      continue
    }
    const path = [...prefix, token]
    if (Object.keys(child).length === 0) result.push(path)
    else result.push(...leaves(child, path))
  }
  return result
}

function contains(set: FieldSet, path: string[]): boolean {
  let current: FieldSet | undefined = set
  for (const token of path) {
    current = current[token]
    if (!current) return false
  }
  return Object.keys(current).length === 0 || '.' in current
}

function hasUnder(set: FieldSet, path: string[]): boolean {
  let current: FieldSet | undefined = set
  for (const token of path) {
    current = current[token]
    if (!current) return false
  }
  return true
}

export function addPath(set: FieldSet, path: string[]): void {
  let current = set
  for (const token of path) current = current[token] ??= {}
}

export function removePath(set: FieldSet, path: string[]): void {
  if (path.length === 0) {
    delete set['.']
    return
  }
  const [head, ...rest] = path as [string, ...string[]]
  const child = set[head]
  if (!child) return
  if (rest.length === 0) {
    if (head.startsWith('k:')) delete child['.']
    if (!head.startsWith('k:') || Object.keys(child).length === 0) delete set[head]
    return
  }
  removePath(child, rest)
  if (Object.keys(child).length === 0) delete set[head]
}

/** The value at a field path ("k:" tokens find list items by key), or undefined. */
export function valueAt(object: Json, path: string[]): Json | undefined {
  let current: Json | undefined = object
  for (const token of path) {
    if (current === undefined) return undefined
    if (token.startsWith('f:')) current = isObject(current) ? current[token.slice(2)] : undefined
    else if (token.startsWith('k:')) {
      const key = JSON.parse(token.slice(2)) as JsonObject
      current = Array.isArray(current) ? current.find((item) => isObject(item) && Object.entries(key).every(([k, v]) => deepEqual(item[k], v))) : undefined
    } else if (token.startsWith('v:')) {
      const wanted = JSON.parse(token.slice(2)) as Json
      current = Array.isArray(current) && current.some((x) => deepEqual(x, wanted)) ? wanted : undefined
    }
  }
  return current
}

function deleteAt(object: Json, path: string[]): void {
  if (path.length === 0) return
  const parent = valueAt(object, path.slice(0, -1))
  const last = path[path.length - 1]!
  if (last.startsWith('f:') && isObject(parent)) delete parent[last.slice(2)]
  else if ((last.startsWith('k:') || last.startsWith('v:')) && Array.isArray(parent)) {
    const item = valueAt(object, path)
    const index = parent.findIndex((x) => x === item || deepEqual(x, item))
    if (index >= 0) parent.splice(index, 1)
  }
}

/** Structured merge of an applied configuration into the live object. */
export function mergeApplied(live: Json | undefined, applied: Json, path: string[], builtin: boolean): Json {
  if (isObject(applied)) {
    const result: JsonObject = isObject(live) ? {...live} : {}
    for (const [key, value] of Object.entries(applied)) result[key] = mergeApplied(result[key], value, [...path, key], builtin)
    return result
  }
  if (Array.isArray(applied) && builtin) {
    const key = listMergeKey(path)
    if (key === 'set') return [...(Array.isArray(live) ? live : []), ...applied.filter((v) => !(Array.isArray(live) && live.some((x) => deepEqual(x, v))))]
    if (key && applied.every(isObject)) {
      const result = Array.isArray(live) ? [...live] : []
      for (const item of applied) {
        const index = result.findIndex((x) => isObject(x) && deepEqual(x[key], (item as JsonObject)[key]))
        if (index >= 0) result[index] = mergeApplied(result[index], item, path, builtin)
        else result.push(item)
      }
      return result
    }
  }
  return structuredClone(applied)
}

export interface ApplyInput {
  live: JsonObject | undefined
  applied: JsonObject
  manager: string
  force: boolean
  managedFields: ManagedFieldsEntry[]
  apiVersion: string
  now: string
  builtin: boolean
  hasStatus: boolean
}

/**
 * Server-side apply: merges the applied configuration, removes fields this manager applied before and
 * no longer sets (unless someone else owns them), and reports conflicts with other managers as a 409.
 */
export function serverSideApply(input: ApplyInput): {object: JsonObject; managedFields: ManagedFieldsEntry[]} {
  const options = {builtin: input.builtin, hasStatus: input.hasStatus}
  const appliedSet = fieldSetOf(input.applied, options)
  const mine = input.managedFields.find((e) => e.manager === input.manager && e.operation === 'Apply' && !e.subresource)
  const others = input.managedFields.filter((e) => e !== mine).map((e) => ({...e, fieldsV1: structuredClone(e.fieldsV1)}))
  const conflicts: {manager: string; path: string[]}[] = []
  for (const path of leaves(appliedSet)) {
    for (const other of others) {
      if (other.manager === input.manager || other.subresource || !contains(other.fieldsV1, path)) continue
      if (!deepEqual(valueAt(input.live ?? {}, path), valueAt(input.applied, path))) conflicts.push({manager: other.manager, path})
    }
  }
  if (conflicts.length > 0 && !input.force) {
    const causes = conflicts.map((c) => ({reason: 'FieldManagerConflict', message: `conflict with "${c.manager}"`, field: fieldPathText(c.path)}))
    const list = conflicts.map((c) => `- ${fieldPathText(c.path)}`).join('\n')
    throw new ApiStatusError(409, 'Conflict', `Apply failed with ${conflicts.length} conflict${conflicts.length > 1 ? 's' : ''}: conflict${conflicts.length > 1 ? 's' : ''} with "${conflicts[0]!.manager}":\n${list}`, {causes})
  }
  for (const c of conflicts) for (const other of others) if (other.manager === c.manager) removePath(other.fieldsV1, c.path)
  let object = mergeApplied(input.live ?? {}, input.applied, [], input.builtin) as JsonObject
  if (mine) {
    for (const path of leaves(mine.fieldsV1)) {
      if (hasUnder(appliedSet, path) || others.some((o) => hasUnder(o.fieldsV1, path))) continue
      deleteAt(object, path)
    }
    object = pruneEmptyMetadata(object)
  }
  const managedFields = [
    ...others.filter((e) => leaves(e.fieldsV1).length > 0),
    {manager: input.manager, operation: 'Apply' as const, apiVersion: input.apiVersion, time: input.now, fieldsType: 'FieldsV1' as const, fieldsV1: appliedSet},
  ]
  return {object, managedFields: sortManagedFields(managedFields)}
}

function pruneEmptyMetadata(object: JsonObject): JsonObject {
  const metadata = object.metadata
  if (isObject(metadata)) for (const key of ['labels', 'annotations']) if (isObject(metadata[key]) && Object.keys(metadata[key]).length === 0) delete metadata[key]
  return object
}

function sortManagedFields(entries: ManagedFieldsEntry[]): ManagedFieldsEntry[] {
  return entries.sort((a, b) => (a.operation === b.operation ? 0 : a.operation === 'Apply' ? -1 : 1))
}

/** ".spec.replicas", "metadata.labels.app", `.spec.containers[name="x"].image`: how apiserver names fields. */
export function fieldPathText(path: string[]): string {
  let text = ''
  for (const token of path) {
    if (token.startsWith('f:')) text += `.${token.slice(2)}`
    else if (token.startsWith('k:')) text += `[${Object.entries(JSON.parse(token.slice(2)) as JsonObject).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`
    else if (token.startsWith('v:')) text += `[${token.slice(2)}]`
  }
  return text
}

/**
 * Ownership after a non-apply write (create, update, patch): the writer takes the fields whose values
 * it changed; fields that disappeared leave every manager's set.
 */
export function trackUpdate(input: {
  before: JsonObject | undefined
  after: JsonObject
  manager: string
  managedFields: ManagedFieldsEntry[]
  apiVersion: string
  now: string
  builtin: boolean
  hasStatus: boolean
  subresource?: string
}): ManagedFieldsEntry[] {
  const options = {builtin: input.builtin, hasStatus: input.hasStatus && !input.subresource}
  const afterSet = input.subresource === 'status' ? statusSet(input.after, options.builtin) : fieldSetOf(input.after, options)
  const beforeSet = input.before ? (input.subresource === 'status' ? statusSet(input.before, options.builtin) : fieldSetOf(input.before, options)) : {}
  const changed = leaves(afterSet).filter((path) => !input.before || !deepEqual(valueAt(input.before, path), valueAt(input.after, path)))
  const removed = leaves(beforeSet).filter((path) => !hasUnder(afterSet, path))
  const entries = input.managedFields.map((e) => ({...e, fieldsV1: structuredClone(e.fieldsV1)}))
  if (changed.length === 0 && removed.length === 0) return entries
  for (const entry of entries) {
    if ((entry.subresource ?? '') !== (input.subresource ?? '')) continue
    for (const path of [...changed, ...removed]) removePath(entry.fieldsV1, path)
  }
  let mine = entries.find((e) => e.manager === input.manager && e.operation === 'Update' && (e.subresource ?? '') === (input.subresource ?? ''))
  if (!mine && changed.length > 0) {
    mine = {manager: input.manager, operation: 'Update', apiVersion: input.apiVersion, time: input.now, fieldsType: 'FieldsV1', fieldsV1: {}, ...(input.subresource ? {subresource: input.subresource} : {})}
    entries.push(mine)
  }
  if (mine) {
    mine.time = input.now
    for (const path of changed) addPath(mine.fieldsV1, path)
  }
  return sortManagedFields(entries.filter((e) => leaves(e.fieldsV1).length > 0))
}

function statusSet(object: JsonObject, builtin: boolean): FieldSet {
  return object.status === undefined ? {} : {'f:status': builtin ? childSet(object.status, ['status']) : customChildSet(object.status)}
}
