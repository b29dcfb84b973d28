import {X509Certificate} from 'node:crypto'
import type {PodHttpRequest, PodHttpResponse} from '../../mesh-contract.ts'
import type {BuiltCluster} from '../istiod/clusters.ts'
import {obj} from '../world.ts'
import {ConfigDumpError, renderConfigDump} from './config-dump.ts'
import {proxySha, type SimulatedProxy} from './proxy.ts'

/**
 * Envoy's admin API (docs/root/operations/admin.rst) on port 15000 of a simulated proxy:
 * config_dump, stats (text, json, prometheus), clusters, listeners, server_info, ready, certs.
 */

type Json = Record<string, unknown>

const json = (status: number, body: unknown): PodHttpResponse => ({status, headers: {'content-type': 'application/json'}, body: `${JSON.stringify(body, null, 2)}\n`})
/**
 * A real Envoy answers /config_dump from config it already holds, in a fraction of a second; the
 * simulation would otherwise rebuild and re-serialize tens of MB per request. The rendered answer is
 * kept per proxy for its current push (config, bootstrap, version) and query; a new push renders anew.
 */
const renderedDumps = new WeakMap<SimulatedProxy, {config: object; bootstrap: object; version: string; answers: Map<string, PodHttpResponse>}>()
const maxCachedQueries = 8

function configDumpAnswer(proxy: SimulatedProxy, query: URLSearchParams): PodHttpResponse {
  const ctx = proxy.dumpContext()
  let cache = renderedDumps.get(proxy)
  if (!cache || cache.config !== ctx.config || cache.bootstrap !== ctx.bootstrap || cache.version !== ctx.version) {
    cache = {config: ctx.config, bootstrap: ctx.bootstrap, version: ctx.version, answers: new Map()}
    renderedDumps.set(proxy, cache)
  }
  const key = query.toString()
  let answer = cache.answers.get(key)
  if (!answer) {
    const rendered = json(200, renderConfigDump(ctx, query))
    answer = {...rendered, body: Buffer.from(rendered.body)}
    if (cache.answers.size >= maxCachedQueries) cache.answers.delete(cache.answers.keys().next().value as string)
    cache.answers.set(key, answer)
  }
  return {...answer, headers: {...answer.headers}}
}

const text = (status: number, body: string): PodHttpResponse => ({status, headers: {'content-type': 'text/plain; charset=UTF-8'}, body})

export interface HostHealth {
  /** `/failed_outlier_check` etc., or '' for healthy. */
  flags(cluster: BuiltCluster, address: string): string
  counters(cluster: BuiltCluster, address: string): {rq_total: number; rq_success: number; rq_error: number; cx_total: number}
}

function statsFilter(query: URLSearchParams): RegExp | undefined {
  const filter = query.get('filter')
  if (!filter) return undefined
  try {
    return new RegExp(filter)
  } catch {
    throw new ConfigDumpError(`Invalid re2 regex: ${filter}`)
  }
}

function uptimeSeconds(proxy: SimulatedProxy, now: Date): number {
  return Math.max(0, Math.floor((now.getTime() - proxy.identity.startedAt.getTime()) / 1000))
}

function serverInfo(proxy: SimulatedProxy, now: Date): Json {
  const uptime = `${uptimeSeconds(proxy, now)}s`
  return {
    version: `${proxySha}/${proxy.identity.envoyVersion}-dev/Clean/RELEASE/BoringSSL`,
    state: 'LIVE',
    hot_restart_version: 'disabled',
    command_line_options: {
      base_id: '0',
      concurrency: 2,
      config_path: 'etc/istio/proxy/envoy-rev.json',
      admin_address_path: '',
      local_address_ip_version: 'v4',
      log_level: 'warning',
      component_log_level: 'misc:error',
      service_cluster: (obj(proxy.bootstrap.node).cluster as string) ?? '',
      service_node: (obj(proxy.bootstrap.node).id as string) ?? '',
      drain_time: '45s',
      parent_shutdown_time: '60s',
      mode: 'Serve',
      drain_strategy: 'Immediate',
    },
    node: proxy.bootstrap.node,
    uptime_current_epoch: uptime,
    uptime_all_epochs: uptime,
  }
}

function clusterLines(proxy: SimulatedProxy, health: HostHealth): {text: string; json: Json} {
  const config = proxy.config!
  const statics = ((obj(proxy.bootstrap.static_resources).clusters as Json[]) ?? []).map((c) => ({name: String(c.name), dynamic: false, built: undefined as BuiltCluster | undefined}))
  const all = [...statics, ...config.clusters.map((c) => ({name: c.name, dynamic: true, built: c as BuiltCluster | undefined}))]
  const lines: string[] = []
  const statuses: Json[] = []
  for (const c of all) {
    const thresholds = obj((obj(c.built?.json.circuit_breakers).thresholds as Json[] | undefined)?.[0])
    const maxOf = (k: string, d: number) => (typeof thresholds[k] === 'number' ? (thresholds[k] as number) : d)
    lines.push(`${c.name}::observability_name::${c.name}`)
    for (const [k, d] of [['max_connections', 1024], ['max_pending_requests', 1024], ['max_requests', 1024], ['max_retries', 3]] as const) {
      lines.push(`${c.name}::default_priority::${k}::${maxOf(k, d)}`)
    }
    for (const [k, d] of [['max_connections', 1024], ['max_pending_requests', 1024], ['max_requests', 1024], ['max_retries', 3]] as const) lines.push(`${c.name}::high_priority::${k}::${d}`)
    lines.push(`${c.name}::added_via_api::${c.dynamic}`)
    if (c.built?.json.type === 'EDS') lines.push(`${c.name}::eds_service_name::${c.name}`)
    const hosts: Json[] = []
    for (const e of c.built?.endpoints ?? []) {
      const addr = `${e.address}:${e.port}`
      const counters = health.counters(c.built!, addr)
      const flags = health.flags(c.built!, addr)
      for (const [k, v] of [['cx_active', 0], ['cx_connect_fail', 0], ['cx_total', counters.cx_total], ['rq_active', 0], ['rq_error', counters.rq_error], ['rq_success', counters.rq_success], ['rq_timeout', 0], ['rq_total', counters.rq_total]] as const) {
        lines.push(`${c.name}::${addr}::${k}::${v}`)
      }
      lines.push(`${c.name}::${addr}::hostname::`)
      lines.push(`${c.name}::${addr}::health_flags::${flags || 'healthy'}`)
      lines.push(`${c.name}::${addr}::weight::1`)
      lines.push(`${c.name}::${addr}::region::`)
      lines.push(`${c.name}::${addr}::zone::`)
      lines.push(`${c.name}::${addr}::sub_zone::`)
      lines.push(`${c.name}::${addr}::canary::false`)
      lines.push(`${c.name}::${addr}::priority::0`)
      lines.push(`${c.name}::${addr}::success_rate::-1`)
      lines.push(`${c.name}::${addr}::local_origin_success_rate::-1`)
      const healthStatus: Json = {eds_health_status: 'HEALTHY'}
      if (flags.includes('/failed_outlier_check')) healthStatus.failed_outlier_check = true
      hosts.push({
        address: {socket_address: {address: e.address, port_value: e.port}},
        stats: [
          {name: 'cx_connect_fail', value: '0'},
          {name: 'cx_total', value: String(counters.cx_total)},
          {name: 'rq_error', value: String(counters.rq_error)},
          {name: 'rq_success', value: String(counters.rq_success)},
          {name: 'rq_timeout', value: '0'},
          {name: 'rq_total', value: String(counters.rq_total)},
          {type: 'GAUGE', name: 'cx_active', value: '0'},
          {type: 'GAUGE', name: 'rq_active', value: '0'},
        ],
        health_status: healthStatus,
        weight: 1,
        locality: {},
      })
    }
    const status: Json = {
      name: c.name,
      added_via_api: c.dynamic,
      host_statuses: hosts,
      circuit_breakers: {thresholds: [{max_connections: maxOf('max_connections', 1024), max_pending_requests: maxOf('max_pending_requests', 1024), max_requests: maxOf('max_requests', 1024), max_retries: maxOf('max_retries', 3)}, {priority: 'HIGH', max_connections: 1024, max_pending_requests: 1024, max_requests: 1024, max_retries: 3}]},
      observability_name: c.name,
    }
    if (c.built?.json.type === 'EDS') status.eds_service_name = c.name
    if (hosts.length === 0) delete status.host_statuses
    statuses.push(status)
  }
  return {text: `${lines.join('\n')}\n`, json: {cluster_statuses: statuses}}
}

function listeners(proxy: SimulatedProxy): {name: string; port: number}[] {
  const active = proxy.config!.listeners.filter((l) => !l.warming).map((l) => ({name: l.name, port: l.port}))
  return [...active, {name: '0.0.0.0_15090', port: 15090}, {name: '0.0.0.0_15021', port: 15021}]
}

function certs(proxy: SimulatedProxy, now: Date): Json {
  const certificates: Json[] = []
  for (const secret of proxy.config!.secrets.filter((s) => s.ok)) {
    const entry: Json = {ca_cert: [], cert_chain: []}
    for (const c of secret.certificates ?? []) {
      try {
        const x = new X509Certificate(c.pem)
        const detail = {
          path: '<inline>',
          serial_number: x.serialNumber.toLowerCase(),
          subject_alt_names: (x.subjectAltName ?? '').split(', ').filter(Boolean).map((s) => (s.startsWith('DNS:') ? {dns: s.slice(4)} : s.startsWith('URI:') ? {uri: s.slice(4)} : {ip_address: s.replace(/^IP Address:/, '')})),
          days_until_expiration: String(Math.max(0, Math.floor((new Date(x.validTo).getTime() - now.getTime()) / 86_400_000))),
          valid_from: new Date(x.validFrom).toISOString().replace('.000Z', 'Z'),
          expiration_time: new Date(x.validTo).toISOString().replace('.000Z', 'Z'),
        }
        ;(entry[c.kind === 'ca' ? 'ca_cert' : 'cert_chain'] as Json[]).push(detail)
      } catch {
        // istiod would not have pushed an unparsable certificate.
      }
    }
    certificates.push(entry)
  }
  return {certificates}
}

export function handleAdmin(proxy: SimulatedProxy, request: PodHttpRequest, now: Date, health: HostHealth): PodHttpResponse {
  if (request.method !== 'GET' && request.method !== 'HEAD' && request.method !== 'POST') return text(405, 'method not allowed\n')
  const q = request.query
  try {
    switch (request.path.replace(/\/+$/, '') || '/') {
      case '/config_dump':
        return configDumpAnswer(proxy, q)
      case '/stats': {
        const filter = statsFilter(q)
        const usedOnly = q.has('usedonly')
        if (q.get('format') === 'json') return json(200, proxy.stats.json({filter, usedOnly}))
        if (q.get('format') === 'prometheus') return text(200, proxy.stats.prometheus([], {filter, usedOnly}))
        return text(200, proxy.stats.text({filter, usedOnly}))
      }
      case '/stats/prometheus':
        return text(200, proxy.stats.prometheus([], {filter: statsFilter(q), usedOnly: q.has('usedonly')}))
      case '/clusters': {
        const rendered = clusterLines(proxy, health)
        return q.get('format') === 'json' ? json(200, rendered.json) : text(200, rendered.text)
      }
      case '/listeners': {
        const ls = listeners(proxy)
        if (q.get('format') === 'json') return json(200, {listener_statuses: ls.map((l) => ({name: l.name, local_address: {socket_address: {address: '0.0.0.0', port_value: l.port}}}))})
        return text(200, ls.map((l) => `${l.name}::0.0.0.0:${l.port}\n`).join(''))
      }
      case '/server_info':
        return json(200, serverInfo(proxy, now))
      case '/ready':
        return text(200, 'LIVE\n')
      case '/certs':
        return json(200, certs(proxy, now))
      case '/memory':
        return json(200, {allocated: '52428800', heap_size: '67108864', pageheap_unmapped: '0', pageheap_free: '0', total_thread_cache: '0', total_physical_bytes: '71303168'})
      case '/runtime':
        return json(200, {layers: ['global config', 'admin'], entries: {}})
      case '/':
        return text(200, 'admin commands are:\n  /certs\n  /clusters\n  /config_dump\n  /listeners\n  /memory\n  /ready\n  /runtime\n  /server_info\n  /stats\n  /stats/prometheus\n')
      default:
        return text(404, `invalid path. admin commands are:\n  /certs\n  /clusters\n  /config_dump\n  /listeners\n  /memory\n  /ready\n  /runtime\n  /server_info\n  /stats\n  /stats/prometheus\n`)
    }
  } catch (error) {
    if (error instanceof ConfigDumpError) return text(error.status, `${error.message}\n`)
    throw error
  }
}
