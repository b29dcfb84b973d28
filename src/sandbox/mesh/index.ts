import type {ClusterStateView, PodHttpRequest, PodHttpResponse, SimulatedMesh, StoreEvent} from '../mesh-contract.ts'
import {handleAdmin, type HostHealth} from './envoy/admin.ts'
import {envoyVersionFor, SimulatedProxy} from './envoy/proxy.ts'
import {renderFamilies, type PromFamilies} from './envoy/stats.ts'
import {ClusterCache} from './istiod/clusters.ts'
import {buildProxyConfig, istioMinor, type ProxyConfig} from './istiod/proxy-config.ts'
import {seededRandom, TrafficSimulator} from './traffic.ts'
import {GatewayDataPlane} from './envoy/downstream.ts'
import type {Duplex} from 'node:stream'
import {MeshWorld, type MeshPod} from './world.ts'

/**
 * The sandbox's Istio: istiod (recomputes every gateway proxy's config, lazily, after any change to
 * the kinds it watches), one simulated Envoy per gateway pod and per sidecar, and a traffic loop.
 */

export interface MeshTimer {
  setInterval(fn: () => void, ms: number): unknown
  clearInterval(handle: unknown): void
}

export interface MeshOptions {
  now?: () => Date
  timer?: MeshTimer
  /** Traffic tick (ms of simulated time per tick). */
  tickMs?: number
  requestsPerSecond?: number
  /** Latency samples per batch (default 8): more makes histograms (p99) as smooth as real per-request ones. */
  latencySamples?: number
  seed?: number
  /** Where a failing traffic tick is reported (the loop keeps running). */
  onError?: (error: unknown) => void
}

/** The kinds istiod watches; other writes (ConfigMaps, CRDs, ...) do not trigger a push. */
const watchedKinds = new Set(['Gateway', 'HTTPRoute', 'ReferenceGrant', 'GatewayClass', 'VirtualService', 'DestinationRule', 'ServiceEntry', 'Service', 'Endpoints', 'EndpointSlice', 'Pod', 'Secret', 'Deployment', 'Namespace'])

export interface SandboxMesh extends SimulatedMesh {
  /** Runs `seconds` of simulated traffic now (what each timer tick does). */
  runTraffic(seconds: number): void
  /** The current pushed config of a gateway pod (for tests and `sandbox status`). */
  proxyConfig(namespace: string, pod: string): ProxyConfig | undefined
  /** istiod's warnings from the last push (dropped servers, missing secrets, 404 vhosts). */
  warnings(): string[]
}

const systemTimer: MeshTimer = {
  setInterval: (fn, ms) => {
    const handle = setInterval(fn, ms)
    handle.unref()
    return handle
  },
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
}

export function createSimulatedMesh(state: ClusterStateView, options: MeshOptions = {}): SandboxMesh {
  const now = options.now ?? (() => new Date())
  const timer = options.timer ?? systemTimer
  const tickMs = options.tickMs ?? 1000
  const delimited = istioMinor(state.istioVersion) >= 1023
  const traffic = new TrafficSimulator({requestsPerSecond: options.requestsPerSecond ?? 10, seed: options.seed ?? 1, latencySamples: options.latencySamples})
  const proxies = new Map<string, SimulatedProxy>()
  let world: MeshWorld | undefined
  let dirty = true
  let pushes = 0
  let lastWarnings: string[] = []
  let rejectedGateways = new Map<string, number>()
  let certificateErrors = 0
  let handle: unknown
  const clusterCache = new ClusterCache()

  state.subscribe((event: StoreEvent) => {
    if (watchedKinds.has(event.object.kind)) dirty = true
  })

  const identityFor = () => ({istioVersion: state.istioVersion.includes('.') && state.istioVersion.split('.').length === 2 ? `${state.istioVersion}.0` : state.istioVersion, envoyVersion: envoyVersionFor(state.istioVersion), startedAt: now()})

  /** One push: rebuild istiod's index, then every proxy's config; pods sharing namespace+labels share the build. */
  function refresh(): MeshWorld {
    if (!dirty && world) return world
    dirty = false
    pushes++
    const at = now()
    world = new MeshWorld(state)
    const version = `${at.toISOString().replace(/\.\d{3}Z$/, 'Z')}/${pushes}`
    const seen = new Set<string>()
    const builds = new Map<string, ProxyConfig>()
    const warnings: string[] = []
    const rejected = new Map<string, number>()
    for (const pod of world.pods) {
      if (!pod.isGateway && !pod.hasSidecar) continue
      const key = `${pod.namespace}/${pod.name}`
      seen.add(key)
      let proxy = proxies.get(key)
      if (!proxy || proxy.pod.object.metadata.uid !== pod.object.metadata.uid) {
        proxy = new SimulatedProxy(world, pod, identityFor(), delimited)
        proxies.set(key, proxy)
      }
      if (pod.isGateway) {
        const groupKey = `${pod.namespace}|${JSON.stringify(Object.entries(pod.labels).sort())}|${pod.containerPorts.map((p) => `${p.name}:${p.containerPort}`).join(',')}`
        let config = builds.get(groupKey)
        if (!config) {
          config = buildProxyConfig(world, pod, {now: at, delimitedStats: delimited, clusterCache})
          builds.set(groupKey, config)
          warnings.push(...config.warnings)
          for (const r of config.rejected) rejected.set(r.gateway, (rejected.get(r.gateway) ?? 0) + 1)
          certificateErrors += config.secrets.filter((secret) => !secret.ok).length
        }
        proxy.accept({...config, pod}, version, at)
      } else {
        proxy.accept(emptyConfig(pod), version, at)
      }
    }
    for (const key of [...proxies.keys()]) if (!seen.has(key)) proxies.delete(key)
    lastWarnings = [...new Set(warnings)]
    rejectedGateways = rejected
    return world
  }

  const health = (w: MeshWorld, proxy: SimulatedProxy): HostHealth => ({
    flags: (cluster, address) => traffic.outlierFlags(w, cluster, address),
    counters: (cluster, address) => traffic.hostCounters.get(`${proxy.pod.namespace}/${proxy.pod.name}|${cluster.name}::${address}`) ?? {rq_total: 0, rq_success: 0, rq_error: 0, cx_total: 0},
  })

  /** istiod's own monitoring port (15014): pushes, rejected Gateway servers, SDS failures. */
  function istiodMetrics(): string {
    const lines = [
      '# TYPE istio_build gauge',
      `istio_build{component="pilot",tag="${identityFor().istioVersion}"} 1`,
      '# TYPE pilot_xds_pushes counter',
      ...['cds', 'eds', 'lds', 'rds', 'sds'].map((type) => `pilot_xds_pushes{type="${type}"} ${pushes}`),
      '# TYPE pilot_total_rejected_configs gauge',
      ...[...rejectedGateways].map(([name, count]) => `pilot_total_rejected_configs{type="gateway",name="${name}"} ${count}`),
      '# TYPE pilot_sds_certificate_errors_total counter',
      `pilot_sds_certificate_errors_total ${certificateErrors}`,
    ]
    return `${lines.join('\n')}\n`
  }

  function runTraffic(seconds: number): void {
    const w = refresh()
    const all = [...proxies.values()]
    const at = now().getTime()
    for (const proxy of all) proxy.stats.set('', '', 'server.uptime', Math.floor((at - proxy.identity.startedAt.getTime()) / 1000))
    const sidecars = new Map(all.filter((p) => !p.pod.isGateway).map((p) => [`${p.pod.namespace}/${p.pod.name}`, p]))
    traffic.run(w, all.filter((p) => p.pod.isGateway), sidecars, seconds)
  }

  const requestRandom = seededRandom((options.seed ?? 1) + 7)
  const dataPlane = new GatewayDataPlane({
    current(namespace, pod) {
      const w = refresh()
      const proxy = proxies.get(`${namespace}/${pod}`)
      return proxy ? {world: w, proxy} : undefined
    },
    sidecar: (pod) => (pod.hasSidecar ? proxies.get(`${pod.namespace}/${pod.name}`) : undefined),
    record: (w, proxy, sidecar, statPrefix, listenerName, host, outcome, endpoint, attempts) => traffic.recordRequest(w, proxy, sidecar, statPrefix, listenerName, host, outcome, endpoint, attempts),
    random: requestRandom,
    now,
  })

  return {
    connectPod(namespace: string, pod: string, port: number, socket: Duplex): boolean {
      refresh()
      const proxy = proxies.get(`${namespace}/${pod}`)
      if (!proxy?.pod.isGateway) return false
      return dataPlane.accept(proxy, port, socket)
    },
    podLogs(namespace: string, pod: string, container: string): string | undefined {
      refresh()
      const proxy = proxies.get(`${namespace}/${pod}`)
      if (!proxy?.pod.isGateway || (container !== '' && container !== 'istio-proxy')) return undefined
      const lines = dataPlane.accessLogs.get(`${namespace}/${pod}`) ?? []
      return lines.map((line) => `${line}\n`).join('')
    },
    async handlePodRequest(request: PodHttpRequest): Promise<PodHttpResponse | undefined> {
      const w = refresh()
      const istiod = w.pods.find((p) => p.namespace === request.namespace && p.name === request.pod && p.labels.app === 'istiod')
      if (istiod) return request.port === 15014 && request.path === '/metrics' ? {status: 200, headers: {'content-type': 'text/plain; version=0.0.4'}, body: istiodMetrics()} : undefined
      const proxy = proxies.get(`${request.namespace}/${request.pod}`)
      if (!proxy) return undefined
      if (request.port === 15000) return handleAdmin(proxy, request, now(), health(w, proxy))
      // 15090: Envoy's prometheus listener; 15020: pilot-agent's merged metrics and health.
      if ((request.port === 15090 || request.port === 15020) && request.path === '/stats/prometheus') {
        return {status: 200, headers: {'content-type': 'text/plain; version=0.0.4'}, body: proxy.stats.prometheus()}
      }
      if ((request.port === 15021 || request.port === 15020) && request.path === '/healthz/ready') return {status: 200, headers: {'content-type': 'text/plain'}, body: ''}
      if (request.port === 15090 || request.port === 15020 || request.port === 15021) return {status: 404, headers: {'content-type': 'text/plain'}, body: '404 page not found\n'}
      return undefined
    },
    scrape(): string {
      refresh()
      const families: PromFamilies = new Map()
      for (const proxy of proxies.values()) proxy.stats.prometheusFamilies([['namespace', proxy.pod.namespace], ['pod', proxy.pod.name]], {}, families)
      return renderFamilies(families)
    },
    start(): void {
      if (handle !== undefined) return
      handle = timer.setInterval(() => {
        try {
          runTraffic(tickMs / 1000)
        } catch (error) {
          options.onError?.(error)
        }
      }, tickMs)
    },
    stop(): void {
      if (handle === undefined) return
      timer.clearInterval(handle)
      handle = undefined
    },
    runTraffic,
    proxyConfig(namespace: string, pod: string): ProxyConfig | undefined {
      refresh()
      return proxies.get(`${namespace}/${pod}`)?.config
    },
    warnings(): string[] {
      refresh()
      return lastWarnings
    },
  }
}

/** Sidecars answer stats and health; their xDS is out of the sandbox's scope. */
function emptyConfig(pod: MeshPod): ProxyConfig {
  return {pod, servers: [], rejected: [], listeners: [], routes: new Map(), clusters: [], clustersByName: new Map(), secrets: [], warnings: []}
}
