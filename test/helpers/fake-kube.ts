import {ExitCode} from '../../src/errors.ts'
import {KubeApiError, type RequestIntent} from '../../src/kube/api-errors.ts'
import {HttpKubeClient, splitApiVersion, type ApiDiscovery, type ApiResource, type ApplyOptions, type KubeClient, type ListOptions, type PatchType, type ServerVersion, type UpdateOptions, type WriteOptions} from '../../src/kube/client.ts'
import type {KubeObject, ObjectRef} from '../../src/kube/objects.ts'
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
  {group: 'apps', version: 'v1', kind: 'ReplicaSet', name: 'replicasets', namespaced: true},
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

export type Verb = 'get' | 'list' | 'create' | 'apply' | 'replace' | 'update' | 'patch' | 'delete'

/** One request as the fake received it. */
export interface RecordedCall {
  verb: Verb
  ref: {apiVersion: string; kind: string; namespace?: string; name?: string}
  dryRun?: boolean
  /** The object sent on create / apply / replace, as sent (resourceVersion included). */
  body?: KubeObject
  /** The patch sent, with its type. */
  patch?: {type: PatchType; patch: unknown}
}

/**
 * The in-memory KubeClient every command and core test uses, with the API semantics tests rely on:
 * objects stored per group/kind (any served version reads the same object, as on a real server);
 * 404 -> undefined on get; 409 AlreadyExists on create; resourceVersion-guarded replace (409 on a
 * stale version); the real read-mutate-write update loop; server-side apply that keeps the
 * resourceVersion when nothing changed and records the field manager in managedFields; dry runs
 * that store nothing; equality label selectors and metadata.name/namespace field selectors;
 * configurable discovery; getRaw handlers; injected failures. Every request is recorded.
 */
export class FakeKube implements KubeClient {
  /** Every request, reads included, in order. */
  readonly calls: RecordedCall[] = []
  readonly resources: ApiResource[]
  /** Answers getRaw for a path (e.g. a pod proxy URL). */
  readonly rawHandlers = new Map<string, () => string | Buffer>()
  /** Discovery answer; unset, it is derived from `resources`. */
  discoveryGroups: ApiDiscovery['groups'] | undefined
  serverGitVersion = 'v1.32.0'
  connectionInfo: Partial<ClusterConnection> = {contextName: 'fake', server: 'https://fake.invalid', namespace: 'default'}
  private readonly objects = new Map<string, KubeObject>()
  private revision = 100
  /** Thrown from the next call whose verb and kind match (then cleared). */
  private failures: {verb: RequestIntent['verb']; kind: string; error: Error}[] = []

  constructor(objects: KubeObject[] = [], resources = defaultFakeResources) {
    this.resources = resources.map((r) => ({...r, verbs: ['get', 'list', 'create', 'update', 'patch', 'delete'], shortNames: []}))
    this.add(...objects)
  }

  /** Puts objects in the cluster as if someone else wrote them (no call recorded; a new resourceVersion each). */
  add(...objects: KubeObject[]): this {
    for (const object of objects) this.store(structuredClone(object), 'seed')
    return this
  }

  /** Writes: every recorded call but reads. */
  get writes(): RecordedCall[] {
    return this.calls.filter((c) => c.verb !== 'get' && c.verb !== 'list')
  }

  /** The objects of writes that were not dry runs. */
  storedWrites(): KubeObject[] {
    return this.writes.filter((w) => !w.dryRun && w.body).map((w) => w.body as KubeObject)
  }

  failNext(verb: RequestIntent['verb'], kind: string, error: Error): void {
    this.failures.push({verb, kind, error})
  }

  /** A stored object by kind (any group), for assertions; no call recorded. */
  find<T extends KubeObject = KubeObject>(kind: string, namespace: string | undefined, name: string): T | undefined {
    const found = [...this.objects.values()].find((o) => o.kind === kind && o.metadata.namespace === namespace && o.metadata.name === name)
    return found ? (structuredClone(found) as T) : undefined
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

  private record(call: RecordedCall): void {
    this.calls.push(structuredClone(call))
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

  private lookup(ref: ObjectRef): KubeObject | undefined {
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
    if (this.discoveryGroups) return {groups: this.discoveryGroups}
    const groups = new Map<string, string[]>()
    for (const r of this.resources) groups.set(r.group, [...new Set([...(groups.get(r.group) ?? []), r.version])])
    return {groups: [...groups].map(([name, versions]) => ({name, versions, preferredVersion: versions[0]}))}
  }

  async resourceFor(apiVersion: string, kind: string): Promise<ApiResource | undefined> {
    const {group, version} = splitApiVersion(apiVersion)
    return this.resources.find((r) => r.group === group && r.version === version && r.kind === kind)
  }

  async get<T extends KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    this.record({verb: 'get', ref: refOf(ref)})
    this.resource(ref.apiVersion, ref.kind, 'get')
    this.injected('get', ref.kind)
    return this.lookup(ref) as T | undefined
  }

  async list<T extends KubeObject>(apiVersion: string, kind: string, options: ListOptions = {}): Promise<T[]> {
    this.record({verb: 'list', ref: {apiVersion, kind, namespace: options.namespace}})
    this.resource(apiVersion, kind, 'list')
    this.injected('list', kind)
    const {group} = splitApiVersion(apiVersion)
    const labels = parseEqualitySelector(options.labelSelector, 'label')
    const fields = parseEqualitySelector(options.fieldSelector, 'field')
    return [...this.objects.values()]
      .filter((o) => splitApiVersion(o.apiVersion).group === group && o.kind === kind)
      .filter((o) => !options.namespace || o.metadata.namespace === options.namespace)
      .filter((o) => Object.entries(labels).every(([k, v]) => o.metadata.labels?.[k] === v))
      .filter((o) => Object.entries(fields).every(([k, v]) => fieldValue(o, k) === v))
      .map((o) => ({...structuredClone(o), apiVersion}) as T)
  }

  async create<T extends KubeObject>(object: T, options: WriteOptions = {}): Promise<T> {
    this.record({verb: 'create', ref: refOf(object), dryRun: Boolean(options.dryRun), body: object})
    this.resource(object.apiVersion, object.kind, 'create')
    this.injected('create', object.kind)
    const ref = refOf(object)
    if (this.lookup(ref)) throw new KubeApiError(`Error from server (AlreadyExists): ${object.kind} "${ref.name}" already exists`, ExitCode.jobFailed, 409, 'AlreadyExists', [], {verb: 'create', resource: object.kind.toLowerCase()})
    return options.dryRun ? structuredClone(object) : (this.store(structuredClone(object), 'kubectl-gw') as T)
  }

  async apply<T extends KubeObject>(object: T, options: ApplyOptions = {}): Promise<T> {
    this.record({verb: 'apply', ref: refOf(object), dryRun: Boolean(options.dryRun), body: object})
    this.resource(object.apiVersion, object.kind, 'apply')
    this.injected('apply', object.kind)
    const current = this.lookup(refOf(object))
    const {metadata, ...rest} = structuredClone(object)
    const merged = {...(current ?? {}), ...rest, metadata: {...(current?.metadata ?? {}), ...metadata}} as T
    if (current && JSON.stringify(withoutVolatile(current)) === JSON.stringify(withoutVolatile(merged))) return current as T
    if (options.dryRun) return merged
    return this.store(merged, options.fieldManager ?? 'kubectl-gw') as T
  }

  async replace<T extends KubeObject>(object: T, options: WriteOptions = {}): Promise<T> {
    this.record({verb: 'replace', ref: refOf(object), dryRun: Boolean(options.dryRun), body: object})
    this.resource(object.apiVersion, object.kind, 'update')
    this.injected('update', object.kind)
    const ref = refOf(object)
    const current = this.lookup(ref)
    if (!current) throw this.notFound(ref, 'update')
    if (object.metadata.resourceVersion && object.metadata.resourceVersion !== current.metadata.resourceVersion) {
      throw new KubeApiError('Error from server (Conflict): the object has been modified; please apply your changes to the latest version and try again', ExitCode.jobFailed, 409, 'Conflict', [], {verb: 'update', resource: object.kind.toLowerCase()})
    }
    return options.dryRun ? structuredClone(object) : (this.store(structuredClone(object), 'kubectl-gw') as T)
  }

  async update<T extends KubeObject>(ref: ObjectRef, mutate: (current: T) => T | undefined | Promise<T | undefined>, options: UpdateOptions = {}): Promise<T> {
    this.record({verb: 'update', ref: refOf(ref), dryRun: Boolean(options.dryRun)})
    if (!this.lookup(ref)) throw this.notFound(ref, 'update')
    // The client's own read-mutate-write loop (409 retry included), over this fake's get and replace.
    return (HttpKubeClient.prototype.update<T>).call(this as unknown as HttpKubeClient, ref, mutate, options)
  }

  async patch<T extends KubeObject>(ref: ObjectRef, patch: unknown, type: PatchType, options: ApplyOptions = {}): Promise<T> {
    this.record({verb: 'patch', ref: refOf(ref), dryRun: Boolean(options.dryRun), patch: {type, patch}})
    this.injected('patch', ref.kind)
    const current = this.lookup(ref)
    if (!current) throw this.notFound(ref, 'patch')
    if (type !== 'merge') throw new Error(`FakeKube only supports merge patches, not ${type}`)
    const next = mergePatch(current, patch) as T
    return options.dryRun ? next : (this.store(next, options.fieldManager ?? 'kubectl-gw') as T)
  }

  async delete(ref: ObjectRef, options: WriteOptions = {}): Promise<boolean> {
    this.record({verb: 'delete', ref: refOf(ref), dryRun: Boolean(options.dryRun)})
    this.injected('delete', ref.kind)
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

  close(): void {}
}

function refOf(object: KubeObject | ObjectRef): ObjectRef {
  return 'metadata' in object
    ? {apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name ?? '', namespace: object.metadata.namespace}
    : {apiVersion: object.apiVersion, kind: object.kind, name: object.name, namespace: object.namespace}
}

function withoutVolatile(object: KubeObject): unknown {
  const {resourceVersion: _rv, managedFields: _mf, ...metadata} = object.metadata
  return {...object, apiVersion: '', metadata}
}

function parseEqualitySelector(selector: string | undefined, what: 'label' | 'field'): Record<string, string> {
  const wanted: Record<string, string> = {}
  for (const term of (selector ?? '').split(',').filter(Boolean)) {
    const [key, value] = term.split('=')
    if (!key || value === undefined) throw new Error(`FakeKube only supports k=v ${what} selectors, got "${term}"`)
    wanted[key.trim()] = value.trim()
  }
  return wanted
}

function fieldValue(object: KubeObject, field: string): string | undefined {
  if (field === 'metadata.name') return object.metadata.name
  if (field === 'metadata.namespace') return object.metadata.namespace
  throw new Error(`FakeKube supports only metadata.name and metadata.namespace field selectors, got "${field}"`)
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

/** A running, ready pod; `replicaSet` names its owner so its Deployment can be traced. */
export function runningPod(namespace: string, name: string, labels: Record<string, string>, replicaSet?: string): KubeObject {
  const owners = replicaSet ? {ownerReferences: [{apiVersion: 'apps/v1', kind: 'ReplicaSet', name: replicaSet, uid: replicaSet}]} : {}
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {name, namespace, labels, ...owners},
    status: {phase: 'Running', podIP: '10.0.0.7', conditions: [{type: 'Ready', status: 'True'}]},
  }
}

/** An ingress gateway pod as Istio's default install has it: `istio: ingressgateway` in istio-system. */
export function gatewayPod(namespace = 'istio-system', name = 'istio-ingressgateway-abc12', labels: Record<string, string> = {istio: 'ingressgateway', app: 'istio-ingressgateway'}): KubeObject {
  return runningPod(namespace, name, labels)
}

/** A cluster with Istio 1.28 installed: istiod, the ingress and egress gateways with their Services, httpbin and api. */
export function istioCluster(): FakeKube {
  const replicaSet = (name: string, deployment: string): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {namespace: 'istio-system', name, ownerReferences: [{apiVersion: 'apps/v1', kind: 'Deployment', name: deployment, uid: deployment}]},
  })
  const service = (namespace: string, name: string, selector: Record<string, string>, ports: {name?: string; port: number}[]): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {namespace, name},
    spec: {selector, ports},
  })
  return new FakeKube([
    {apiVersion: 'apps/v1', kind: 'Deployment', metadata: {namespace: 'istio-system', name: 'istiod', labels: {app: 'istiod'}}, spec: {template: {spec: {containers: [{name: 'discovery', image: 'docker.io/istio/pilot:1.28.0'}]}}}},
    runningPod('istio-system', 'istio-ingressgateway-7d9f-abcde', {istio: 'ingressgateway', app: 'istio-ingressgateway'}, 'istio-ingressgateway-7d9f'),
    replicaSet('istio-ingressgateway-7d9f', 'istio-ingressgateway'),
    service('istio-system', 'istio-ingressgateway', {istio: 'ingressgateway'}, [{name: 'http2', port: 80}, {name: 'https', port: 443}]),
    runningPod('istio-system', 'istio-egressgateway-5c4b-fghij', {istio: 'egressgateway', app: 'istio-egressgateway'}, 'istio-egressgateway-5c4b'),
    replicaSet('istio-egressgateway-5c4b', 'istio-egressgateway'),
    service('istio-system', 'istio-egressgateway', {istio: 'egressgateway'}, [{name: 'http2', port: 80}, {name: 'https', port: 443}]),
    service('default', 'httpbin', {app: 'httpbin'}, [{name: 'http', port: 8000}]),
    runningPod('default', 'httpbin-v1-1', {app: 'httpbin', version: 'v1'}),
    runningPod('default', 'httpbin-v2-1', {app: 'httpbin', version: 'v2'}),
    service('default', 'api', {app: 'api'}, [{name: 'http', port: 8080}, {name: 'grpc', port: 9090}]),
    {apiVersion: 'v1', kind: 'Secret', metadata: {namespace: 'istio-system', name: 'httpbin-credential'}, data: {'tls.crt': 'Y2VydA==', 'tls.key': 'a2V5'}},
  ])
}
