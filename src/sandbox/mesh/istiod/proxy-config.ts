import type {MeshPod, MeshWorld} from '../world.ts'
import {buildClusters, ClusterCache, type BuiltCluster} from './clusters.ts'
import {buildListeners, type BuiltListener} from './listeners.ts'
import {buildRouteConfig, type RouteBuild} from './routes.ts'
import {resolveSds, type SdsResult} from './secrets.ts'
import {mergeGateways, terminatesTls, type GatewayServer, type RejectedServer} from './servers.ts'

/** Everything istiod pushes to one gateway proxy, plus what it logged while building it. */
export interface ProxyConfig {
  pod: MeshPod
  servers: GatewayServer[]
  rejected: RejectedServer[]
  listeners: (BuiltListener & {warming: boolean})[]
  routes: Map<string, RouteBuild>
  clusters: BuiltCluster[]
  clustersByName: Map<string, BuiltCluster>
  secrets: SdsResult[]
  /** istiod's warnings for this proxy (duplicate hosts, missing secrets, 404 vhosts). */
  warnings: string[]
}

export interface BuildOptions {
  now: Date
  /** Istio >= 1.23 appends ";" to HCM stat prefixes and cluster alt_stat_name. */
  delimitedStats: boolean
  /** Reuses unchanged services' clusters from the previous push. */
  clusterCache?: ClusterCache
}

/** Parses "1.28" / "1.22.3" into a comparable minor version. */
export function istioMinor(version: string): number {
  const m = /^(\d+)\.(\d+)/.exec(version)
  return m ? Number(m[1]) * 1000 + Number(m[2]) : 1028
}

export function buildProxyConfig(world: MeshWorld, pod: MeshPod, options: BuildOptions): ProxyConfig {
  const {servers, rejected} = mergeGateways(world, pod)
  const warnings = rejected.map((r) => `skipping server on gateway ${r.gateway} port ${r.port} hosts [${r.hosts.join(' ')}]: ${r.reason}`)
  const listeners = buildListeners(world, servers, options.delimitedStats)
  const routes = new Map<string, RouteBuild>()
  const byRoute = new Map<string, GatewayServer[]>()
  for (const s of servers) if (s.routeName) byRoute.set(s.routeName, [...(byRoute.get(s.routeName) ?? []), s])
  for (const [name, group] of byRoute) {
    if (group.some((s) => terminatesTls(s)) && !listeners.some((l) => l.statPrefixes.has(name))) continue
    const built = buildRouteConfig(world, name, group)
    if (String((built.config.virtual_hosts as {name: string}[])[0]?.name).startsWith('blackhole:')) {
      warnings.push(`constructed http route config for route ${name} on port ${group[0]!.number} with no vhosts; Setting up a default 404 vhost`)
    }
    routes.set(name, built)
  }
  const secretNames = [...new Set(listeners.flatMap((l) => l.secrets))]
  const secrets = secretNames.map((name) => resolveSds(world, pod.namespace, name, options.now))
  for (const s of secrets) if (!s.ok) warnings.push(`failed to fetch key and certificate for ${s.name}: ${s.error}`)
  const missing = new Set(secrets.filter((s) => !s.ok).map((s) => s.name))
  const clusters = buildClusters(world, pod.namespace, options.delimitedStats, options.clusterCache ?? new ClusterCache())
  return {
    pod,
    servers,
    rejected,
    listeners: listeners.map((l) => ({...l, warming: l.secrets.some((s) => missing.has(s))})),
    routes,
    clusters,
    clustersByName: new Map(clusters.map((c) => [c.name, c])),
    secrets,
    warnings,
  }
}
