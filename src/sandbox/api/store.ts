import type {ClusterStateView, StoreEvent, StoredObject} from '../mesh-contract.ts'
import {kindKey} from './resources.ts'

interface KindTable {
  byNamespace: Map<string, Map<string, StoredObject>>
  count: number
  /** "namespace/name" keys in order; rebuilt lazily after a create or delete. */
  sortedKeys?: string[]
}

export interface RecordedEvent extends StoreEvent {
  group: string
  resourceVersion: number
}

const historyLimit = 20_000

/**
 * The object store: per group/kind, per namespace, per name, so a list costs what it returns.
 * Every committed write gets the next resourceVersion, lands in the watch history and is told
 * to subscribers synchronously.
 */
export class ObjectStore implements ClusterStateView {
  readonly istioVersion: string
  private readonly tables = new Map<string, KindTable>()
  private readonly listeners = new Set<(event: StoreEvent) => void>()
  private readonly history: RecordedEvent[] = []
  private readonly watchers = new Set<(event: RecordedEvent) => void>()
  private revision = 0
  /** Told every committed write (the persistence journal). */
  onChange?: (event: RecordedEvent) => void
  /** Resolves once every committed write is on disk (set by persistence; none in memory-only tests). */
  durability?: () => Promise<void>

  constructor(istioVersion: string) {
    this.istioVersion = istioVersion
  }

  get resourceVersion(): number {
    return this.revision
  }

  /** The oldest resourceVersion a watch can resume from. */
  get oldestWatchable(): number {
    return this.history.length > 0 ? this.history[0]!.resourceVersion - 1 : this.revision
  }

  private table(group: string, kind: string): KindTable {
    const key = kindKey(group, kind)
    let table = this.tables.get(key)
    if (!table) {
      table = {byNamespace: new Map(), count: 0}
      this.tables.set(key, table)
    }
    return table
  }

  /** The table and the per-namespace map an object belongs in (created on first use). */
  private slot(group: string, object: StoredObject): {table: KindTable; names: Map<string, StoredObject>} {
    const table = this.table(group, object.kind)
    const namespace = object.metadata.namespace ?? ''
    let names = table.byNamespace.get(namespace)
    if (!names) {
      names = new Map()
      table.byNamespace.set(namespace, names)
    }
    return {table, names}
  }

  get(group: string, kind: string, namespace: string | undefined, name: string): StoredObject | undefined {
    return this.tables.get(kindKey(group, kind))?.byNamespace.get(namespace ?? '')?.get(name)
  }

  /** Objects of a kind (in one namespace, or all), ordered by namespace then name. */
  list(group: string, kind: string, namespace?: string): StoredObject[] {
    const table = this.tables.get(kindKey(group, kind))
    if (!table) return []
    if (namespace !== undefined) {
      const names = table.byNamespace.get(namespace)
      if (!names) return []
      return [...names.keys()].sort().map((name) => names.get(name)!)
    }
    table.sortedKeys ??= [...table.byNamespace.entries()].flatMap(([ns, names]) => [...names.keys()].map((name) => `${ns}/${name}`)).sort()
    return table.sortedKeys.map((key) => {
      const slash = key.indexOf('/')
      return table.byNamespace.get(key.slice(0, slash))!.get(key.slice(slash + 1))!
    })
  }

  count(group: string, kind: string): number {
    return this.tables.get(kindKey(group, kind))?.count ?? 0
  }

  /** Stores a created or updated object under the next resourceVersion; returns the stored copy. */
  put(group: string, object: StoredObject): StoredObject {
    const {table, names} = this.slot(group, object)
    const existed = names.has(object.metadata.name)
    this.revision++
    const stored = {...object, metadata: {...object.metadata, resourceVersion: String(this.revision)}}
    names.set(object.metadata.name, stored)
    if (!existed) {
      table.count++
      table.sortedKeys = undefined
    }
    this.record({type: existed ? 'MODIFIED' : 'ADDED', object: stored, group, resourceVersion: this.revision})
    return stored
  }

  remove(group: string, object: StoredObject): StoredObject | undefined {
    const table = this.tables.get(kindKey(group, object.kind))
    const namespace = object.metadata.namespace ?? ''
    const names = table?.byNamespace.get(namespace)
    const existing = names?.get(object.metadata.name)
    if (!table || !names || !existing) return undefined
    names.delete(object.metadata.name)
    if (names.size === 0) table.byNamespace.delete(namespace)
    table.count--
    table.sortedKeys = undefined
    this.revision++
    const gone = {...existing, metadata: {...existing.metadata, resourceVersion: String(this.revision)}}
    this.record({type: 'DELETED', object: gone, group, resourceVersion: this.revision})
    return gone
  }

  private record(event: RecordedEvent): void {
    this.history.push(event)
    if (this.history.length > historyLimit) this.history.splice(0, this.history.length - historyLimit)
    for (const watcher of this.watchers) watcher(event)
    for (const listener of this.listeners) listener({type: event.type, object: event.object})
    this.onChange?.(event)
  }

  /** Awaited before a write is acknowledged: a 2xx means the write survives a crash. */
  durable(): Promise<void> {
    return this.durability?.() ?? Promise.resolve()
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Events after `resourceVersion` (for a resuming watch), then live ones through `watcher`. */
  watch(fromResourceVersion: number, watcher: (event: RecordedEvent) => void): () => void {
    for (const event of this.history) if (event.resourceVersion > fromResourceVersion) watcher(event)
    this.watchers.add(watcher)
    return () => this.watchers.delete(watcher)
  }

  /** Everything stored, for the state file. */
  snapshot(): {resourceVersion: number; objects: {group: string; object: StoredObject}[]} {
    const objects: {group: string; object: StoredObject}[] = []
    for (const [key, table] of this.tables) {
      const group = key.slice(0, key.lastIndexOf('/'))
      for (const names of table.byNamespace.values()) for (const object of names.values()) objects.push({group, object})
    }
    return {resourceVersion: this.revision, objects}
  }

  /** Loads a snapshot into an empty store without recording events. */
  restore(snapshot: {resourceVersion: number; objects: {group: string; object: StoredObject}[]}): void {
    for (const {group, object} of snapshot.objects) {
      const {table, names} = this.slot(group, object)
      if (!names.has(object.metadata.name)) table.count++
      names.set(object.metadata.name, object)
      table.sortedKeys = undefined
    }
    this.revision = Math.max(this.revision, snapshot.resourceVersion)
  }
}

/** A page of a list: up to `limit` objects after `afterKey` that pass `keep`, and the key to continue from. */
export function pageOf(objects: StoredObject[], afterKey: string | undefined, limit: number, keep: (object: StoredObject) => boolean): {items: StoredObject[]; nextKey?: string; remaining: number} {
  let start = 0
  if (afterKey !== undefined) {
    let low = 0
    let high = objects.length
    while (low < high) {
      const mid = (low + high) >>> 1
      if (objectKey(objects[mid]!) <= afterKey) low = mid + 1
      else high = mid
    }
    start = low
  }
  const items: StoredObject[] = []
  let index = start
  for (; index < objects.length; index++) {
    const object = objects[index]!
    if (!keep(object)) continue
    if (limit > 0 && items.length === limit) break
    items.push(object)
  }
  const more = limit > 0 && index < objects.length
  return {items, nextKey: more ? objectKey(items[items.length - 1]!) : undefined, remaining: more ? objects.length - index : 0}
}

export function objectKey(object: StoredObject): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name}`
}
