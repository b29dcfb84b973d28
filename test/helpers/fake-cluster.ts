import {ExitCode} from '../../src/errors.ts'
import {KubeApiError, type RequestIntent} from '../../src/kube/api-errors.ts'
import {
  splitApiVersion,
  type ApiDiscovery,
  type ApiResource,
  type ApplyOptions,
  type KubeClient,
  type KubeObject,
  type ListOptions,
  type ObjectRef,
  type PatchType,
  type ServerVersion,
  type UpdateOptions,
  type WriteOptions,
} from '../../src/kube/client.ts'
import type {ClusterConnection} from '../../src/kube/kubeconfig.ts'

/** Kinds the fake serves unless told otherwise: enough for Istio ingress work. */
export const defaultFakeResources: Omit<ApiResource, 'verbs' | 'shortNames'>[] = [
  {group: '', version: 'v1', kind: 'Namespace', name: 'namespaces', namespaced: false},
  {group: '', version: 'v1', kind: 'Pod', name: 'pods', namespaced: true},
  {group: '', version: 'v1', kind: 'Service', name: 'services', namespaced: true},
  {group: '', version: 'v1', kind: 'Endpoints', name: 'endpoints', namespaced: true},
  {group: '', version: 'v1', kind: 'Secret', name: 'secrets', namespaced: true},
  {group: '', version: 'v1', kind: 'ConfigMap', name: 'configmaps', namespaced: true},
  {group: 'apps', version: 'v1', kind: 'Deployment', name: 'deployments', namespaced: true},
  {group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler', name: 'horizontalpodautoscalers', namespaced: true},
  {group: 'policy', version: 'v1', kind: 'PodDisruptionBudget', name: 'poddisruptionbudgets', namespaced: true},
  ...['v1', 'v1beta1', 'v1alpha3'].flatMap((version) =>
    [
      ['Gateway', 'gateways'],
      ['VirtualService', 'virtualservices'],
      ['DestinationRule', 'destinationrules'],
      ['ServiceEntry', 'serviceentries'],
      ...(version === 'v1alpha3' ? [['EnvoyFilter', 'envoyfilters']] : []),
    ].map(([kind, name]) => ({group: 'networking.istio.io', version, kind: kind as string, name: name as string, namespaced: true})),
  ),
  {group: 'gateway.networking.k8s.io', version: 'v1', kind: 'Gateway', name: 'gateways', namespaced: true},
  {group: 'gateway.networking.k8s.io', version: 'v1', kind: 'HTTPRoute', name: 'httproutes', namespaced: true},
]

export interface RecordedWrite {
  verb: 'create' | 'apply' | 'replace' | 'patch' | 'delete'
  ref: ObjectRef
  dryRun: boolean
  /** resourceVersion the write was guarded with (replace/update). */
  resourceVersion?: string
  body?: unknown
}

/**
 * An in-memory KubeClient for command and core tests. Objects are stored per group/kind (any served
 * version reads the same object, as on a real server); writes are recorded; failures can be injected.
 */
export class FakeKube implements KubeClient {
  readonly writes: RecordedWrite[] = []
  readonly resources: ApiResource[]
  private readonly objects = new Map<string, KubeObject>()
  private revision = 100
  /** Throw this from the next call whose verb and kind match (then it is cleared). */
  private failures: {verb: RequestIntent['verb']; kind: string; error: Error}[] = []
  serverGitVersion = 'v1.32.0'
  connectionInfo: Partial<ClusterConnection> = {contextName: 'fake', server: 'https://fake.invalid', namespace: 'default'}

  constructor(objects: KubeObject[] = [], resources = defaultFakeResources) {
    this.resources = resources.map((r) => ({...r, verbs: ['get', 'list', 'create', 'update', 'patch', 'delete'], shortNames: []}))
    for (const object of objects) this.store(structuredClone(object), 'seed')
  }

  failNext(verb: RequestIntent['verb'], kind: string, error: Error): void {
    this.failures.push({verb, kind, error})
  }

  /** All stored objects of a kind (any version), for assertions. */
  stored(kind: string, namespace?: string): KubeObject[] {
    return [...this.objects.values()].filter((o) => o.kind === kind && (namespace === undefined || o.metadata.namespace === namespace))
  }

  private key(apiVersion: string, kind: string, namespace: string | undefined, name: string): string {
    return `${splitApiVersion(apiVersion).group}/${kind}/${namespace ?? ''}/${name}`
  }

  private resource(apiVersion: string, kind: string, verb: RequestIntent['verb']): ApiResource {
    const {group, version} = splitApiVersion(apiVersion)
    const found = this.resources.find((r) => r.group === group && r.version === version && r.kind === kind)
    if (!found) throw new KubeApiError(`the server doesn't have a resource type "${kind}" in ${apiVersion}`, ExitCode.usage, 404, 'NotFound', [], {verb, resource: kind.toLowerCase()})
    return found
  }

  private injected(verb: RequestIntent['verb'], kind: string): void {
    const index = this.failures.findIndex((f) => f.verb === verb && f.kind === kind)
    if (index >= 0) {
      const [failure] = this.failures.splice(index, 1)
      throw failure?.error
    }
  }

  private store(object: KubeObject, manager: string): KubeObject {
    const resource = this.resource(object.apiVersion, object.kind, 'create')
    if (!resource.namespaced) delete object.metadata.namespace
    object.metadata.resourceVersion = String(++this.revision)
    object.metadata.uid ??= `uid-${this.revision}`
    object.metadata.creationTimestamp ??= new Date(Date.UTC(2026, 0, 1, 0, 0, this.revision)).toISOString()
    if (manager !== 'seed' && !(object.metadata.managedFields ?? []).some((f) => f.manager === manager)) {
      object.metadata.managedFields = [...(object.metadata.managedFields ?? []), {manager, operation: 'Apply'}]
    }
    this.objects.set(this.key(object.apiVersion, object.kind, object.metadata.namespace, object.metadata.name ?? ''), object)
    return structuredClone(object)
  }

  private find(ref: ObjectRef): KubeObject | undefined {
    const found = this.objects.get(this.key(ref.apiVersion, ref.kind, ref.namespace, ref.name))
    return found ? {...structuredClone(found), apiVersion: ref.apiVersion} : undefined
  }

  private notFound(ref: ObjectRef, verb: RequestIntent['verb']): KubeApiError {
    return new KubeApiError(`Error from server (NotFound): ${ref.kind} "${ref.name}" not found`, ExitCode.usage, 404, 'NotFound', [], {verb, resource: ref.kind.toLowerCase(), namespace: ref.namespace, name: ref.name})
  }

  async connection(): Promise<ClusterConnection> {
    return {clusterName: 'fake', userName: 'fake', namespaceExplicit: false, insecureSkipTlsVerify: false, sources: [], contextName: 'fake', server: 'https://fake.invalid', namespace: 'default', ...this.connectionInfo}
  }

  async serverVersion(): Promise<ServerVersion> {
    return {major: '1', minor: '32', gitVersion: this.serverGitVersion}
  }

  async discovery(): Promise<ApiDiscovery> {
    const groups = new Map<string, string[]>()
    for (const r of this.resources) groups.set(r.group, [...new Set([...(groups.get(r.group) ?? []), r.version])])
    return {groups: [...groups].map(([name, versions]) => ({name, versions, preferredVersion: versions[0]}))}
  }

  async resourceFor(apiVersion: string, kind: string): Promise<ApiResource | undefined> {
    const {group, version} = splitApiVersion(apiVersion)
    return this.resources.find((r) => r.group === group && r.version === version && r.kind === kind)
  }

  async get<T extends KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    this.resource(ref.apiVersion, ref.kind, 'get')
    this.injected('get', ref.kind)
    return this.find(ref) as T | undefined
  }

  async list<T extends KubeObject>(apiVersion: string, kind: string, options: ListOptions = {}): Promise<T[]> {
    this.resource(apiVersion, kind, 'list')
    this.injected('list', kind)
    const {group} = splitApiVersion(apiVersion)
    const wanted = parseEqualitySelector(options.labelSelector)
    return [...this.objects.values()]
      .filter((o) => splitApiVersion(o.apiVersion).group === group && o.kind === kind)
      .filter((o) => !options.namespace || o.metadata.namespace === options.namespace)
      .filter((o) => Object.entries(wanted).every(([k, v]) => o.metadata.labels?.[k] === v))
      .map((o) => ({...structuredClone(o), apiVersion}) as T)
  }

  async create<T extends KubeObject>(object: T, options: WriteOptions = {}): Promise<T> {
    this.resource(object.apiVersion, object.kind, 'create')
    this.injected('create', object.kind)
    const ref = refOf(object)
    this.writes.push({verb: 'create', ref, dryRun: Boolean(options.dryRun), body: structuredClone(object)})
    if (this.find(ref)) throw new KubeApiError(`Error from server (AlreadyExists): ${object.kind} "${ref.name}" already exists`, ExitCode.jobFailed, 409, 'AlreadyExists', [], {verb: 'create', resource: object.kind.toLowerCase()})
    return options.dryRun ? structuredClone(object) : (this.store(structuredClone(object), 'kubectl-gw') as T)
  }

  async apply<T extends KubeObject>(object: T, options: ApplyOptions = {}): Promise<T> {
    this.resource(object.apiVersion, object.kind, 'apply')
    this.injected('apply', object.kind)
    const ref = refOf(object)
    this.writes.push({verb: 'apply', ref, dryRun: Boolean(options.dryRun), body: structuredClone(object)})
    const current = this.find(ref)
    const {metadata, ...rest} = structuredClone(object)
    const merged = {...(current ?? {}), ...rest, metadata: {...(current?.metadata ?? {}), ...metadata}} as T
    if (current && JSON.stringify(withoutVolatile(current)) === JSON.stringify(withoutVolatile(merged))) return current as T
    if (options.dryRun) return merged
    return this.store(merged, options.fieldManager ?? 'kubectl-gw') as T
  }

  async replace<T extends KubeObject>(object: T, options: WriteOptions = {}): Promise<T> {
    this.resource(object.apiVersion, object.kind, 'update')
    this.injected('update', object.kind)
    const ref = refOf(object)
    this.writes.push({verb: 'replace', ref, dryRun: Boolean(options.dryRun), resourceVersion: object.metadata.resourceVersion, body: structuredClone(object)})
    const current = this.find(ref)
    if (!current) throw this.notFound(ref, 'update')
    if (object.metadata.resourceVersion && object.metadata.resourceVersion !== current.metadata.resourceVersion) {
      throw new KubeApiError('Error from server (Conflict): the object has been modified; please apply your changes to the latest version and try again', ExitCode.jobFailed, 409, 'Conflict', [], {verb: 'update', resource: object.kind.toLowerCase()})
    }
    return options.dryRun ? structuredClone(object) : (this.store(structuredClone(object), 'kubectl-gw') as T)
  }

  async update<T extends KubeObject>(ref: ObjectRef, mutate: (current: T) => T | undefined | Promise<T | undefined>, options: UpdateOptions = {}): Promise<T> {
    const current = await this.get<T>(ref)
    if (!current) throw this.notFound(ref, 'update')
    const next = await mutate(structuredClone(current))
    if (!next) return current
    next.metadata.resourceVersion = current.metadata.resourceVersion
    return this.replace(next, options)
  }

  async patch<T extends KubeObject>(ref: ObjectRef, patch: unknown, type: PatchType, options: ApplyOptions = {}): Promise<T> {
    this.injected('patch', ref.kind)
    this.writes.push({verb: 'patch', ref, dryRun: Boolean(options.dryRun), body: {type, patch}})
    const current = this.find(ref)
    if (!current) throw this.notFound(ref, 'patch')
    if (type !== 'merge') throw new Error(`FakeKube only supports merge patches, not ${type}`)
    const next = mergePatch(current, patch) as T
    return options.dryRun ? next : (this.store(next, options.fieldManager ?? 'kubectl-gw') as T)
  }

  async delete(ref: ObjectRef, options: WriteOptions = {}): Promise<boolean> {
    this.injected('delete', ref.kind)
    this.writes.push({verb: 'delete', ref, dryRun: Boolean(options.dryRun)})
    const key = this.key(ref.apiVersion, ref.kind, ref.namespace, ref.name)
    if (!this.objects.has(key)) return false
    if (!options.dryRun) this.objects.delete(key)
    return true
  }

  async getRaw(path: string, intent: RequestIntent): Promise<Buffer> {
    const handler = this.rawHandlers.get(path.split('?')[0] ?? path)
    if (!handler) throw new KubeApiError(`Error from server (NotFound): ${path}`, ExitCode.usage, 404, 'NotFound', [], intent)
    return Buffer.from(handler())
  }

  /** Answers getRaw for a path (e.g. a pod proxy URL). */
  readonly rawHandlers = new Map<string, () => string | Buffer>()

  close(): void {}
}

function refOf(object: KubeObject): ObjectRef {
  return {apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name ?? '', namespace: object.metadata.namespace}
}

function withoutVolatile(object: KubeObject): unknown {
  const {resourceVersion: _rv, managedFields: _mf, ...metadata} = object.metadata
  return {...object, apiVersion: '', metadata}
}

function parseEqualitySelector(selector: string | undefined): Record<string, string> {
  const wanted: Record<string, string> = {}
  for (const term of (selector ?? '').split(',').filter(Boolean)) {
    const [key, value] = term.split('=')
    if (!key || value === undefined) throw new Error(`FakeKube only supports k=v label selectors, got "${term}"`)
    wanted[key.trim()] = value.trim()
  }
  return wanted
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return patch
  const result: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? {...(target as Record<string, unknown>)} : {}
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (value === null) delete result[key]
    else result[key] = mergePatch(result[key], value)
  }
  return result
}
