import {arr, num, obj, resolveHost, str, type MeshWorld} from '../world.ts'
import {clusterName} from './routes.ts'
import {isHttpProtocol, terminatesTls, type GatewayServer} from './servers.ts'

/**
 * LDS for a gateway: one listener `0.0.0.0_<targetPort>` per bound container port; plaintext HTTP
 * servers share one filter chain (RDS `http.<port>`); each terminated HTTPS server gets a filter
 * chain matched on SNI with SDS certificates; PASSTHROUGH servers get tcp_proxy chains per
 * VirtualService `tls` route, matched on SNI, with no RDS.
 */

type Json = Record<string, unknown>

export interface BuiltListener {
  name: string
  port: number
  json: Json
  /** SDS resource names its filter chains need. */
  secrets: string[]
  /** stat prefixes of its HTTP connection managers, by route config name. */
  statPrefixes: Map<string, string>
  /** PASSTHROUGH routes for the traffic simulator. */
  passthrough: {sni: string[]; clusters: {name: string; weight: number}[]}[]
}

const ads = {ads: {}, initial_fetch_timeout: '0s', resource_api_version: 'V3'}
const typed = (type: string, extra: Json = {}) => ({'@type': `type.googleapis.com/${type}`, ...extra})

function httpConnectionManager(routeName: string, statPrefix: string): Json {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: typed('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', {
      stat_prefix: statPrefix,
      rds: {config_source: ads, route_config_name: routeName},
      http_filters: [
        {name: 'istio.metadata_exchange', typed_config: typed('udpa.type.v1.TypedStruct', {type_url: 'type.googleapis.com/io.istio.http.peer_metadata.Config', value: {upstream_discovery: [{istio_headers: {}}, {workload_discovery: {}}], upstream_propagation: [{istio_headers: {}}]}})},
        {name: 'envoy.filters.http.grpc_stats', typed_config: typed('envoy.extensions.filters.http.grpc_stats.v3.FilterConfig', {emit_filter_state: true, stats_for_all_methods: false})},
        {name: 'envoy.filters.http.fault', typed_config: typed('envoy.extensions.filters.http.fault.v3.HTTPFault')},
        {name: 'envoy.filters.http.cors', typed_config: typed('envoy.extensions.filters.http.cors.v3.Cors')},
        {name: 'istio.stats', typed_config: typed('stats.PluginConfig', {})},
        {name: 'envoy.filters.http.router', typed_config: typed('envoy.extensions.filters.http.router.v3.Router')},
      ],
      use_remote_address: true,
      forward_client_cert_details: 'SANITIZE_SET',
      set_current_client_cert_details: {subject: true, dns: true, uri: true},
      upgrade_configs: [{upgrade_type: 'websocket'}],
      stream_idle_timeout: '0s',
      normalize_path: true,
      request_id_extension: {typed_config: typed('envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig', {use_request_id_for_trace_sampling: true})},
      path_with_escaped_slashes_action: 'KEEP_UNCHANGED',
    }),
  }
}

/** `credentialName` -> SDS resource: `kubernetes://NAME`, or as written for Gateway API's `kubernetes-gateway://NS/NAME`. */
function sdsResourceName(credentialName: string): string {
  return credentialName.startsWith('kubernetes-gateway://') ? credentialName : `kubernetes://${credentialName}`
}

function sdsConfig(name: string): Json {
  return {name, sds_config: ads}
}

function downstreamTls(server: GatewayServer): Json {
  const tls = server.tls!
  const credential = tls.credentialName ?? ''
  const resource = sdsResourceName(credential)
  const common: Json = {
    tls_params: {tls_minimum_protocol_version: tls.minProtocolVersion ?? 'TLSv1_2', tls_maximum_protocol_version: tls.maxProtocolVersion ?? 'TLSv1_3', ...(tls.cipherSuites?.length ? {cipher_suites: tls.cipherSuites} : {})},
    alpn_protocols: ['h2', 'http/1.1'],
    tls_certificate_sds_secret_configs: [sdsConfig(resource)],
  }
  const mutual = tls.mode === 'MUTUAL' || tls.mode === 'OPTIONAL_MUTUAL'
  if (mutual) {
    common.combined_validation_context = {
      default_validation_context: tls.subjectAltNames?.length ? {match_subject_alt_names: tls.subjectAltNames.map((exact) => ({exact}))} : {},
      validation_context_sds_secret_config: sdsConfig(`${resource}-cacert`),
    }
  }
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: typed('envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext', {common_tls_context: common, require_client_certificate: tls.mode === 'MUTUAL'}),
  }
}

function serverNames(server: GatewayServer): string[] {
  return server.hosts.map((h) => h.host).filter((h) => h !== '*')
}

/** A VirtualService `tls` route for a PASSTHROUGH server: SNI hosts -> tcp_proxy. */
function passthroughChains(world: MeshWorld, server: GatewayServer, delimited: boolean): {chains: Json[]; routes: BuiltListener['passthrough']} {
  const chains: Json[] = []
  const routes: BuiltListener['passthrough'] = []
  const serverHosts = server.hosts.map((h) => h.host)
  for (const vs of world.virtualServicesByGateway.get(server.gatewayKey) ?? []) {
    const ns = vs.metadata.namespace ?? 'default'
    for (const rule of arr(obj(vs.spec).tls).map(obj)) {
      for (const match of arr(rule.match).map(obj)) {
        const sni = arr(match.sniHosts).filter((h): h is string => typeof h === 'string').filter((h) => serverHosts.some((sh) => sh === '*' || sh === h || (sh.startsWith('*.') && h.endsWith(sh.slice(1)))))
        if (sni.length === 0) continue
        const clusters = arr(rule.route).map(obj).map((r) => {
          const d = obj(r.destination)
          const fqdn = resolveHost(str(d.host) ?? '', ns)
          const svc = world.services.get(fqdn)
          const port = num(obj(d.port).number) ?? (svc && svc.ports.length === 1 ? svc.ports[0]!.port : server.number)
          return {name: clusterName(port, str(d.subset) ?? '', fqdn), weight: num(r.weight) ?? (arr(rule.route).length === 1 ? 100 : 0)}
        })
        if (clusters.length === 0) continue
        routes.push({sni, clusters})
        const statPrefix = clusters.length === 1 ? clusters[0]!.name : `${server.targetPort}`
        chains.push({
          filter_chain_match: {server_names: sni, transport_protocol: 'tls'},
          filters: [{name: 'envoy.filters.network.tcp_proxy', typed_config: typed('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', {stat_prefix: delimited ? `${statPrefix};` : statPrefix, ...(clusters.length === 1 ? {cluster: clusters[0]!.name} : {weighted_clusters: {clusters: clusters.filter((c) => c.weight > 0)}}), max_connect_attempts: 5})}],
          metadata: {filter_metadata: {istio: {config: `/apis/networking.istio.io/v1alpha3/namespaces/${ns}/virtual-service/${vs.metadata.name}`}}},
        })
      }
    }
  }
  return {chains, routes}
}

export function buildListeners(world: MeshWorld, servers: GatewayServer[], delimited: boolean): BuiltListener[] {
  const byPort = new Map<number, GatewayServer[]>()
  for (const s of servers) byPort.set(s.targetPort, [...(byPort.get(s.targetPort) ?? []), s])
  const listeners: BuiltListener[] = []
  for (const [port, onPort] of [...byPort].sort((a, b) => a[0] - b[0])) {
    const name = `0.0.0.0_${port}`
    const chains: Json[] = []
    const secrets: string[] = []
    const statPrefixes = new Map<string, string>()
    const passthrough: BuiltListener['passthrough'] = []
    let tlsInspector = false
    const httpServers = onPort.filter((s) => isHttpProtocol(s.protocol))
    if (httpServers.length > 0) {
      const statPrefix = `outbound_${name}${delimited ? ';' : ''}`
      statPrefixes.set(`http.${port}`, statPrefix)
      chains.push({filters: [httpConnectionManager(`http.${port}`, statPrefix)], name: name})
    }
    for (const server of onPort.filter((s) => terminatesTls(s))) {
      tlsInspector = true
      const routeName = server.routeName!
      const statPrefix = `${server.name ?? routeName}${delimited ? ';' : ''}`
      statPrefixes.set(routeName, statPrefix)
      const names = serverNames(server)
      const chain: Json = {filter_chain_match: names.length > 0 ? {server_names: names} : {}, filters: [httpConnectionManager(routeName, statPrefix)]}
      if (server.tls?.credentialName) {
        chain.transport_socket = downstreamTls(server)
        secrets.push(sdsResourceName(server.tls.credentialName))
        if (server.tls.mode === 'MUTUAL' || server.tls.mode === 'OPTIONAL_MUTUAL') secrets.push(`${sdsResourceName(server.tls.credentialName)}-cacert`)
      }
      chain.name = routeName
      chains.push(chain)
    }
    for (const server of onPort.filter((s) => !isHttpProtocol(s.protocol) && !terminatesTls(s))) {
      tlsInspector = tlsInspector || server.protocol === 'TLS' || server.protocol === 'HTTPS'
      const built = passthroughChains(world, server, delimited)
      chains.push(...built.chains)
      passthrough.push(...built.routes)
    }
    // istiod omits a listener with no filter chains ("omitting listener due to no filter chains").
    if (chains.length === 0) continue
    const json: Json = {
      '@type': 'type.googleapis.com/envoy.config.listener.v3.Listener',
      name,
      address: {socket_address: {address: '0.0.0.0', port_value: port}},
      filter_chains: chains,
      ...(tlsInspector ? {listener_filters: [{name: 'envoy.filters.listener.tls_inspector', typed_config: typed('envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector')}]} : {}),
      traffic_direction: 'OUTBOUND',
      continue_on_listener_filters_timeout: true,
    }
    listeners.push({name, port, json, secrets: [...new Set(secrets)], statPrefixes, passthrough})
  }
  return listeners
}
