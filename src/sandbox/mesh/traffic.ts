import type {BuiltCluster, ClusterEndpoint} from './istiod/clusters.ts'
import type {SimulatedProxy} from './envoy/proxy.ts'
import {labelKey} from './envoy/stats.ts'
import {durationMs, matchVirtualHost} from './envoy/router.ts'
import {obj, type Labels, type MeshPod, type MeshWorld} from './world.ts'

/**
 * A steady simulated request stream through every route of every gateway proxy, played against the
 * proxy's own pushed config as Envoy would: vhost by Host, weighted cluster pick by the live weights,
 * 404 NR for hosts no vhost serves, 301 for require_tls, 503 NC for a route to a cluster that does not
 * exist, 503 UH for a cluster without endpoints, retries per retry_policy, 504 UT past the route
 * timeout, and the destination workload's fault (error rate, latency). Counts are per tick and
 * deterministic (fractional accumulators); latencies come from a seeded generator.
 */

type Json = Record<string, unknown>

export interface TrafficOptions {
  /** Requests per second per route (and per unbound host), per gateway pod. */
  requestsPerSecond: number
  seed: number
  /** Latency samples drawn per batch of requests (default 8); each stands for count/samples requests in the histograms. */
  latencySamples?: number
}

export interface Outcome {
  code: number
  flags: string
  cluster?: BuiltCluster
  pod?: MeshPod
  count: number
  durationMs: number
}

/** mulberry32: small, seeded, good enough for latencies. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export {matchVirtualHost} from './envoy/router.ts'

function concreteHost(host: string): string {
  if (host === '*') return 'sandbox.example'
  return host.startsWith('*.') ? `sandbox${host.slice(1)}` : host
}

function retryAttempts(policy: Json | undefined, code: number): number {
  if (!policy) return 1
  const on = String(policy.retry_on ?? '').split(',')
  const codes = (policy.retriable_status_codes as number[] | undefined) ?? []
  const retriable = on.includes('5xx') || (on.includes('gateway-error') && code >= 502 && code <= 504) || (on.includes('retriable-status-codes') && codes.includes(code))
  return retriable ? 1 + Number(policy.num_retries ?? 1) : 1
}

export function versionOf(pod: MeshPod): string {
  return pod.labels.version ?? pod.labels['app.kubernetes.io/version'] ?? 'unknown'
}

function appOf(pod: MeshPod): string {
  return pod.labels.app ?? pod.labels['app.kubernetes.io/name'] ?? 'unknown'
}

function canonicalService(pod: MeshPod, workload: string): string {
  return pod.labels['service.istio.io/canonical-name'] ?? pod.labels['app.kubernetes.io/name'] ?? pod.labels.app ?? workload
}

function canonicalRevision(pod: MeshPod): string {
  return pod.labels['service.istio.io/canonical-revision'] ?? pod.labels['app.kubernetes.io/version'] ?? pod.labels.version ?? 'latest'
}

function principal(pod: MeshPod): string {
  return `spiffe://cluster.local/ns/${pod.namespace}/sa/${String(obj(pod.object.spec).serviceAccountName ?? 'default')}`
}

export class TrafficSimulator {
  private readonly options: TrafficOptions
  private readonly random: () => number
  /** Fractional request carry per stream, so low rates still add up exactly over time. */
  private readonly carry = new Map<string, number>()
  /** Per proxy, per cluster::address request counters for /clusters. */
  readonly hostCounters = new Map<string, {rq_total: number; rq_success: number; rq_error: number; cx_total: number}>()
  /** Round-robin cursor per cluster. */
  private readonly cursor = new Map<string, number>()

  constructor(options: TrafficOptions) {
    this.options = options
    this.random = seededRandom(options.seed)
  }

  private take(key: string, amount: number): number {
    const total = (this.carry.get(key) ?? 0) + amount
    const whole = Math.floor(total + 1e-9)
    this.carry.set(key, total - whole)
    return whole
  }

  /** Envoy outlier detection: a host failing most requests is ejected (at least one host may be). */
  outlierFlags(world: MeshWorld, cluster: BuiltCluster, address: string): string {
    const od = obj(cluster.json.outlier_detection)
    if (od.consecutive_5xx === undefined && od.consecutive_gateway_failure === undefined) return ''
    const failing = cluster.endpoints.filter((e) => e.pod && world.workloadOf(e.pod).fault.errorRate >= 0.5)
    const max = Math.max(1, Math.floor((cluster.endpoints.length * Number(od.max_ejection_percent ?? 10)) / 100))
    const ejected = failing.slice(0, max).map((e) => `${e.address}:${e.port}`)
    return ejected.includes(address) ? '/failed_outlier_check' : ''
  }

  private baseLatency(): number {
    // log-normal around 8 ms: most requests fast, a tail into the tens of ms.
    const u = Math.max(1e-9, this.random())
    const v = this.random()
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
    return Math.max(0.3, 8 * Math.exp(0.5 * z))
  }

  /** Runs `seconds` of traffic through every gateway proxy. */
  run(world: MeshWorld, proxies: SimulatedProxy[], sidecars: Map<string, SimulatedProxy>, seconds: number): void {
    // Labels depend on pod labels and workloads: a new world (any change) starts a fresh cache.
    if (this.labelWorld !== world) {
      this.labelCache.clear()
      this.labelWorld = world
    }
    for (const proxy of proxies) {
      const config = proxy.config
      if (!config || !proxy.pod.isGateway) continue
      for (const listener of config.listeners) {
        if (listener.warming) continue
        for (const [routeName, statPrefix] of listener.statPrefixes) {
          const route = config.routes.get(routeName)
          if (!route) continue
          this.runRouteConfig(world, proxy, sidecars, listener.name, statPrefix, routeName, route.config, route.serverHosts, seconds)
        }
      }
    }
  }

  private runRouteConfig(world: MeshWorld, proxy: SimulatedProxy, sidecars: Map<string, SimulatedProxy>, listenerName: string, statPrefix: string, routeName: string, config: Json, serverHosts: string[], seconds: number): void {
    const prefix = statPrefix.replace(/;$/, '')
    const vhosts = (config.virtual_hosts as Json[]) ?? []
    const rate = this.options.requestsPerSecond * seconds
    const streamBase = `${proxy.pod.namespace}/${proxy.pod.name}|${routeName}`
    for (const {host, concrete, vhost} of this.unservedHosts(config, vhosts, serverHosts)) {
      const n = this.take(`${streamBase}|host:${host}`, rate)
      if (n === 0) continue
      if (vhost?.require_tls) {
        this.record(world, proxy, prefix, listenerName, concrete, {code: 301, flags: '-', count: n, durationMs: 0.2})
        proxy.stats.inc('http', prefix, 'rq_redirect', n)
      } else {
        this.record(world, proxy, prefix, listenerName, concrete, {code: 404, flags: 'NR', count: n, durationMs: 0.1})
        proxy.stats.inc('http', prefix, 'no_route', n)
      }
    }
    for (const vhost of vhosts) {
      const host = concreteHost(String((vhost.domains as string[])[0] ?? '*'))
      ;((vhost.routes as Json[]) ?? []).forEach((route, index) => {
        const n = this.take(`${streamBase}|${vhost.name}|${index}`, rate)
        if (n === 0) return
        if (vhost.require_tls) {
          this.record(world, proxy, prefix, listenerName, host, {code: 301, flags: '-', count: n, durationMs: 0.2})
          proxy.stats.inc('http', prefix, 'rq_redirect', n)
          return
        }
        if (route.redirect) {
          const code = {FOUND: 302, SEE_OTHER: 303, TEMPORARY_REDIRECT: 307, PERMANENT_REDIRECT: 308}[String(obj(route.redirect).response_code)] ?? 301
          this.record(world, proxy, prefix, listenerName, host, {code, flags: '-', count: n, durationMs: 0.2})
          proxy.stats.inc('http', prefix, 'rq_redirect', n)
          return
        }
        if (route.direct_response) {
          this.record(world, proxy, prefix, listenerName, host, {code: Number(obj(route.direct_response).status ?? 200), flags: '-', count: n, durationMs: 0.2})
          proxy.stats.inc('http', prefix, 'rq_direct_response', n)
          return
        }
        const action = obj(route.route)
        // Istio fault injection on the route: aborted requests never reach a cluster (FI), delayed ones carry DI.
        const injected = obj(obj(route.typed_per_filter_config)['envoy.filters.http.fault'])
        const abort = obj(injected.abort)
        const delay = obj(injected.delay)
        const share = (p: unknown) => Number(obj(p).numerator ?? 0) / 1_000_000
        let forwarded = n
        if (abort.http_status !== undefined) {
          const aborted = Math.min(forwarded, this.take(`${streamBase}|${vhost.name}|${index}|abort`, n * share(abort.percentage)))
          if (aborted > 0) this.record(world, proxy, prefix, listenerName, host, {code: Number(abort.http_status), flags: 'FI', count: aborted, durationMs: 0.2})
          forwarded -= aborted
        }
        const delayMs = delay.fixed_delay ? durationMs(delay.fixed_delay) : 0
        const delayed = delayMs > 0 ? Math.min(forwarded, this.take(`${streamBase}|${vhost.name}|${index}|delay`, forwarded * share(delay.percentage))) : 0
        const weighted = (obj(action.weighted_clusters).clusters as {name: string; weight: number}[] | undefined) ?? [{name: String(action.cluster), weight: 1}]
        const total = weighted.reduce((s, c) => s + c.weight, 0)
        if (total <= 0) return
        weighted.forEach((w) => {
          const picked = this.take(`${streamBase}|${vhost.name}|${index}|${w.name}`, (forwarded * w.weight) / total)
          const slow = Math.min(picked, Math.round((delayed * w.weight) / total))
          if (picked - slow > 0) this.toCluster(world, proxy, sidecars, prefix, listenerName, host, w.name, action, picked - slow)
          if (slow > 0) this.toCluster(world, proxy, sidecars, prefix, listenerName, host, w.name, action, slow, delayMs)
        })
      })
    }
  }

  private readonly unserved = new WeakMap<Json, {host: string; concrete: string; vhost: Json | undefined}[]>()

  /** Hosts clients ask for that no vhost serves (404 NR) or only redirects; wildcard servers count only when nothing is bound under them. Computed once per pushed route config. */
  private unservedHosts(config: Json, vhosts: Json[], serverHosts: string[]): {host: string; concrete: string; vhost: Json | undefined}[] {
    const cached = this.unserved.get(config)
    if (cached) return cached
    const domains = new Set(vhosts.filter((v) => !String(v.name).startsWith('blackhole:')).flatMap((v) => (v.domains as string[]) ?? []))
    // Every ".suffix" of a bound domain, so a wildcard server host asks one set lookup, not a scan.
    const suffixes = new Set<string>()
    for (const d of domains) for (let i = d.indexOf('.'); i >= 0; i = d.indexOf('.', i + 1)) suffixes.add(d.slice(i))
    const out: {host: string; concrete: string; vhost: Json | undefined}[] = []
    for (const host of serverHosts) {
      if (host === '*' ? domains.size > 0 : host.startsWith('*.') && (suffixes.has(host.slice(1)) || suffixes.has(`${host.slice(1)}:*`))) continue
      const concrete = concreteHost(host)
      const vhost = domains.has(concrete) ? vhosts.find((v) => ((v.domains as string[]) ?? []).includes(concrete)) : matchVirtualHost(vhosts, concrete)
      if (vhost && !String(vhost.name).startsWith('blackhole:') && !(vhost.require_tls && ((vhost.routes as Json[]) ?? []).length === 0)) continue
      out.push({host, concrete, vhost})
    }
    this.unserved.set(config, out)
    return out
  }

  private toCluster(world: MeshWorld, proxy: SimulatedProxy, sidecars: Map<string, SimulatedProxy>, prefix: string, listenerName: string, host: string, clusterName: string, action: Json, n: number, injectedDelayMs = 0): void {
    const config = proxy.config!
    const cluster = config.clustersByName.get(clusterName)
    if (!cluster) {
      this.record(world, proxy, prefix, listenerName, host, {code: 503, flags: 'NC', count: n, durationMs: 0.1})
      proxy.stats.inc('http', prefix, 'no_cluster', n)
      return
    }
    const healthy = cluster.endpoints.filter((e) => this.outlierFlags(world, cluster, `${e.address}:${e.port}`) === '')
    const usable = healthy.length > 0 ? healthy : cluster.endpoints
    if (usable.length === 0) {
      this.record(world, proxy, prefix, listenerName, host, {code: 503, flags: 'UH', cluster, count: n, durationMs: 0.2})
      proxy.stats.inc('cluster', cluster.name, 'upstream_cx_none_healthy', n)
      return
    }
    const timeoutMs = durationMs(action.timeout)
    const policy = action.retry_policy as Json | undefined
    // Spread n requests round-robin over the endpoints.
    const start = this.cursor.get(cluster.name) ?? 0
    this.cursor.set(cluster.name, (start + n) % usable.length)
    usable.forEach((endpoint, i) => {
      const count = Math.floor(n / usable.length) + ((i - start + usable.length) % usable.length < n % usable.length ? 1 : 0)
      if (count > 0) this.toEndpoint(world, proxy, sidecars, prefix, listenerName, host, cluster, endpoint, count, timeoutMs, policy, injectedDelayMs)
    })
  }

  /** `count` requests to one endpoint: its workload's fault, the route's retries and timeout decide the outcome. */
  private toEndpoint(world: MeshWorld, proxy: SimulatedProxy, sidecars: Map<string, SimulatedProxy>, prefix: string, listenerName: string, host: string, cluster: BuiltCluster, endpoint: ClusterEndpoint, count: number, timeoutMs: number, policy: Json | undefined, injectedDelayMs: number): void {
    const pod = endpoint.pod
    const fault = pod ? world.workloadOf(pod).fault : {errorRate: 0, latencyMs: 0}
    const attempts = retryAttempts(policy, 500)
    const p = fault.errorRate
    const stream = `${cluster.name}|${endpoint.address}`
    // Each attempt fails with p; a retriable failure is retried up to `attempts` times in all.
    const finalErrors = this.take(`err|${stream}`, count * Math.pow(p, attempts))
    const destinationAttempts = count + this.take(`att|${stream}`, attempts > 1 ? (count * (p - Math.pow(p, attempts))) / (1 - p || 1) : 0)
    const destinationErrors = Math.min(destinationAttempts, finalErrors + (destinationAttempts - count))
    const samples = Array.from({length: Math.min(count, this.options.latencySamples ?? 8)}, () => this.baseLatency() + fault.latencyMs)
    const slowShare = timeoutMs > 0 ? samples.filter((d) => d > timeoutMs).length / Math.max(1, samples.length) : 0
    const timeouts = Math.min(count - finalErrors, this.take(`ut|${stream}`, (count - finalErrors) * slowShare))
    const ok = count - finalErrors - timeouts
    const hostKey = `${proxy.pod.namespace}/${proxy.pod.name}|${cluster.name}::${endpoint.address}:${endpoint.port}`
    const counters = this.hostCounters.get(hostKey) ?? {rq_total: 0, rq_success: 0, rq_error: 0, cx_total: 0}
    counters.rq_total += destinationAttempts
    counters.rq_success += destinationAttempts - destinationErrors
    counters.rq_error += destinationErrors
    counters.cx_total = Math.max(counters.cx_total, 1)
    this.hostCounters.set(hostKey, counters)
    if (destinationAttempts > count) proxy.stats.inc('cluster', cluster.name, 'upstream_rq_retry', destinationAttempts - count)
    const sidecar = pod ? sidecars.get(`${pod.namespace}/${pod.name}`) : undefined
    if (sidecar && pod) {
      // What the destination's sidecar reports: every attempt, retries included, answered by the app.
      const answered = this.series(world, proxy.pod, host, {code: 200, flags: '-', cluster, pod, count: 0, durationMs: 0}, 'destination')
      const failed = this.series(world, proxy.pod, host, {code: 500, flags: '-', cluster, pod, count: 0, durationMs: 0}, 'destination')
      sidecar.stats.recordRequests(answered.labels, destinationAttempts - destinationErrors, samples, answered.key)
      sidecar.stats.recordRequests(failed.labels, destinationErrors, samples, failed.key)
    }
    const fast = samples.filter((d) => timeoutMs === 0 || d <= timeoutMs)
    const median = (list: number[]) => (list.length > 0 ? [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]! : this.baseLatency() + fault.latencyMs)
    // The gateway adds ~1 ms, and any delay its fault filter injected before routing (flag DI).
    const seen = (list: number[]) => list.map((d) => d + 1 + injectedDelayMs)
    const flags = (f: string) => (injectedDelayMs > 0 ? (f === '-' ? 'DI' : `DI,${f}`) : f)
    if (ok > 0) this.record(world, proxy, prefix, listenerName, host, {code: 200, flags: flags('-'), cluster, pod, count: ok, durationMs: median(fast) + 1 + injectedDelayMs}, seen(fast))
    if (finalErrors > 0) this.record(world, proxy, prefix, listenerName, host, {code: 500, flags: flags('-'), cluster, pod, count: finalErrors, durationMs: median(samples) + 1 + injectedDelayMs}, seen(samples))
    if (timeouts > 0) {
      proxy.stats.inc('cluster', cluster.name, 'upstream_rq_timeout', timeouts)
      this.record(world, proxy, prefix, listenerName, host, {code: 504, flags: flags('UT'), cluster, pod, count: timeouts, durationMs: timeoutMs + injectedDelayMs}, [timeoutMs + injectedDelayMs])
    }
  }

  private labels(world: MeshWorld, gw: MeshPod, host: string, outcome: Outcome): Labels {
    const gwWorkload = world.workloadOf(gw).name
    const svc = outcome.cluster?.service
    const pod = outcome.pod
    const destWorkload = pod ? world.workloadOf(pod).name : 'unknown'
    return {
      reporter: 'source',
      source_workload: gwWorkload,
      source_canonical_service: canonicalService(gw, gwWorkload),
      source_canonical_revision: canonicalRevision(gw),
      source_workload_namespace: gw.namespace,
      source_principal: principal(gw),
      source_app: appOf(gw),
      source_version: versionOf(gw),
      source_cluster: 'Kubernetes',
      destination_workload: destWorkload,
      destination_workload_namespace: pod ? pod.namespace : 'unknown',
      destination_principal: pod?.hasSidecar ? principal(pod) : 'unknown',
      destination_app: pod ? appOf(pod) : 'unknown',
      destination_version: pod ? versionOf(pod) : 'unknown',
      destination_service: svc ? svc.fqdn : host,
      destination_canonical_service: pod ? canonicalService(pod, destWorkload) : 'unknown',
      destination_canonical_revision: pod ? canonicalRevision(pod) : 'latest',
      destination_service_name: svc ? svc.name : host,
      destination_service_namespace: svc ? svc.namespace : 'unknown',
      destination_cluster: pod ? 'Kubernetes' : 'unknown',
      request_protocol: 'http',
      response_code: String(outcome.code),
      grpc_response_status: '',
      response_flags: outcome.flags,
      connection_security_policy: 'unknown',
    }
  }

  private readonly labelCache = new Map<string, {labels: Labels; key: string}>()
  private labelWorld: MeshWorld | undefined

  /** Istio's labels for an outcome as the gateway (source) or the destination sidecar reports it; cached per world. */
  private series(world: MeshWorld, gw: MeshPod, host: string, outcome: Outcome, reporter: 'source' | 'destination'): {labels: Labels; key: string} {
    const cacheKey = `${reporter}|${gw.namespace}/${gw.name}|${host}|${outcome.cluster?.name ?? ''}|${outcome.pod?.name ?? ''}|${outcome.code}|${outcome.flags}`
    let entry = this.labelCache.get(cacheKey)
    if (!entry) {
      let labels = this.labels(world, gw, host, outcome)
      if (reporter === 'destination' && outcome.pod) labels = {...labels, reporter: 'destination', destination_principal: principal(outcome.pod), connection_security_policy: 'mutual_tls'}
      entry = {labels, key: labelKey(labels)}
      this.labelCache.set(cacheKey, entry)
    }
    return entry
  }

  /**
   * One real request (sent through a port-forward) counted exactly as the simulated stream counts
   * its requests: the gateway's reporter=source series and Envoy counters, the destination sidecar's
   * reporter=destination series, and the host counters of /clusters.
   */
  recordRequest(world: MeshWorld, proxy: SimulatedProxy, sidecar: SimulatedProxy | undefined, statPrefix: string, listenerName: string, host: string, outcome: Omit<Outcome, 'count'>, endpoint?: ClusterEndpoint, attempts = 1): void {
    this.record(world, proxy, statPrefix.replace(/;$/, ''), listenerName, host, {...outcome, count: 1})
    if (!outcome.cluster || !endpoint) return
    const hostKey = `${proxy.pod.namespace}/${proxy.pod.name}|${outcome.cluster.name}::${endpoint.address}:${endpoint.port}`
    const counters = this.hostCounters.get(hostKey) ?? {rq_total: 0, rq_success: 0, rq_error: 0, cx_total: 0}
    counters.rq_total += attempts
    if (outcome.code >= 500) counters.rq_error += 1
    else counters.rq_success += 1
    counters.cx_total += 1
    this.hostCounters.set(hostKey, counters)
    if (attempts > 1) proxy.stats.inc('cluster', outcome.cluster.name, 'upstream_rq_retry', attempts - 1)
    if (sidecar && outcome.pod && outcome.flags !== 'UT') {
      const answered = this.series(world, proxy.pod, host, {...outcome, count: 0}, 'destination')
      sidecar.stats.recordRequests(answered.labels, 1, [Math.max(0.3, outcome.durationMs - 1)], answered.key)
    }
  }

  /** The gateway's own view (reporter=source) and Envoy counters for one batch of identical outcomes. */
  private record(world: MeshWorld, proxy: SimulatedProxy, prefix: string, listenerName: string, host: string, outcome: Outcome, samples: number[] = [outcome.durationMs]): void {
    const {labels, key} = this.series(world, proxy.pod, host, outcome, 'source')
    proxy.stats.recordRequests(labels, outcome.count, samples, key)
    const cls = `${Math.floor(outcome.code / 100)}xx`
    proxy.stats.inc('http', prefix, 'downstream_rq_total', outcome.count)
    proxy.stats.inc('http', prefix, `downstream_rq_${cls}`, outcome.count)
    proxy.stats.inc('http', prefix, 'downstream_rq_completed', outcome.count)
    proxy.stats.inc('http', prefix, 'rq_total', outcome.count)
    proxy.stats.inc('listener', listenerName, 'downstream_cx_total', outcome.count)
    if (outcome.cluster && outcome.flags !== 'UH') {
      const c = outcome.cluster.name
      proxy.stats.inc('cluster', c, 'upstream_rq_total', outcome.count)
      proxy.stats.inc('cluster', c, `upstream_rq_${outcome.code}`, outcome.count)
      proxy.stats.inc('cluster', c, `upstream_rq_${cls}`, outcome.count)
      proxy.stats.inc('cluster', c, 'upstream_rq_completed', outcome.count)
    }
  }
}
