import type {StoredObject} from '../../mesh-contract.ts'
import {arr, labelsOf, num, obj, str, type Labels, type MeshPod, type MeshService, type MeshWorld, type ServicePort} from '../world.ts'
import {clusterName, protoDuration} from './routes.ts'

/**
 * CDS + EDS for a gateway: every service port in the registry gets `outbound|PORT||FQDN`, each
 * DestinationRule subset `outbound|PORT|SUBSET|FQDN` (gateways are not scoped by Sidecar, and
 * PILOT_FILTER_GATEWAY_CLUSTER_CONFIG is off by default), with endpoints from the ready pods the
 * Service selector and the subset labels both pick.
 */

type Json = Record<string, unknown>

export interface ClusterEndpoint {
  address: string
  port: number
  pod?: MeshPod
}

export interface BuiltCluster {
  name: string
  json: Json
  /** EDS ClusterLoadAssignment (only for EDS clusters). */
  loadAssignment?: Json
  endpoints: ClusterEndpoint[]
  service?: MeshService
  subset?: string
  port?: number
}

const drConfigPath = (ns: string, name: string) => `/apis/networking.istio.io/v1alpha3/namespaces/${ns}/destination-rule/${name}`
const ads = {ads: {}, initial_fetch_timeout: '0s', resource_api_version: 'V3'}

interface EffectiveRule {
  source: StoredObject
  trafficPolicy: Json
  subsets: {name: string; labels: Labels; trafficPolicy: Json}[]
}

/** DestinationRule lookup order for a proxy: its own namespace, the service's, then the root namespace. */
function destinationRuleFor(world: MeshWorld, svc: MeshService, proxyNamespace: string): EffectiveRule | undefined {
  const rules = world.destinationRules.get(svc.fqdn)
  if (!rules || rules.length === 0) return undefined
  for (const ns of [proxyNamespace, svc.namespace, 'istio-system']) {
    const inNs = rules.filter((r) => r.metadata.namespace === ns && arr(obj(r.spec).workloadSelector).length === 0)
    if (inNs.length === 0) continue
    // Rules for one host in one namespace are merged: first-created wins a subset name and the top-level policy.
    const subsets: EffectiveRule['subsets'] = []
    for (const rule of inNs) {
      for (const s of arr(obj(rule.spec).subsets).map(obj)) {
        const name = str(s.name)
        if (name && !subsets.some((x) => x.name === name)) subsets.push({name, labels: labelsOf(s.labels), trafficPolicy: obj(s.trafficPolicy)})
      }
    }
    return {source: inNs[0]!, trafficPolicy: obj(obj(inNs[0]!.spec).trafficPolicy), subsets}
  }
  return undefined
}

function portPolicy(policy: Json, port: number): Json {
  const level = arr(policy.portLevelSettings).map(obj).find((p) => num(obj(p.port).number) === port)
  return level ? {...policy, ...level} : policy
}

function applyTrafficPolicy(cluster: Json, policy: Json): void {
  const lb = obj(policy.loadBalancer)
  const simple = str(lb.simple)
  if (simple === 'ROUND_ROBIN') delete cluster.lb_policy
  else if (simple === 'RANDOM') cluster.lb_policy = 'RANDOM'
  else if (simple === 'LEAST_REQUEST' || simple === 'LEAST_CONN') cluster.lb_policy = 'LEAST_REQUEST'
  else if (simple === 'PASSTHROUGH') {
    cluster.type = 'ORIGINAL_DST'
    cluster.lb_policy = 'CLUSTER_PROVIDED'
    delete cluster.eds_cluster_config
  }
  if (lb.consistentHash !== undefined) cluster.lb_policy = 'RING_HASH'
  const pool = obj(policy.connectionPool)
  const tcp = obj(pool.tcp)
  const http = obj(pool.http)
  const thresholds = obj(arr(obj(cluster.circuit_breakers).thresholds)[0])
  if (num(tcp.maxConnections) !== undefined) thresholds.max_connections = num(tcp.maxConnections)
  if (num(http.http1MaxPendingRequests) !== undefined) thresholds.max_pending_requests = num(http.http1MaxPendingRequests)
  if (num(http.http2MaxRequests) !== undefined) thresholds.max_requests = num(http.http2MaxRequests)
  if (num(http.maxRetries) !== undefined) thresholds.max_retries = num(http.maxRetries)
  const connect = protoDuration(tcp.connectTimeout)
  if (connect) cluster.connect_timeout = connect
  const outlier = obj(policy.outlierDetection)
  if (Object.keys(outlier).length > 0) {
    const od: Json = {}
    const c5 = num(outlier.consecutive5xxErrors) ?? num(outlier.consecutiveErrors)
    if (c5 !== undefined) {
      od.consecutive_5xx = c5
      od.enforcing_consecutive_5xx = 100
    }
    const gw = num(outlier.consecutiveGatewayErrors)
    if (gw !== undefined) {
      od.consecutive_gateway_failure = gw
      od.enforcing_consecutive_gateway_failure = 100
    }
    od.interval = protoDuration(outlier.interval) ?? '10s'
    od.base_ejection_time = protoDuration(outlier.baseEjectionTime) ?? '30s'
    od.max_ejection_percent = num(outlier.maxEjectionPercent) ?? 10
    od.enforcing_success_rate = 0
    cluster.outlier_detection = od
  }
  const tls = obj(policy.tls)
  if (str(tls.mode) === 'DISABLE') delete cluster.transport_socket_matches
  else if (str(tls.mode) === 'SIMPLE' || str(tls.mode) === 'MUTUAL') {
    delete cluster.transport_socket_matches
    cluster.transport_socket = {
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
        common_tls_context: {},
        ...(typeof tls.sni === 'string' ? {sni: tls.sni} : {}),
      },
    }
  }
}

function baseCluster(name: string, svc: MeshService, port: ServicePort): Json {
  const cluster: Json = {'@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster', name}
  const headless = svc.kind === 'Service' && obj(svc.source.spec).clusterIP === 'None'
  if (svc.kind === 'ServiceEntry' && svc.resolution === 'DNS') cluster.type = 'STRICT_DNS'
  else if ((svc.kind === 'ServiceEntry' && svc.resolution === 'NONE') || headless) {
    cluster.type = 'ORIGINAL_DST'
    cluster.lb_policy = 'CLUSTER_PROVIDED'
  } else {
    cluster.type = 'EDS'
    cluster.eds_cluster_config = {eds_config: ads, service_name: name}
  }
  cluster.connect_timeout = '10s'
  if (cluster.lb_policy === undefined) cluster.lb_policy = 'LEAST_REQUEST'
  cluster.circuit_breakers = {thresholds: [{max_connections: 4294967295, max_pending_requests: 4294967295, max_requests: 4294967295, max_retries: 4294967295, track_remaining: true}]}
  cluster.common_lb_config = {}
  cluster.metadata = {filter_metadata: {istio: {default_original_port: port.port, services: [{host: svc.fqdn, name: svc.name, namespace: svc.namespace}]}}}
  cluster.filters = [{name: 'istio.metadata_exchange', typed_config: {'@type': 'type.googleapis.com/envoy.tcp.metadataexchange.config.MetadataExchange', protocol: 'istio-peer-exchange'}}]
  if (svc.kind === 'Service') {
    cluster.transport_socket_matches = [
      {
        name: 'tlsMode-istio',
        match: {tlsMode: 'istio'},
        transport_socket: {
          name: 'envoy.transport_sockets.tls',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
            common_tls_context: {
              tls_params: {tls_minimum_protocol_version: 'TLSv1_2', tls_maximum_protocol_version: 'TLSv1_3'},
              alpn_protocols: ['istio-peer-exchange', 'istio'],
              tls_certificate_sds_secret_configs: [{name: 'default', sds_config: {api_config_source: {api_type: 'GRPC', grpc_services: [{envoy_grpc: {cluster_name: 'sds-grpc'}}], set_node_on_first_message_only: true, transport_api_version: 'V3'}, initial_fetch_timeout: '0s', resource_api_version: 'V3'}}],
              combined_validation_context: {default_validation_context: {match_subject_alt_names: [{exact: `spiffe://cluster.local/ns/${svc.namespace}/sa/default`}]}, validation_context_sds_secret_config: {name: 'ROOTCA', sds_config: {api_config_source: {api_type: 'GRPC', grpc_services: [{envoy_grpc: {cluster_name: 'sds-grpc'}}], set_node_on_first_message_only: true, transport_api_version: 'V3'}, initial_fetch_timeout: '0s', resource_api_version: 'V3'}}},
            },
            sni: `outbound_.${port.port}_._.${svc.fqdn}`,
          },
        },
      },
      {name: 'tlsMode-disabled', match: {}, transport_socket: {name: 'envoy.transport_sockets.raw_buffer', typed_config: {'@type': 'type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer'}}},
    ]
  }
  return cluster
}

function workloadMetadata(pod: MeshPod, world: MeshWorld): string {
  const app = pod.labels['app.kubernetes.io/name'] ?? pod.labels.app ?? world.workloadOf(pod).name
  const version = pod.labels['app.kubernetes.io/version'] ?? pod.labels.version ?? 'latest'
  return `${world.workloadOf(pod).name};${pod.namespace};${app};${version};Kubernetes`
}

function loadAssignment(world: MeshWorld, name: string, endpoints: ClusterEndpoint[]): Json {
  const lbEndpoints = endpoints.map((e) => ({
    endpoint: {address: {socket_address: {address: e.address, port_value: e.port}}, health_check_config: {}},
    health_status: 'HEALTHY',
    metadata: {filter_metadata: {istio: e.pod ? {workload: workloadMetadata(e.pod, world)} : {}, ...(e.pod?.hasSidecar ? {'envoy.transport_socket_match': {tlsMode: 'istio'}} : {})}},
    load_balancing_weight: 1,
  }))
  return {
    '@type': 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
    cluster_name: name,
    endpoints: lbEndpoints.length > 0 ? [{locality: {}, lb_endpoints: lbEndpoints, load_balancing_weight: lbEndpoints.length}] : [],
    policy: {overprovisioning_factor: 140},
  }
}

/**
 * Clusters of a service whose inputs did not change since the last push are reused as they were, so
 * a push costs what changed (and unchanged resources keep their identity for version tracking).
 */
export class ClusterCache {
  entries = new Map<string, {key: string; clusters: BuiltCluster[]}>()
}

function inputsKey(world: MeshWorld, svc: MeshService, delimitedStats: boolean): string {
  const rv = (o: StoredObject) => `${o.metadata.uid}:${o.metadata.resourceVersion}`
  const rules = (world.destinationRules.get(svc.fqdn) ?? []).map(rv).join(',')
  const endpoints = svc.ports
    .flatMap((port) => world.endpoints(svc, port))
    .map((e) => (e.pod ? `${e.pod.object.metadata.uid}:${e.pod.object.metadata.resourceVersion}:${e.port}:${world.workloadOf(e.pod).name}` : `${e.address}:${e.port}`))
    .join(',')
  return `${rv(svc.source)}|${rules}|${delimitedStats}|${endpoints}`
}

export function buildClusters(world: MeshWorld, proxyNamespace: string, delimitedStats: boolean, cache: ClusterCache = new ClusterCache()): BuiltCluster[] {
  const out: BuiltCluster[] = []
  const next = new Map<string, {key: string; clusters: BuiltCluster[]}>()
  const services = [...world.services.values()].sort((a, b) => (a.fqdn < b.fqdn ? -1 : a.fqdn > b.fqdn ? 1 : 0))
  for (const svc of services) {
    const cacheKey = `${proxyNamespace}|${svc.fqdn}`
    const key = inputsKey(world, svc, delimitedStats)
    const previous = cache.entries.get(cacheKey)
    if (previous && previous.key === key) {
      next.set(cacheKey, previous)
      out.push(...previous.clusters)
      continue
    }
    const built = buildServiceClusters(world, svc, proxyNamespace, delimitedStats)
    next.set(cacheKey, {key, clusters: built})
    out.push(...built)
  }
  cache.entries = next
  out.push({name: 'BlackHoleCluster', json: {'@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster', name: 'BlackHoleCluster', type: 'STATIC', connect_timeout: '10s', load_assignment: {cluster_name: 'BlackHoleCluster'}}, endpoints: []})
  return out
}

function buildServiceClusters(world: MeshWorld, svc: MeshService, proxyNamespace: string, delimitedStats: boolean): BuiltCluster[] {
  const out: BuiltCluster[] = []
  {
    const rule = destinationRuleFor(world, svc, proxyNamespace)
    for (const port of svc.ports) {
      const variants = [{subset: '', labels: undefined as Labels | undefined, policy: {} as Json}, ...(rule?.subsets ?? []).map((s) => ({subset: s.name, labels: s.labels, policy: s.trafficPolicy}))]
      for (const variant of variants) {
        const name = clusterName(port.port, variant.subset, svc.fqdn)
        const json = baseCluster(name, svc, port)
        if (delimitedStats) json.alt_stat_name = `${name};`
        const meta = obj(obj(obj(json.metadata).filter_metadata).istio)
        if (rule) {
          meta.config = drConfigPath(rule.source.metadata.namespace ?? 'default', rule.source.metadata.name)
          applyTrafficPolicy(json, portPolicy(rule.trafficPolicy, port.port))
          if (variant.subset) applyTrafficPolicy(json, portPolicy(variant.policy, port.port))
        }
        if (variant.subset) meta.subset = variant.subset
        const listed = world.endpoints(svc, port, variant.labels)
        // A DNS ServiceEntry without endpoints resolves its own host: Envoy treats it as one healthy address.
        const endpoints = listed.length === 0 && json.type === 'STRICT_DNS' && arr(obj(svc.source.spec).endpoints).length === 0 ? [{address: svc.fqdn, port: port.port}] : listed
        const built: BuiltCluster = {name, json, endpoints, service: svc, subset: variant.subset, port: port.port}
        if (json.type === 'EDS') built.loadAssignment = loadAssignment(world, name, endpoints)
        else if (json.type === 'STRICT_DNS') json.load_assignment = {cluster_name: name, endpoints: [{lb_endpoints: endpoints.map((e) => ({endpoint: {address: {socket_address: {address: e.address, port_value: e.port}}}}))}]}
        out.push(built)
      }
    }
  }
  return out
}
