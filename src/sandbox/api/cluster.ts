import {randomBytes, randomUUID} from 'node:crypto'
import {parse as parseYaml} from 'yaml'
import type {StoredObject} from '../mesh-contract.ts'
import {serverSideApply, trackUpdate, type ManagedFieldsEntry} from './apply.ts'
import {applyJsonPatch, applyMergePatch, deepEqual, isObject, strategicMerge, type Json} from './patch.ts'
import {apiVersionOf, splitApiVersion, type ResourceRegistry, type ResourceType} from './resources.ts'
import {ObjectStore} from './store.ts'
import {alreadyExists, ApiStatusError, badRequest, conflict, invalid, notFound} from './status.ts'
import {decodeError, updateCauses, validateObject} from './validation.ts'
import {istioFieldTree, pruneUnknownFields} from './known-fields.ts'
import {applyDefaults, ClusterIpAllocator} from './defaults.ts'

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore'

export interface WriteOptions {
  dryRun?: boolean
  /** Unknown fields are always pruned; Strict refuses them (400), Warn (the default) reports them in `warnings`. */
  fieldValidation?: FieldValidation
  warnings?: string[]
  /** Who writes (managedFields); kubectl passes it, otherwise the user agent's program name. */
  fieldManager: string
  /** Writes through the status subresource change only status; others never change status. */
  subresource?: 'status'
}

export interface PatchOptions extends WriteOptions {
  force?: boolean
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply'

export const patchContentTypes: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
  'application/apply-patch+cbor': 'apply',
}

type JsonObject = {[key: string]: Json}

/** Fields that describe the object's identity and history, not its desired state. */
function withoutVolatile(object: StoredObject): unknown {
  const {resourceVersion: _rv, managedFields: _mf, ...metadata} = object.metadata
  return {...object, metadata}
}

/** Everything but metadata and status: generation moves only when this changes. */
function specOf(object: StoredObject): unknown {
  const {metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest} = object
  return rest
}

function randomSuffix(length: number): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789'
  return [...randomBytes(length)].map((b) => alphabet[b % alphabet.length]).join('')
}

/**
 * The API semantics above the store: identity and metadata (uid, creationTimestamp, generation,
 * resourceVersion checks), validation, defaulting, patches, server-side apply and managedFields.
 * The HTTP layer and the controllers both write through it.
 */
export class ClusterApi {
  readonly store: ObjectStore
  readonly registry: ResourceRegistry
  readonly allocator: ClusterIpAllocator
  private readonly now: () => Date

  constructor(store: ObjectStore, registry: ResourceRegistry, now: () => Date = () => new Date()) {
    this.store = store
    this.allocator = new ClusterIpAllocator(store)
    this.registry = registry
    this.now = now
  }

  private timestamp(): string {
    return this.now().toISOString().replace(/\.\d{3}Z$/, 'Z')
  }

  /** The object as a client of `version` sees it. */
  present(object: StoredObject, type: ResourceType, version: string): StoredObject {
    const apiVersion = apiVersionOf(type.group, version)
    return object.apiVersion === apiVersion ? object : {...object, apiVersion}
  }

  get(type: ResourceType, namespace: string | undefined, name: string): StoredObject {
    const object = this.store.get(type.group, type.kind, type.namespaced ? namespace : undefined, name)
    if (!object) throw notFound(type.plural, type.group, name)
    return object
  }

  private checkBody(type: ResourceType, version: string, namespace: string | undefined, body: unknown): StoredObject {
    if (!isObject(body as Json)) throw badRequest('the body of the request was in an unknown format - accepted media types include: application/json, application/yaml')
    const object = body as StoredObject
    const expected = apiVersionOf(type.group, version)
    if (object.kind !== undefined && object.kind !== type.kind) throw badRequest(`the API version in the data (${object.apiVersion}) does not match the expected API version (${expected})`)
    if (object.apiVersion !== undefined && splitApiVersion(object.apiVersion).group !== type.group) {
      throw badRequest(`the API version in the data (${object.apiVersion}) does not match the expected API version (${expected})`)
    }
    const undecodable = type.builtin ? decodeError(version, type.kind, object) : undefined
    if (undecodable) throw badRequest(undecodable)
    object.apiVersion = expected
    object.kind = type.kind
    object.metadata = isObject(object.metadata as unknown as Json) ? object.metadata : ({} as StoredObject['metadata'])
    if (type.namespaced) {
      if (object.metadata.namespace && namespace && object.metadata.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request')
      }
      object.metadata.namespace = object.metadata.namespace || namespace
      if (!object.metadata.namespace) throw badRequest('the namespace of the object must be set')
    } else {
      delete object.metadata.namespace
    }
    return object
  }

  /** Structural pruning for Istio kinds, with the apiserver's strict-decoding error or warnings. */
  private pruneUnknown(type: ResourceType, version: string, object: StoredObject, options: WriteOptions): void {
    if (type.group !== 'networking.istio.io' || options.fieldValidation === 'Ignore') {
      if (type.group === 'networking.istio.io') this.pruneQuietly(type, version, object)
      return
    }
    const tree = istioFieldTree(version, type.kind)
    if (!tree) return
    const unknown = pruneUnknownFields(object as unknown as Record<string, unknown>, tree)
    if (unknown.length === 0) return
    if (options.fieldValidation === 'Strict') {
      throw badRequest(`${type.kind} in version "${version}" cannot be handled as a ${type.kind}: strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`)
    }
    options.warnings?.push(...unknown.map((f) => `unknown field "${f}"`))
  }

  private pruneQuietly(type: ResourceType, version: string, object: StoredObject): void {
    const tree = istioFieldTree(version, type.kind)
    if (tree) pruneUnknownFields(object as unknown as Record<string, unknown>, tree)
  }

  private async admit(type: ResourceType, version: string, object: StoredObject, current?: StoredObject): Promise<void> {
    const causes = await validateObject(type.group, version, type.kind, {...object, apiVersion: apiVersionOf(type.group, version)})
    if (current) causes.push(...updateCauses(type.kind, current, object))
    if (causes.length > 0) throw invalid(type.kind, type.group, object.metadata.name ?? '', causes)
  }

  private requireNamespace(type: ResourceType, namespace: string | undefined): void {
    if (!type.namespaced || !namespace) return
    const ns = this.store.get('', 'Namespace', undefined, namespace)
    if (!ns) throw notFound('namespaces', '', namespace)
    if ((ns.metadata as {deletionTimestamp?: string}).deletionTimestamp) {
      throw new ApiStatusError(403, 'Forbidden', `unable to create new content in namespace ${namespace} because it is being terminated`)
    }
  }

  async create(type: ResourceType, version: string, namespace: string | undefined, body: unknown, options: WriteOptions, manager: {managedFields?: ManagedFieldsEntry[]} = {}): Promise<StoredObject> {
    const object = this.checkBody(type, version, namespace, structuredClone(body))
    if (!manager.managedFields) this.pruneUnknown(type, version, object, options)
    if (!object.metadata.name && typeof object.metadata.generateName === 'string') object.metadata.name = `${object.metadata.generateName}${randomSuffix(5)}`
    this.requireNamespace(type, object.metadata.namespace)
    if (type.hasStatus && type.kind !== 'Namespace' && !options.subresource) delete object.status
    applyDefaults(object, this)
    await this.admit(type, version, object)
    if (this.store.get(type.group, type.kind, object.metadata.namespace, object.metadata.name)) throw alreadyExists(type.plural, type.group, object.metadata.name)
    const now = this.timestamp()
    const {resourceVersion: _rv, deletionTimestamp: _dt, ...metadata} = object.metadata as StoredObject['metadata'] & {deletionTimestamp?: string}
    const created: StoredObject = {
      ...object,
      metadata: {
        ...metadata,
        uid: randomUUID(),
        resourceVersion: '',
        ...(tracksGeneration(type) ? {generation: 1} : {}),
        creationTimestamp: now,
      },
    }
    created.metadata.managedFields =
      manager.managedFields ??
      trackUpdate({before: undefined, after: created as unknown as JsonObject, manager: options.fieldManager, managedFields: [], apiVersion: object.apiVersion, now, builtin: type.builtin, hasStatus: type.hasStatus})
    created.apiVersion = storageApiVersion(type)
    const ordered = orderTopLevel(created)
    if (options.dryRun) return ordered
    return this.store.put(type.group, ordered)
  }

  /** PUT: a full replacement, refused with 409 when its resourceVersion is stale. */
  async update(type: ResourceType, version: string, namespace: string | undefined, name: string, body: unknown, options: WriteOptions): Promise<StoredObject> {
    const current = this.get(type, namespace, name)
    const object = this.checkBody(type, version, namespace, structuredClone(body))
    if (object.metadata.name !== undefined && object.metadata.name !== name) throw badRequest(`the name of the object (${object.metadata.name}) does not match the name on the URL (${name})`)
    object.metadata.name = name
    this.pruneUnknown(type, version, object, options)
    return this.commitChange(type, version, current, object, options)
  }

  async patch(type: ResourceType, version: string, namespace: string | undefined, name: string, patchType: PatchType, rawBody: string, options: PatchOptions): Promise<StoredObject> {
    if (patchType === 'apply') return this.apply(type, version, namespace, name, rawBody, options)
    if (patchType === 'strategic' && !type.builtin) {
      throw new ApiStatusError(415, 'UnsupportedMediaType', 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml')
    }
    const current = this.get(type, namespace, name)
    let patch: Json
    try {
      patch = JSON.parse(rawBody) as Json
    } catch {
      throw badRequest(`error decoding patch: invalid JSON`)
    }
    const base = this.present(current, type, version) as unknown as Json
    const patched =
      patchType === 'json' ? applyJsonPatch(base, patch) : patchType === 'merge' ? applyMergePatch(base, patch) : strategicMerge(base, patch)
    const object = this.checkBody(type, version, namespace, patched)
    this.pruneUnknown(type, version, object, options)
    if (object.metadata.name !== name) throw badRequest(`the name of the object (${object.metadata.name}) does not match the name on the URL (${name})`)
    // A patch that names no resourceVersion is not a conditional write.
    const patchMetadata = isObject(patch) && isObject(patch.metadata) ? patch.metadata : undefined
    if (patchType !== 'json' && !patchMetadata?.resourceVersion) object.metadata.resourceVersion = current.metadata.resourceVersion
    return this.commitChange(type, version, current, object, options)
  }

  private async apply(type: ResourceType, version: string, namespace: string | undefined, name: string, rawBody: string, options: PatchOptions): Promise<StoredObject> {
    if (!options.fieldManager) throw invalid('PatchOptions', 'meta.k8s.io', '', [{reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager'}])
    let applied: unknown
    try {
      applied = parseYaml(rawBody)
    } catch (error) {
      throw badRequest(`error decoding YAML: ${(error as Error).message.split('\n')[0]}`)
    }
    const config = this.checkBody(type, version, namespace, applied)
    this.pruneUnknown(type, version, config, options)
    if (config.metadata.name !== name) throw badRequest(`the name of the object (${config.metadata.name}) does not match the name on the URL (${name})`)
    const appliedConfig = structuredClone(config) as unknown as JsonObject
    const metadata = appliedConfig.metadata as JsonObject
    for (const key of ['resourceVersion', 'uid', 'creationTimestamp', 'managedFields', 'generation', 'namespace', 'name']) delete metadata[key]
    if (type.hasStatus) delete appliedConfig.status
    const current = this.store.get(type.group, type.kind, type.namespaced ? namespace : undefined, name)
    const now = this.timestamp()
    const result = serverSideApply({
      live: current ? (structuredClone(this.present(current, type, version)) as unknown as JsonObject) : undefined,
      applied: appliedConfig,
      manager: options.fieldManager,
      force: Boolean(options.force),
      managedFields: (current?.metadata.managedFields as ManagedFieldsEntry[] | undefined) ?? [],
      apiVersion: apiVersionOf(type.group, version),
      now,
      builtin: type.builtin,
      hasStatus: type.hasStatus,
    })
    const merged = result.object as unknown as StoredObject
    merged.metadata = {...merged.metadata, name, ...(type.namespaced ? {namespace: config.metadata.namespace} : {})}
    if (config.metadata.resourceVersion && current && config.metadata.resourceVersion !== current.metadata.resourceVersion) {
      throw conflict(type.plural, type.group, name, 'the object has been modified; please apply your changes to the latest version and try again')
    }
    if (!current) return this.create(type, version, namespace, merged, options, {managedFields: result.managedFields})
    merged.metadata.resourceVersion = current.metadata.resourceVersion
    return this.commitChange(type, version, current, merged, options, result.managedFields)
  }

  /** Validates and stores a changed object; a write that changes nothing stores nothing. */
  private async commitChange(type: ResourceType, version: string, current: StoredObject, object: StoredObject, options: WriteOptions, managedFields?: ManagedFieldsEntry[]): Promise<StoredObject> {
    if (object.metadata.resourceVersion && object.metadata.resourceVersion !== current.metadata.resourceVersion) {
      throw conflict(type.plural, type.group, current.metadata.name, 'the object has been modified; please apply your changes to the latest version and try again')
    }
    if (object.metadata.uid && object.metadata.uid !== current.metadata.uid) {
      throw conflict(type.plural, type.group, current.metadata.name, `Precondition failed: UID in precondition: ${String(object.metadata.uid)}, UID in object meta: ${current.metadata.uid}`)
    }
    let next: StoredObject
    if (options.subresource === 'status') {
      next = {...structuredClone(current), status: object.status}
    } else {
      next = object
      if (type.hasStatus && current.status !== undefined) next.status = structuredClone(current.status)
      else if (type.hasStatus) delete next.status
    }
    const {name, namespace, uid, creationTimestamp, generation} = current.metadata as StoredObject['metadata'] & {generation?: number}
    next.metadata = {...next.metadata, name, ...(namespace ? {namespace} : {}), uid, creationTimestamp, resourceVersion: current.metadata.resourceVersion}
    applyDefaults(next, this, current)
    await this.admit(type, version, next, current)
    next.apiVersion = storageApiVersion(type)
    if (tracksGeneration(type)) next.metadata.generation = !deepEqual(specOf(next), specOf(current)) ? (generation ?? 0) + 1 : generation
    next.metadata.managedFields =
      managedFields ??
      trackUpdate({
        before: current as unknown as JsonObject,
        after: next as unknown as JsonObject,
        manager: options.fieldManager,
        managedFields: (current.metadata.managedFields as ManagedFieldsEntry[] | undefined) ?? [],
        apiVersion: apiVersionOf(type.group, version),
        now: this.timestamp(),
        builtin: type.builtin,
        hasStatus: type.hasStatus,
        subresource: options.subresource,
      })
    const ordered = orderTopLevel(next)
    if (deepEqual(withoutVolatile(ordered), withoutVolatile(current)) && sameOwnership(ordered, current)) return current
    if (options.dryRun) return ordered
    return this.store.put(type.group, ordered)
  }

  async delete(type: ResourceType, namespace: string | undefined, name: string, options: {dryRun?: boolean}): Promise<StoredObject> {
    const current = this.get(type, namespace, name)
    if (options.dryRun) return current
    if (type.kind === 'Namespace') {
      for (const other of this.registry.all) {
        if (!other.namespaced) continue
        for (const object of this.store.list(other.group, other.kind, name)) this.store.remove(other.group, object)
      }
    }
    return this.store.remove(type.group, current) ?? current
  }
}

/** Kinds whose metadata.generation counts spec changes (workloads, policies, custom resources). */
function tracksGeneration(type: ResourceType): boolean {
  return !type.builtin || ['Deployment', 'ReplicaSet', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'CustomResourceDefinition'].includes(type.kind)
}

/** Objects are kept at the preferred version (the versions of a kind share one schema here). */
function storageApiVersion(type: ResourceType): string {
  return apiVersionOf(type.group, type.versions[0]!)
}

/** Ownership that differs only in timestamps is the same ownership. */
function sameOwnership(a: StoredObject, b: StoredObject): boolean {
  const strip = (entries: unknown) => ((entries as ManagedFieldsEntry[] | undefined) ?? []).map(({time: _t, ...rest}) => rest)
  return deepEqual(strip(a.metadata.managedFields), strip(b.metadata.managedFields))
}

/** apiVersion, kind, metadata, then the rest, then status: the order kubectl users are used to. */
function orderTopLevel(object: StoredObject): StoredObject {
  const {apiVersion, kind, metadata, status, ...rest} = object
  return {apiVersion, kind, metadata, ...rest, ...(status !== undefined ? {status} : {})} as StoredObject
}
