import fs from 'node:fs'
import path from 'node:path'
import {parseAllDocuments} from 'yaml'
import type {ClusterStateView, StoredObject, StoreEvent} from '../../src/sandbox/mesh-contract.ts'
import {sharedDir} from './paths.ts'

/** An in-memory API server store: plain JSON objects, metadata filled in, creation order preserved. */
export class FakeClusterState implements ClusterStateView {
  readonly istioVersion: string
  private readonly objects = new Map<string, StoredObject>()
  private readonly listeners = new Set<(event: StoreEvent) => void>()
  private counter = 0
  private clock = Date.parse('2026-01-01T00:00:00Z')

  constructor(istioVersion = '1.28') {
    this.istioVersion = istioVersion
  }

  private key(group: string, kind: string, namespace: string | undefined, name: string): string {
    return `${group}|${kind}|${namespace ?? ''}|${name}`
  }

  static groupOf(apiVersion: string): string {
    return apiVersion.includes('/') ? apiVersion.split('/')[0]! : ''
  }

  list(group: string, kind: string, namespace?: string): StoredObject[] {
    return [...this.objects.values()].filter((o) => FakeClusterState.groupOf(o.apiVersion) === group && o.kind === kind && (namespace === undefined || o.metadata.namespace === namespace))
  }

  get(group: string, kind: string, namespace: string | undefined, name: string): StoredObject | undefined {
    return this.objects.get(this.key(group, kind, namespace, name))
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Creates or replaces (keeping uid and creationTimestamp, like an update). */
  apply(input: Record<string, unknown>): StoredObject {
    const o = structuredClone(input) as unknown as StoredObject
    const meta = (o.metadata ?? {}) as StoredObject['metadata']
    const namespaced = !['Namespace', 'CustomResourceDefinition'].includes(o.kind)
    if (namespaced && !meta.namespace) meta.namespace = 'default'
    const key = this.key(FakeClusterState.groupOf(o.apiVersion), o.kind, meta.namespace, meta.name)
    const existing = this.objects.get(key)
    this.counter++
    this.clock += 1000
    meta.uid = existing?.metadata.uid ?? `uid-${this.counter}`
    meta.creationTimestamp = existing?.metadata.creationTimestamp ?? new Date(this.clock).toISOString().replace('.000Z', 'Z')
    meta.resourceVersion = String(this.counter)
    o.metadata = meta
    this.objects.set(key, o)
    for (const l of this.listeners) l({type: existing ? 'MODIFIED' : 'ADDED', object: o})
    return o
  }

  delete(apiVersion: string, kind: string, namespace: string | undefined, name: string): void {
    const key = this.key(FakeClusterState.groupOf(apiVersion), kind, namespace, name)
    const existing = this.objects.get(key)
    if (!existing) return
    this.objects.delete(key)
    for (const l of this.listeners) l({type: 'DELETED', object: existing})
  }
}

/** Every YAML document in a seed article's ```yaml blocks, in order. */
export function seedDocuments(file: string): Record<string, unknown>[] {
  const text = fs.readFileSync(path.join(sharedDir, 'seeds', file), 'utf8')
  const docs: Record<string, unknown>[] = []
  for (const block of text.matchAll(/```yaml\n([\s\S]*?)```/g)) {
    for (const doc of parseAllDocuments(block[1]!)) {
      const value = doc.toJS() as Record<string, unknown> | null
      if (value && typeof value === 'object' && typeof value.kind === 'string') docs.push(value)
    }
  }
  return docs
}

export const seed000 = '000_d870c13a5f1fb9d0.txt'

export function seedObject(file: string, kind: string, name: string): Record<string, unknown> {
  const found = seedDocuments(file).find((d) => d.kind === kind && (d.metadata as {name: string}).name === name)
  if (!found) throw new Error(`seed ${file} has no ${kind} ${name}`)
  return found
}

let podIp = 10
function deployment(name: string, namespace: string, labels: Record<string, string>, replicas: number, options: {gateway?: boolean; ports?: {name: string; containerPort: number}[]; podLabels?: Record<string, string>[]} = {}): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [{apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name, namespace}, spec: {replicas, selector: {matchLabels: labels}, template: {metadata: {labels}}}}]
  for (let i = 0; i < replicas; i++) {
    const extra = options.podLabels?.[i] ?? {}
    out.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {name: `${name}-7d4f9c-${String.fromCharCode(97 + i)}x${i}`, namespace, labels: {...labels, ...extra}},
      spec: {serviceAccountName: name, containers: [{name: 'istio-proxy', args: ['proxy', options.gateway ? 'router' : 'sidecar'], ports: options.ports ?? []}]},
      status: {phase: 'Running', podIP: `10.244.0.${podIp++}`, conditions: [{type: 'Ready', status: 'True'}]},
    })
  }
  return out
}

function service(name: string, namespace: string, selector: Record<string, string>, ports: {name: string; port: number; targetPort: number}[]): Record<string, unknown> {
  return {apiVersion: 'v1', kind: 'Service', metadata: {name, namespace}, spec: {selector, ports: ports.map((p) => ({...p, protocol: 'TCP'}))}}
}

/** A small demo world: the ingress gateway (80->8080, 443->8443) and the seed examples' services. */
export function demoWorld(state: FakeClusterState): void {
  podIp = 10
  const gwLabels = {app: 'istio-ingressgateway', istio: 'ingressgateway'}
  for (const o of deployment('istio-ingressgateway', 'istio-system', gwLabels, 2, {gateway: true, ports: [{name: 'http2', containerPort: 8080}, {name: 'https', containerPort: 8443}]})) state.apply(o)
  state.apply(service('istio-ingressgateway', 'istio-system', gwLabels, [{name: 'status-port', port: 15021, targetPort: 15021}, {name: 'http2', port: 80, targetPort: 8080}, {name: 'https', port: 443, targetPort: 8443}]))
  for (const [name, port, target] of [['httpbin', 80, 8080], ['api-service', 8080, 8080], ['web-frontend', 80, 80], ['admin-service', 8080, 8080]] as const) {
    for (const o of deployment(name, 'default', {app: name}, 1, {podLabels: [{version: 'v1'}]})) state.apply(o)
    state.apply(service(name, 'default', {app: name}, [{name: 'http', port, targetPort: target}]))
  }
  for (const o of deployment('app-service-stable', 'default', {app: 'app-service', version: 'stable'}, 2)) state.apply(o)
  for (const o of deployment('app-service-canary', 'default', {app: 'app-service', version: 'canary'}, 1)) state.apply(o)
  state.apply(service('app-service', 'default', {app: 'app-service'}, [{name: 'http', port: 80, targetPort: 8080}]))
}
