import type {StoredObject} from '../../mesh-contract.ts'
import {arr, num, obj, resolveHost, str, type MeshWorld} from '../world.ts'
import type {GatewayServer, ServerHost} from './servers.ts'

/**
 * RDS for a gateway: one RouteConfiguration per HTTP port (`http.<targetPort>`) and per terminated
 * HTTPS server (`https.<port>.<portName>.<gw>.<ns>`), one virtual host per VirtualService host bound
 * to the server's Gateway (pilot/pkg/networking/core/gateway.go buildGatewayHTTPRouteConfig).
 */

type Json = Record<string, unknown>

export const vsConfigPath = (ns: string, name: string) => `/apis/networking.istio.io/v1alpha3/namespaces/${ns}/virtual-service/${name}`
export const clusterName = (port: number, subset: string, fqdn: string) => `outbound|${port}|${subset}|${fqdn}`

const defaultRetry = {
  retry_on: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
  num_retries: 2,
  retry_host_predicate: [{name: 'envoy.retry_host_predicates.previous_hosts', typed_config: {'@type': 'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate'}}],
  host_selection_retry_max_attempts: '5',
  retriable_status_codes: [503],
}

/** Istio durations ("1.5s", "300ms", "1m") -> protobuf JSON duration ("1.500s"). */
export function protoDuration(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value.trim())
  if (!m) return undefined
  const factor = {ms: 0.001, s: 1, m: 60, h: 3600}[m[2] as 'ms' | 's' | 'm' | 'h']
  const seconds = Number(m[1]) * factor
  return Number.isInteger(seconds) ? `${seconds}s` : `${seconds.toFixed(3).replace(/0+$/, '')}s`
}

/** Which of a VirtualService's hosts a server exposes: the narrower of the two when one is a wildcard. */
export function intersectHost(vsHost: string, gwHost: string): string | undefined {
  const vs = vsHost.toLowerCase()
  if (vs === gwHost) return vs
  if (gwHost === '*') return vs
  if (vs === '*') return gwHost
  if (gwHost.startsWith('*.') && vs.endsWith(gwHost.slice(1))) return vs
  if (vs.startsWith('*.') && gwHost.endsWith(vs.slice(1))) return gwHost
  return undefined
}

function stringMatch(value: unknown): Json | undefined {
  const m = obj(value)
  if (typeof m.exact === 'string') return {exact: m.exact}
  if (typeof m.prefix === 'string') return {prefix: m.prefix}
  if (typeof m.regex === 'string') return {safe_regex: {regex: m.regex}}
  return undefined
}

function routeMatch(match: Json, gatewaySemantics = false): Json {
  const out: Json = {}
  const uri = obj(match.uri)
  if (typeof uri.exact === 'string') out.path = uri.exact
  // Gateway API prefixes match whole path segments (route.go TranslateRouteMatch).
  else if (typeof uri.prefix === 'string' && gatewaySemantics && uri.prefix !== '/') out.path_separated_prefix = uri.prefix.replace(/\/+$/, '')
  else if (typeof uri.prefix === 'string') out.prefix = uri.prefix
  else if (typeof uri.regex === 'string') out.safe_regex = {regex: uri.regex}
  else out.prefix = '/'
  out.case_sensitive = match.ignoreUriCase !== true
  const headers: Json[] = []
  for (const [name, value] of Object.entries(obj(match.headers))) {
    const sm = stringMatch(value)
    headers.push(sm ? {name: name.toLowerCase(), string_match: sm} : {name: name.toLowerCase(), present_match: true})
  }
  for (const [field, header] of [['method', ':method'], ['authority', ':authority'], ['scheme', ':scheme']] as const) {
    const sm = stringMatch(match[field])
    if (sm) headers.push({name: header, string_match: sm})
  }
  if (headers.length > 0) out.headers = headers
  const query = Object.entries(obj(match.queryParams)).map(([name, value]) => {
    const sm = stringMatch(value)
    return sm ? {name, string_match: sm} : {name, present_match: true}
  })
  if (query.length > 0) out.query_parameters = query
  return out
}

function isCatchAll(route: Json): boolean {
  const match = obj(route.match)
  return match.prefix === '/' && match.headers === undefined && match.query_parameters === undefined
}

export interface Destination {
  fqdn: string
  port: number
  subset: string
  cluster: string
  weight: number
}

/** GetDestinationCluster: explicit port, else the service's only port, else the listener's port. */
function destinationCluster(world: MeshWorld, destination: Json, vsNamespace: string, listenerPort: number): Omit<Destination, 'weight'> {
  // A refused or unsupported Gateway API backend keeps its place with no destination (GetDestinationCluster).
  if (str(destination.host) === '') return {fqdn: '', port: 0, subset: '', cluster: 'UnknownService'}
  const fqdn = resolveHost(str(destination.host) ?? '', vsNamespace)
  const svc = world.services.get(fqdn)
  const port = num(obj(destination.port).number) ?? (svc && svc.ports.length === 1 ? svc.ports[0]!.port : listenerPort)
  const subset = str(destination.subset) ?? ''
  return {fqdn, port, subset, cluster: clusterName(port, subset, fqdn)}
}

function headerOps(value: unknown): {add: Json[]; remove: string[]} {
  const ops = obj(value)
  const add: Json[] = []
  for (const [key, v] of Object.entries(obj(ops.set))) add.push({header: {key, value: String(v)}, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD'})
  for (const [key, v] of Object.entries(obj(ops.add))) add.push({header: {key, value: String(v)}, append_action: 'APPEND_IF_EXISTS_OR_ADD'})
  return {add, remove: arr(ops.remove).filter((r): r is string => typeof r === 'string')}
}

function retryPolicy(retries: unknown): Json | undefined {
  if (retries === undefined) return defaultRetry
  const r = obj(retries)
  const attempts = num(r.attempts) ?? 2
  if (attempts === 0) return undefined
  const policy: Json = {...defaultRetry, num_retries: attempts}
  if (typeof r.retryOn === 'string') {
    const parts = r.retryOn.split(',').map((p) => p.trim()).filter(Boolean)
    const codes = parts.filter((p) => /^\d+$/.test(p)).map(Number)
    const conditions = parts.filter((p) => !/^\d+$/.test(p))
    if (codes.length > 0 && !conditions.includes('retriable-status-codes')) conditions.push('retriable-status-codes')
    policy.retry_on = conditions.join(',')
    if (codes.length > 0) policy.retriable_status_codes = codes
    else delete policy.retriable_status_codes
  }
  const perTry = protoDuration(r.perTryTimeout)
  if (perTry) policy.per_try_timeout = perTry
  return policy
}

/** Istio percentages (0-100, double) become Envoy FractionalPercent per million; absent means 100%. */
function fractionalPercent(percentage: unknown): Json {
  const value = num(obj(percentage).value) ?? (typeof obj(percentage).value === 'number' ? (obj(percentage).value as number) : 100)
  return {numerator: Math.round(value * 10000), denominator: 'MILLION'}
}

/** VirtualService http[].fault -> the route's envoy.filters.http.fault config (pilot/pkg/networking/core/route/route.go translateFault). */
function faultFilterConfig(value: unknown): Json | undefined {
  const fault = obj(value)
  const delay = obj(fault.delay)
  const abort = obj(fault.abort)
  if (Object.keys(delay).length === 0 && Object.keys(abort).length === 0) return undefined
  const out: Json = {'@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault'}
  const fixed = protoDuration(delay.fixedDelay)
  if (fixed) out.delay = {fixed_delay: fixed, percentage: fractionalPercent(delay.percentage)}
  const status = num(abort.httpStatus)
  if (status !== undefined) out.abort = {http_status: status, percentage: fractionalPercent(abort.percentage)}
  return out.delay || out.abort ? out : undefined
}

/** One Envoy route per HTTP match of a VirtualService rule (Istio expands matches into routes). */
export function translateHttpRoutes(world: MeshWorld, vs: StoredObject, listenerPort: number): Json[] {
  const ns = vs.metadata.namespace ?? 'default'
  const gatewaySemantics = vs.metadata.annotations?.['internal.istio.io/route-semantics'] === 'gateway'
  const routes: Json[] = []
  for (const rule of arr(obj(vs.spec).http).map(obj)) {
    const matches = arr(rule.match).map(obj)
    for (const match of matches.length > 0 ? matches : [{}]) {
      const route: Json = {match: routeMatch(match, gatewaySemantics)}
      const ruleName = str(rule.name)
      const matchName = str(match.name)
      if (ruleName || matchName) route.name = [ruleName, matchName].filter(Boolean).join('.')
      const redirect = obj(rule.redirect)
      const direct = obj(rule.directResponse)
      if (Object.keys(redirect).length > 0) {
        const r: Json = {}
        if (typeof redirect.uri === 'string') r.path_redirect = redirect.uri
        if (typeof redirect.authority === 'string') r.host_redirect = redirect.authority
        if (typeof redirect.scheme === 'string') r.scheme_redirect = redirect.scheme
        if (num(redirect.port) !== undefined) r.port_redirect = num(redirect.port)
        else if (redirect.derivePort === 'FROM_REQUEST_PORT') r.port_redirect = listenerPort
        const code = num(redirect.redirectCode) ?? 301
        const codes: Record<number, string> = {301: 'MOVED_PERMANENTLY', 302: 'FOUND', 303: 'SEE_OTHER', 307: 'TEMPORARY_REDIRECT', 308: 'PERMANENT_REDIRECT'}
        if (code !== 301) r.response_code = codes[code] ?? 'MOVED_PERMANENTLY'
        route.redirect = r
      } else if (Object.keys(direct).length > 0) {
        const body = obj(direct.body)
        route.direct_response = {status: num(direct.status) ?? 200, ...(typeof body.string === 'string' ? {body: {inline_string: body.string}} : {})}
      } else {
        const dests = arr(rule.route).map(obj).map((d) => ({...destinationCluster(world, obj(d.destination), ns, listenerPort), weight: num(d.weight) ?? (arr(rule.route).length === 1 ? 100 : 0)}))
        const weighted = dests.filter((d) => d.weight > 0)
        const action: Json = {}
        // istiod collapses a split with a single non-zero weight into a plain cluster.
        if (dests.length === 1) action.cluster = dests[0]!.cluster
        else if (weighted.length === 1) action.cluster = weighted[0]!.cluster
        else action.weighted_clusters = {clusters: weighted.map((d) => ({name: d.cluster, weight: d.weight}))}
        action.timeout = protoDuration(rule.timeout) ?? '0s'
        if (gatewaySemantics) action.cluster_not_found_response_code = 'INTERNAL_SERVER_ERROR'
        const rewrite = obj(rule.rewrite)
        const matchedPrefix = obj(match.uri).prefix
        // Gateway semantics: replacing a prefix with "/" strips it without leaving "//".
        if (gatewaySemantics && rewrite.uri === '/' && typeof matchedPrefix === 'string' && matchedPrefix !== '/') action.regex_rewrite = {pattern: {regex: `^${matchedPrefix.replace(/\/+$/, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\/*`}, substitution: '/'}
        else if (typeof rewrite.uri === 'string') action.prefix_rewrite = rewrite.uri
        const regexRewrite = obj(rewrite.uriRegexRewrite)
        if (typeof regexRewrite.match === 'string') action.regex_rewrite = {pattern: {regex: regexRewrite.match}, substitution: str(regexRewrite.rewrite) ?? ''}
        if (typeof rewrite.authority === 'string') action.host_rewrite_literal = rewrite.authority
        const retry = retryPolicy(rule.retries)
        if (retry) action.retry_policy = retry
        const mirrors = [...(rule.mirror ? [{destination: rule.mirror, percentage: rule.mirrorPercentage}] : []), ...arr(rule.mirrors).map(obj)]
        if (mirrors.length > 0) {
          action.request_mirror_policies = mirrors.map((m) => ({
            cluster: destinationCluster(world, obj(m.destination), ns, listenerPort).cluster,
            runtime_fraction: {default_value: fractionalPercent(m.percentage)},
            trace_sampled: false,
          }))
        }
        action.max_stream_duration = {max_stream_duration: '0s', grpc_timeout_header_max: '0s'}
        route.route = action
        const first = dests[0]
        if (first) {
          const m = obj(route.match)
          const path = typeof m.path === 'string' ? m.path : typeof m.prefix === 'string' ? `${m.prefix === '/' ? '/' : m.prefix}*` : '*'
          route.decorator = {operation: `${first.fqdn}:${first.port}${path.startsWith('/') ? path : `/${path}`}`}
        }
      }
      const headers = obj(rule.headers)
      const response = headerOps(headers.response)
      const request = headerOps(headers.request)
      if (request.add.length > 0) route.request_headers_to_add = request.add
      if (request.remove.length > 0) route.request_headers_to_remove = request.remove
      if (response.add.length > 0) route.response_headers_to_add = response.add
      if (response.remove.length > 0) route.response_headers_to_remove = response.remove
      const fault = faultFilterConfig(rule.fault)
      if (fault && route.route) route.typed_per_filter_config = {'envoy.filters.http.fault': fault}
      route.metadata = {filter_metadata: {istio: {config: vsConfigPath(ns, vs.metadata.name)}}}
      routes.push(route)
    }
  }
  return routes
}

/** The server hosts a VirtualService may bind: namespace-scoped hosts only admit VirtualServices from that namespace. */
function boundHosts(vs: StoredObject, serverHosts: ServerHost[]): string[] {
  const ns = vs.metadata.namespace ?? 'default'
  const out: string[] = []
  for (const vsHost of arr(obj(vs.spec).hosts)) {
    if (typeof vsHost !== 'string') continue
    for (const sh of serverHosts) {
      if (sh.namespace !== '*' && sh.namespace !== ns) continue
      const host = intersectHost(vsHost, sh.host)
      if (host && !out.includes(host)) out.push(host)
    }
  }
  return out
}

function vhostDomains(host: string): string[] {
  return host === '*' ? ['*'] : [host, `${host}:*`]
}

export interface RouteBuild {
  config: Json
  /** Hosts clients send to this route config's servers (for the traffic simulator). */
  serverHosts: string[]
}

/** Builds one RouteConfiguration for the servers sharing a route name. */
export function buildRouteConfig(world: MeshWorld, name: string, servers: GatewayServer[]): RouteBuild {
  const vhosts = new Map<string, Json>()
  for (const server of servers) {
    const port = server.number
    for (const vs of world.virtualServicesByGateway.get(server.gatewayKey) ?? []) {
      const hosts = boundHosts(vs, server.hosts)
      if (hosts.length === 0) continue
      const routes = translateHttpRoutes(world, vs, port)
      for (const host of hosts) {
        const key = `${host}:${port}`
        const existing = vhosts.get(key)
        if (existing) {
          const merged = [...(existing.routes as Json[]), ...routes]
          existing.routes = [...merged.filter((r) => !isCatchAll(r)), ...merged.filter(isCatchAll)]
          continue
        }
        const vhost: Json = {name: key, domains: vhostDomains(host), routes: [...routes], include_request_attempt_count: true}
        if (server.tls?.httpsRedirect) vhost.require_tls = 'ALL'
        vhosts.set(key, vhost)
      }
    }
    // An httpsRedirect server redirects its hosts even when no VirtualService binds them.
    if (server.tls?.httpsRedirect) {
      for (const h of server.hosts) {
        const key = `${h.host}:${port}`
        if (!vhosts.has(key)) vhosts.set(key, {name: key, domains: vhostDomains(h.host), routes: [], include_request_attempt_count: true, require_tls: 'ALL'})
      }
    }
  }
  let virtualHosts = [...vhosts.values()]
  if (virtualHosts.length === 0) {
    // istiod: "constructed http route config ... with no vhosts; Setting up a default 404 vhost"
    virtualHosts = [{name: `blackhole:${servers[0]?.number ?? 0}`, domains: ['*'], routes: [], include_request_attempt_count: true}]
  }
  return {
    config: {'@type': 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration', name, virtual_hosts: virtualHosts, validate_clusters: false, max_direct_response_body_size_bytes: 1048576, ignore_port_in_host_matching: true},
    serverHosts: [...new Set(servers.flatMap((s) => s.hosts.map((h) => h.host)))],
  }
}
