/** A synthetic Envoy config_dump of a chosen size, in the shape an Istio ingress gateway's has (for bench/doctor.ts). */

/** A config_dump of about `targetMb` MB in Envoy's shape: one big http.8080 route table, its clusters, listeners, secrets. */
export function bigConfigDump(targetMb: number): string {
  const sample = dumpWithHosts(1000).length
  return dumpWithHosts(Math.round((1000 * targetMb * 1024 * 1024) / sample))
}

function dumpWithHosts(count: number): string {
  const vhosts: object[] = []
  const clusters: object[] = []
  for (let i = 0; i < count; i++) {
    const host = `app-${i}.example.com`
    const cluster = `outbound|8080||svc-${i}.ns-${i % 50}.svc.cluster.local`
    const vhost = {
      name: `${host}:80`,
      domains: [host, `${host}:*`],
      routes: Array.from({length: 8}, (_, r) => ({
        match: {prefix: `/api/v${r}/`, case_sensitive: true, headers: [{name: 'x-tenant', string_match: {exact: `tenant-${r}`}}]},
        route: {weighted_clusters: {clusters: [{name: cluster, weight: 90}, {name: cluster.replace('||', '|canary|'), weight: 10}]}, timeout: '0s', retry_policy: {retry_on: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes', num_retries: 2}},
        metadata: {filter_metadata: {istio: {config: `/apis/networking.istio.io/v1/namespaces/ns-${i % 50}/virtual-service/vs-${i}`}}},
        decorator: {operation: `svc-${i}.ns-${i % 50}.svc.cluster.local:8080/api/v${r}/*`},
      })),
      include_request_attempt_count: true,
    }
    vhosts.push(vhost)
    for (const name of [cluster, cluster.replace('||', '|canary|')]) {
      clusters.push({version_info: '2026-12-01T00:00:00Z/7', cluster: {'@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster', name, type: 'EDS', eds_cluster_config: {eds_config: {ads: {}, initial_fetch_timeout: '0s', resource_api_version: 'V3'}, service_name: name}, connect_timeout: '10s', circuit_breakers: {thresholds: [{max_connections: 4294967295, max_pending_requests: 4294967295, max_requests: 4294967295, max_retries: 4294967295}]}}, last_updated: '2026-12-01T00:00:00Z'})
    }
  }
  const dump = {
    configs: [
      {'@type': 'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump', bootstrap: {node: {id: 'router~10.0.0.1~istio-ingressgateway-0.istio-system~istio-system.svc.cluster.local', metadata: {ISTIO_VERSION: '1.28.0'}}}},
      {'@type': 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump', dynamic_active_clusters: clusters},
      {
        '@type': 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump',
        dynamic_listeners: [{name: '0.0.0.0_8080', active_state: {version_info: 'v7', listener: {'@type': 'type.googleapis.com/envoy.config.listener.v3.Listener', name: '0.0.0.0_8080', address: {socket_address: {address: '0.0.0.0', port_value: 8080}}, filter_chains: [{filters: [{name: 'envoy.filters.network.http_connection_manager', typed_config: {'@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', rds: {route_config_name: 'http.8080'}}}]}]}}}],
      },
      {'@type': 'type.googleapis.com/envoy.admin.v3.RoutesConfigDump', dynamic_route_configs: [{version_info: 'v7', route_config: {name: 'http.8080', virtual_hosts: vhosts, validate_clusters: false}}]},
      {'@type': 'type.googleapis.com/envoy.admin.v3.SecretsConfigDump', dynamic_active_secrets: []},
    ],
  }
  return JSON.stringify(dump, null, 2)
}

