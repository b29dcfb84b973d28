import type {ApiDiscovery, ApplyOptions, KubeClient, KubeObject, ListOptions, ObjectRef} from '../../src/kube/client.ts'
import {comparable} from '../../src/kube/apply.ts'
import type {ClusterConnection} from '../../src/kube/kubeconfig.ts'
import {isInteractive, type GwContext, type OutputStream} from '../../src/context.ts'

function key(apiVersion: string, kind: string, namespace: string | undefined, name: string): string {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : ''
  return `${group}|${kind}|${namespace ?? ''}|${name}`
}

function matchesLabels(object: KubeObject, selector: string | undefined): boolean {
  if (!selector) return true
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=') as [string, string]
    return object.metadata.labels?.[k] === v
  })
}

/**
 * An in-memory API server good enough for scaffold: get/list with label and name selectors,
 * server-side apply that keeps resourceVersion when nothing changed, dry runs that store nothing.
 * Records every write so tests can assert "nothing written".
 */
export class FakeKube implements KubeClient {
  readonly objects = new Map<string, KubeObject>()
  readonly writes: {verb: string; object: KubeObject; dryRun: boolean}[] = []
  discoveryGroups: ApiDiscovery['groups'] = [
    {name: 'networking.istio.io', versions: ['v1', 'v1beta1', 'v1alpha3']},
    {name: 'gateway.networking.k8s.io', versions: ['v1']},
  ]
  private version = 1

  add(...objects: KubeObject[]): this {
    for (const o of objects) this.objects.set(key(o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name ?? ''), structuredClone({...o, metadata: {resourceVersion: String(this.version++), ...o.metadata}}))
    return this
  }

  async connection(): Promise<ClusterConnection> {
    return {contextName: 'fake', clusterName: 'fake', userName: 'fake', server: 'https://127.0.0.1:1', namespace: 'default', namespaceExplicit: false, insecureSkipTlsVerify: true, sources: []}
  }
  async serverVersion() {
    return {major: '1', minor: '31', gitVersion: 'v1.31.0'}
  }
  async discovery(): Promise<ApiDiscovery> {
    return {groups: this.discoveryGroups}
  }
  async resourceFor() {
    return undefined
  }
  async get<T extends KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    const found = this.objects.get(key(ref.apiVersion, ref.kind, ref.namespace, ref.name))
    return found ? (structuredClone(found) as T) : undefined
  }
  async list<T extends KubeObject>(apiVersion: string, kind: string, options: ListOptions = {}): Promise<T[]> {
    const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : ''
    const name = options.fieldSelector?.match(/^metadata\.name=(.+)$/)?.[1]
    return [...this.objects.entries()]
      .filter(([k, o]) => k.startsWith(`${group}|${kind}|`) && (!options.namespace || o.metadata.namespace === options.namespace) && matchesLabels(o, options.labelSelector) && (!name || o.metadata.name === name))
      .map(([, o]) => structuredClone(o) as T)
  }
  async apply<T extends KubeObject>(object: T, options: ApplyOptions = {}): Promise<T> {
    this.writes.push({verb: 'apply', object, dryRun: Boolean(options.dryRun)})
    const k = key(object.apiVersion, object.kind, object.metadata.namespace, object.metadata.name ?? '')
    const before = this.objects.get(k)
    const managedFields = [...(before?.metadata.managedFields ?? []).filter((f) => f.manager !== options.fieldManager), {manager: options.fieldManager, operation: 'Apply'}]
    const merged = {...before, ...structuredClone(object), metadata: {...before?.metadata, ...object.metadata, managedFields}} as KubeObject
    const changed = !before || JSON.stringify(comparable(before)) !== JSON.stringify(comparable(merged))
    merged.metadata.resourceVersion = changed ? String(this.version++) : before?.metadata.resourceVersion
    if (!options.dryRun) this.objects.set(k, merged)
    return structuredClone(merged) as T
  }
  async create<T extends KubeObject>(object: T): Promise<T> {
    return this.apply(object)
  }
  async replace<T extends KubeObject>(object: T): Promise<T> {
    return this.apply(object)
  }
  async update<T extends KubeObject>(): Promise<T> {
    throw new Error('FakeKube.update is not used by scaffold')
  }
  async patch<T extends KubeObject>(): Promise<T> {
    throw new Error('FakeKube.patch is not used by scaffold')
  }
  async delete(): Promise<boolean> {
    throw new Error('FakeKube.delete is not used by scaffold')
  }
  async getRaw(): Promise<Buffer> {
    throw new Error('FakeKube.getRaw is not used by scaffold')
  }
  close(): void {}

  /** Writes that were not dry runs. */
  storedWrites(): KubeObject[] {
    return this.writes.filter((w) => !w.dryRun).map((w) => w.object)
  }
}

export interface CapturedStream extends OutputStream {
  text(): string
}

function captured(): CapturedStream {
  let buffer = ''
  return {write: (t) => void (buffer += t), isTTY: false, text: () => buffer}
}

export function fakeContext(kube: KubeClient, namespace = 'default'): GwContext & {io: {stdout: CapturedStream; stderr: CapturedStream}} {
  const stdout = captured()
  const stderr = captured()
  return {
    kube,
    clock: {now: () => new Date('2026-01-01T00:00:00Z'), sleep: async () => {}},
    io: {stdout, stderr, interactive: isInteractive({isTTY: false}, {}), debug: () => {}},
    namespace: async () => namespace,
  }
}

/** A cluster with Istio 1.28 installed: istiod, the ingress and egress gateways with their Services. */
export function istioCluster(): FakeKube {
  const kube = new FakeKube()
  const pod = (namespace: string, name: string, labels: Record<string, string>, owner?: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {namespace, name, labels, ownerReferences: owner ? [{apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: owner}] : undefined},
    status: {phase: 'Running', podIP: '10.0.0.1', conditions: [{type: 'Ready', status: 'True'}]},
  })
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
  kube.add(
    {apiVersion: 'apps/v1', kind: 'Deployment', metadata: {namespace: 'istio-system', name: 'istiod', labels: {app: 'istiod'}}, spec: {template: {spec: {containers: [{name: 'discovery', image: 'docker.io/istio/pilot:1.28.0'}]}}}},
    pod('istio-system', 'istio-ingressgateway-7d9f-abcde', {istio: 'ingressgateway', app: 'istio-ingressgateway'}, 'istio-ingressgateway-7d9f'),
    replicaSet('istio-ingressgateway-7d9f', 'istio-ingressgateway'),
    service('istio-system', 'istio-ingressgateway', {istio: 'ingressgateway'}, [{name: 'http2', port: 80}, {name: 'https', port: 443}]),
    pod('istio-system', 'istio-egressgateway-5c4b-fghij', {istio: 'egressgateway', app: 'istio-egressgateway'}, 'istio-egressgateway-5c4b'),
    replicaSet('istio-egressgateway-5c4b', 'istio-egressgateway'),
    service('istio-system', 'istio-egressgateway', {istio: 'egressgateway'}, [{name: 'http2', port: 80}, {name: 'https', port: 443}]),
    service('default', 'httpbin', {app: 'httpbin'}, [{name: 'http', port: 8000}]),
    pod('default', 'httpbin-v1-1', {app: 'httpbin', version: 'v1'}),
    pod('default', 'httpbin-v2-1', {app: 'httpbin', version: 'v2'}),
    service('default', 'api', {app: 'api'}, [{name: 'http', port: 8080}, {name: 'grpc', port: 9090}]),
    {apiVersion: 'v1', kind: 'Secret', metadata: {namespace: 'istio-system', name: 'httpbin-credential'}, data: {'tls.crt': 'Y2VydA==', 'tls.key': 'a2V5'}},
  )
  return kube
}
