import type {SimulatedMesh} from '../../src/sandbox/mesh-contract.ts'
import {createSimulatedMesh, type SandboxMesh} from '../../src/sandbox/mesh/index.ts'
import {FakeClusterState, demoWorld, seed000, seedObject} from './fake-cluster-state.ts'

type Json = Record<string, any>

/** Asks a simulated pod's Envoy admin (port 15000) the way kubectl's pod proxy would. */
export async function admin(mesh: SimulatedMesh, namespace: string, pod: string, pathAndQuery: string): Promise<{status: number; body: string}> {
  const url = new URL(pathAndQuery, 'http://x')
  const response = await mesh.handlePodRequest({namespace, pod, port: 15000, method: 'GET', path: url.pathname, query: url.searchParams, headers: {}})
  if (!response) throw new Error(`nothing listens on ${namespace}/${pod}:15000`)
  return {status: response.status, body: String(response.body)}
}

export async function configDump(mesh: SimulatedMesh, namespace: string, pod: string, query = ''): Promise<Json> {
  const r = await admin(mesh, namespace, pod, `/config_dump${query}`)
  if (r.status !== 200) throw new Error(`config_dump ${r.status}: ${r.body}`)
  return JSON.parse(r.body)
}

export function section(dump: Json, type: string): Json {
  return dump.configs.find((c: Json) => c['@type'] === `type.googleapis.com/envoy.admin.v3.${type}`) ?? {}
}

export function routeConfig(dump: Json, name: string): Json | undefined {
  return (section(dump, 'RoutesConfigDump').dynamic_route_configs ?? []).find((r: Json) => r.route_config.name === name)?.route_config
}

export function listener(dump: Json, name: string): Json | undefined {
  return (section(dump, 'ListenersConfigDump').dynamic_listeners ?? []).find((l: Json) => l.name === name)
}

export function cluster(dump: Json, name: string): Json | undefined {
  return (section(dump, 'ClustersConfigDump').dynamic_active_clusters ?? []).find((c: Json) => c.cluster.name === name)?.cluster
}

export function gatewayPods(state: FakeClusterState): string[] {
  return state.list('', 'Pod', 'istio-system').map((p) => p.metadata.name).sort()
}

/** istio_requests_total samples as {labels, value}. */
export function requestSeries(prometheusText: string): {labels: Record<string, string>; value: number}[] {
  const out: {labels: Record<string, string>; value: number}[] = []
  for (const line of prometheusText.split('\n')) {
    const m = /^istio_requests_total\{(.*)\} (\S+)$/.exec(line)
    if (!m) continue
    const labels: Record<string, string> = {}
    for (const l of m[1]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!
    out.push({labels, value: Number(m[2])})
  }
  return out
}

export function sumRequests(series: {labels: Record<string, string>; value: number}[], filter: Record<string, string | RegExp>): number {
  return series
    .filter((s) => Object.entries(filter).every(([k, v]) => (typeof v === 'string' ? s.labels[k] === v : v.test(s.labels[k] ?? ''))))
    .reduce((sum, s) => sum + s.value, 0)
}

/**
 * The demo world with seed 000 objects applied (kind, name) and a mesh on a fixed clock with manual
 * traffic, for goldens. The seed's httpbin-gateway lists httpbin/api hosts; the canary and path
 * examples use app.example.com on it, so that host is added.
 */
export function seedMesh(objects: [string, string][]): {state: FakeClusterState; mesh: SandboxMesh; pod: string} {
  const state = new FakeClusterState()
  demoWorld(state)
  for (const [kind, name] of objects) {
    const o = seedObject(seed000, kind, name) as {spec: {servers: {hosts: string[]}[]}}
    if (kind === 'Gateway' && name === 'httpbin-gateway') o.spec.servers[0]!.hosts.push('app.example.com')
    state.apply(o as unknown as Record<string, unknown>)
  }
  const mesh = createSimulatedMesh(state, {timer: {setInterval: () => 0, clearInterval: () => undefined}, now: () => new Date('2026-01-01T12:00:00Z')})
  return {state, mesh, pod: gatewayPods(state)[0]!}
}
