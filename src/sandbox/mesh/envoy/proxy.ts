import {X509Certificate} from 'node:crypto'
import {parse as parseYaml} from 'yaml'
import type {ProxyConfig} from '../istiod/proxy-config.ts'
import {arr, obj, str, type MeshPod, type MeshWorld} from '../world.ts'
import type {DumpContext, ResourceMeta} from './config-dump.ts'
import {defaultStatsMatcher, StatStore, type StatsMatcher} from './stats.ts'

/**
 * One simulated Envoy (a gateway or a sidecar): its current xDS state with per-resource
 * version/last_updated (a resource's version changes only when its content does, as with Envoy's
 * delta of an istiod push), its bootstrap, and its stats.
 */

type Json = Record<string, unknown>

export interface ProxyIdentity {
  istioVersion: string
  envoyVersion: string
  startedAt: Date
}

/** Istio 1.N ships Envoy 1.(N+8) (1.28 -> 1.36). */
export function envoyVersionFor(istioVersion: string): string {
  const m = /^1\.(\d+)/.exec(istioVersion)
  return m ? `1.${Number(m[1]) + 8}.0` : '1.36.0'
}

/** proxyStatsMatcher from `proxy.istio.io/config` or the sidecar.istio.io/stats* annotations. */
export function statsMatcherFor(pod: MeshPod): StatsMatcher {
  const matcher = defaultStatsMatcher()
  const annotations = pod.object.metadata.annotations ?? {}
  const list = (value: unknown) => arr(value).filter((v): v is string => typeof v === 'string')
  const csv = (value: string | undefined) => (value ? value.split(',').map((v) => v.trim()).filter(Boolean) : [])
  let proxyConfig: Json = {}
  try {
    proxyConfig = obj(parseYaml(annotations['proxy.istio.io/config'] ?? '{}'))
  } catch {
    proxyConfig = {}
  }
  const psm = obj(proxyConfig.proxyStatsMatcher)
  matcher.prefixes.push(...list(psm.inclusionPrefixes), ...csv(annotations['sidecar.istio.io/statsInclusionPrefixes']))
  matcher.suffixes.push(...list(psm.inclusionSuffixes), ...csv(annotations['sidecar.istio.io/statsInclusionSuffixes']))
  for (const re of [...list(psm.inclusionRegexps), ...csv(annotations['sidecar.istio.io/statsInclusionRegexps'])]) {
    try {
      matcher.regexps.push(new RegExp(`^(?:${re})$`))
    } catch {
      // Envoy rejects the bootstrap on a bad regex; the sandbox ignores that one pattern instead.
    }
  }
  return matcher
}

export function nodeId(pod: MeshPod): string {
  return `${pod.isGateway ? 'router' : 'sidecar'}~${pod.ip ?? '0.0.0.0'}~${pod.name}.${pod.namespace}~${pod.namespace}.svc.cluster.local`
}

function staticCluster(name: string, address: Json): Json {
  return {name, type: 'STATIC', connect_timeout: '0.250s', load_assignment: {cluster_name: name, endpoints: [{lb_endpoints: [{endpoint: {address}}]}]}}
}

/** The sandbox has no Envoy build; a fixed, obviously synthetic revision stands in for the proxy SHA. */
export const proxySha = '0000000000000000000000000000000000000000'

export function buildBootstrap(world: MeshWorld, pod: MeshPod, identity: ProxyIdentity, matcher: StatsMatcher): Json {
  const workload = world.workloadOf(pod)
  const ads = {ads: {}, initial_fetch_timeout: '0s', resource_api_version: 'V3'}
  return {
    node: {
      id: nodeId(pod),
      cluster: `${workload.name}.${pod.namespace}`,
      metadata: {
        ISTIO_PROXY_SHA: proxySha,
        ISTIO_VERSION: identity.istioVersion,
        CLUSTER_ID: 'Kubernetes',
        MESH_ID: 'cluster.local',
        NAME: pod.name,
        NAMESPACE: pod.namespace,
        LABELS: pod.labels,
        WORKLOAD_NAME: workload.name,
        OWNER: `kubernetes://apis/apps/v1/namespaces/${pod.namespace}/deployments/${workload.name}`,
        SERVICE_ACCOUNT: str(obj(pod.object.spec).serviceAccountName) ?? 'default',
        INSTANCE_IPS: pod.ip ?? '',
        PROXY_CONFIG: {discoveryAddress: 'istiod.istio-system.svc:15012', statusPort: 15020, proxyAdminPort: 15000},
        metadata: {'build.type': 'RELEASE', 'build.label': identity.istioVersion, 'revision.sha': proxySha, 'revision.status': 'Clean', 'ssl.version': 'BoringSSL'},
      },
      locality: {},
      user_agent_name: 'envoy',
      user_agent_build_version: {version: {major_number: 1, minor_number: Number(identity.envoyVersion.split('.')[1]), patch: 0}, metadata: {'build.type': 'RELEASE', 'revision.status': 'Clean', 'ssl.version': 'BoringSSL'}},
    },
    static_resources: {
      listeners: [
        {address: {socket_address: {address: '0.0.0.0', port_value: 15090}}, filter_chains: [{filters: [{name: 'envoy.filters.network.http_connection_manager', typed_config: {'@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', stat_prefix: 'stats', route_config: {virtual_hosts: [{name: 'backend', domains: ['*'], routes: [{match: {prefix: '/stats/prometheus'}, route: {cluster: 'prometheus_stats'}}]}]}, http_filters: [{name: 'envoy.filters.http.router', typed_config: {'@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router'}}]}}]}]},
        {address: {socket_address: {address: '0.0.0.0', port_value: 15021}}, filter_chains: [{filters: [{name: 'envoy.filters.network.http_connection_manager', typed_config: {'@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', stat_prefix: 'agent', route_config: {virtual_hosts: [{name: 'backend', domains: ['*'], routes: [{match: {prefix: '/healthz/ready'}, route: {cluster: 'agent'}}]}]}, http_filters: [{name: 'envoy.filters.http.router', typed_config: {'@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router'}}]}}]}]},
      ],
      clusters: [
        staticCluster('prometheus_stats', {socket_address: {address: '127.0.0.1', port_value: 15000}}),
        staticCluster('agent', {socket_address: {address: '127.0.0.1', port_value: 15020}}),
        staticCluster('sds-grpc', {pipe: {path: './var/run/secrets/workload-spiffe-uds/socket'}}),
        staticCluster('xds-grpc', {pipe: {path: './etc/istio/proxy/XDS'}}),
      ],
    },
    dynamic_resources: {lds_config: ads, cds_config: ads, ads_config: {api_type: 'GRPC', set_node_on_first_message_only: true, transport_api_version: 'V3', grpc_services: [{envoy_grpc: {cluster_name: 'xds-grpc'}}]}},
    stats_config: {
      use_all_default_tags: false,
      stats_tags: [
        {tag_name: 'cluster_name', regex: '^cluster\\.((.*?)\\.)(?:upstream_|circuit_breakers\\.)'},
        {tag_name: 'http_conn_manager_prefix', regex: '^http\\.(((?:[_.[:digit:]]*|[_\\[\\]aAbBcCdDeEfF[:digit:]]*))\\.)'},
        {tag_name: 'response_code', regex: '_rq(_(\\d{3}))$'},
        {tag_name: 'response_code_class', regex: '_rq(_(\\dxx))$'},
        {tag_name: 'listener_address', regex: '^listener\\.(((?:[_.[:digit:]]*|[_\\[\\]aAbBcCdDeEfF[:digit:]]*))\\.)'},
        {tag_name: 'reporter', regex: 'reporter=\\.=(.*?);\\.;'},
      ],
      stats_matcher: {
        inclusion_list: {
          patterns: [
            ...matcher.prefixes.map((prefix) => ({prefix})),
            ...matcher.suffixes.map((suffix) => ({suffix})),
            ...matcher.regexps.map((r) => ({safe_regex: {regex: r.source.replace(/^\^/, '')}})),
          ],
        },
      },
    },
    admin: {address: {socket_address: {address: '127.0.0.1', port_value: 15000}}, profile_path: '/var/lib/istio/data/envoy.prof'},
    layered_runtime: {layers: [{name: 'global config', static_layer: {'overload.global_downstream_max_connections': 2147483647}}, {name: 'admin', admin_layer: {}}]},
  }
}

/** Serialized resources of a push, computed once and shared by the pods that got the same build. */
const contentsByBuild = new WeakMap<object, Map<string, string>>()
/** Resources istiod reused from an earlier push are the same objects: serialize them once. */
const serialized = new WeakMap<object, string>()
const serialize = (value: object): string => {
  let text = serialized.get(value)
  if (text === undefined) {
    text = JSON.stringify(value)
    serialized.set(value, text)
  }
  return text
}

function resourceContents(config: ProxyConfig): Map<string, string> {
  let contents = contentsByBuild.get(config.clusters)
  if (contents) return contents
  contents = new Map()
  for (const c of config.clusters) {
    contents.set(`cluster/${c.name}`, serialize(c.json))
    if (c.loadAssignment) contents.set(`endpoint/${c.name}`, serialize(c.loadAssignment))
  }
  for (const l of config.listeners) contents.set(`listener/${l.name}`, JSON.stringify([l.json, l.warming]))
  for (const [name, r] of config.routes) contents.set(`route/${name}`, JSON.stringify(r.config))
  for (const s of config.secrets) contents.set(`secret/${s.name}`, JSON.stringify(s.secret ?? s.error))
  contentsByBuild.set(config.clusters, contents)
  return contents
}

export class SimulatedProxy {
  readonly pod: MeshPod
  readonly stats: StatStore
  readonly identity: ProxyIdentity
  bootstrap: Json
  config: ProxyConfig | undefined
  private readonly resourceMeta = new Map<string, ResourceMeta & {content: string}>()
  private pushVersion = ''

  constructor(world: MeshWorld, pod: MeshPod, identity: ProxyIdentity, delimited: boolean) {
    this.pod = pod
    this.identity = identity
    const matcher = statsMatcherFor(pod)
    this.stats = new StatStore({delimited, matcher})
    this.bootstrap = buildBootstrap(world, pod, identity, matcher)
    this.stats.set('', '', 'server.state', 0)
    this.stats.set('', '', 'server.live', 1)
    this.stats.set('', '', 'server.concurrency', 2)
    this.stats.set('', '', 'listener_manager.workers_started', 1)
    this.stats.set('cluster', 'xds-grpc', 'upstream_cx_active', 1)
    this.stats.inc('cluster', 'xds-grpc', 'upstream_cx_total', 1)
  }

  /** Takes a new push: only resources whose content changed get the new version and timestamp. */
  accept(config: ProxyConfig, version: string, now: Date): void {
    const previous = this.config
    this.config = config
    this.pushVersion = version
    const stamp = now.toISOString()
    const seen = new Set<string>()
    for (const [key, text] of resourceContents(config)) {
      seen.add(key)
      const old = this.resourceMeta.get(key)
      if (!old || old.content !== text) this.resourceMeta.set(key, {version, lastUpdated: stamp, content: text})
    }
    for (const key of [...this.resourceMeta.keys()]) if (!seen.has(key)) this.resourceMeta.delete(key)
    const s = this.stats
    s.inc('', '', 'cluster_manager.cds.update_attempt')
    s.inc('', '', 'cluster_manager.cds.update_success')
    s.inc('', '', 'cluster_manager.cds.update_rejected', 0)
    s.inc('', '', 'listener_manager.lds.update_attempt')
    s.inc('', '', 'listener_manager.lds.update_success')
    s.inc('', '', 'listener_manager.lds.update_rejected', 0)
    s.set('', '', 'cluster_manager.active_clusters', config.clusters.length + 4)
    s.set('', '', 'cluster_manager.warming_clusters', 0)
    s.set('', '', 'listener_manager.total_listeners_active', config.listeners.filter((l) => !l.warming).length + 2)
    s.set('', '', 'listener_manager.total_listeners_warming', config.listeners.filter((l) => l.warming).length)
    if (!previous) {
      s.inc('', '', 'cluster_manager.cluster_added', config.clusters.length + 4)
      s.inc('', '', 'listener_manager.listener_added', config.listeners.length + 2)
    }
    // Envoy's gauge over the certificates it holds (the workload certificate is outside the sandbox).
    const expiries = config.secrets.flatMap((secret) => (secret.ok ? (secret.certificates ?? []) : [])).flatMap((c) => {
      try {
        return [new Date(new X509Certificate(c.pem).validTo).getTime()]
      } catch {
        return []
      }
    })
    if (expiries.length > 0) s.set('', '', 'server.days_until_first_cert_expiring', Math.max(0, Math.floor((Math.min(...expiries) - now.getTime()) / 86_400_000)))
    for (const c of config.clusters) {
      s.set('cluster', c.name, 'membership_total', c.endpoints.length)
      s.set('cluster', c.name, 'membership_healthy', c.endpoints.length)
    }
  }

  dumpContext(): DumpContext {
    const config = this.config!
    return {
      config,
      bootstrap: this.bootstrap,
      bootstrapUpdated: this.identity.startedAt.toISOString(),
      meta: (kind, name) => this.resourceMeta.get(`${kind}/${name}`) ?? {version: this.pushVersion, lastUpdated: this.identity.startedAt.toISOString()},
      version: this.pushVersion,
    }
  }
}
