/**
 * What Envoy actually has on each gateway pod, read through the Envoy admin door. Pods that istiod
 * programs alike (same namespace, same Gateways selecting them) normally carry the same config, so
 * one config_dump (its clusters as names and types only, unless the bundle wants it whole) and one
 * /clusters are read per such group; the other pods of the group
 * answer only the route configs' version_info (a few bytes each), and both are read from them too
 * only when it differs. State (/server_info) and traffic (the few Prometheus series doctor reads,
 * filtered by Envoy) are read from every pod.
 */
import type {GwContext} from '../context.ts'
import {parseClusters, parseServerState, type ClusterHealth} from '../envoy/clusters.ts'
import {clusterListPath, clusterLists, configDumpWithoutClusters, parseClusterList, parseConfigDump, type EnvoyConfig} from '../envoy/config-dump.ts'
import {EnvoyAdminError, podProxyPath, type EnvoyPodRef} from '../envoy/admin.ts'
import {counterDeltas, parseExposition, type Sample} from '../metrics/exposition.ts'
import type {Pod} from '../kube/objects.ts'
import {objectKey} from '../istio/bindings.ts'
import {labelsMatch, podIsReady} from '../istio/gateway-workload.ts'
import type {IstioGateway, KubernetesGateway} from '../istio/types.ts'

export interface GatewayProxy {
  pod: EnvoyPodRef & {labels: Record<string, string>}
  /** Gateways (namespace/name) whose selector picks this pod: what istiod programs into it. */
  gateways: string[]
  /** Pods with the same key get the same config from istiod. */
  configGroup: string
  /** Why the admin port could not be read. */
  unreachable?: {reason: string; message: string}
  serverState?: string
  config?: EnvoyConfig
  /** full: this pod's own dump; shared: the dump of another pod of its group, whose route versions match. */
  configSource?: 'full' | 'shared'
  clusters?: ClusterHealth[]
  /** The stats as last read: counters since Envoy started. */
  stats?: Sample[]
  /** What the counters added over the traffic window (`--traffic-window`): what the gateway does now. */
  recentStats?: {windowMs: number; samples: Sample[]}
  /** Raw bytes kept for --bundle. */
  raw: {configDump?: Buffer; clusters?: Buffer; stats?: Buffer}
}

/**
 * The only series doctor reads from a gateway's stats, filtered by Envoy itself (`?filter=` is
 * matched against Envoy's own stat names: `...;.;istio_requests_total`, `listener_manager.lds.update_rejected`).
 */
export const doctorStatsFilter = 'istio_requests_total|update_rejected'

export interface LiveOptions {
  /** Per admin request (ms). */
  timeoutMs?: number
  /**
   * The stats are read again this long (at least) after the first read, so traffic is judged on what
   * it does now, not on counters since Envoy started (a fault of the last minute on a gateway up for
   * weeks would never show). 0: one read.
   */
  trafficWindowMs?: number
  keepRaw?: boolean
  onPod?: (proxy: GatewayProxy, done: number, total: number) => void
}

/** The gateway pods to read: running pods any Istio Gateway selects, and Gateway API gateway pods. */
export function gatewayPods(pods: Pod[], gateways: IstioGateway[], kubernetesGateways: KubernetesGateway[]): {pod: Pod; gateways: string[]}[] {
  const found = new Map<string, {pod: Pod; gateways: string[]}>()
  const add = (pod: Pod, gateway: string) => {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`
    const entry = found.get(key) ?? {pod, gateways: []}
    entry.gateways.push(gateway)
    found.set(key, entry)
  }
  const running = pods.filter((p) => p.status?.phase === 'Running')
  for (const gateway of gateways) {
    const selector = gateway.spec?.selector ?? {}
    if (Object.keys(selector).length === 0) continue
    for (const pod of running) if (labelsMatch(selector, pod.metadata.labels)) add(pod, objectKey(gateway))
  }
  for (const gateway of kubernetesGateways) {
    for (const pod of running) {
      if (pod.metadata.namespace === gateway.metadata.namespace && pod.metadata.labels?.['gateway.networking.k8s.io/gateway-name'] === gateway.metadata.name) add(pod, objectKey(gateway))
    }
  }
  return [...found.values()].sort((a, b) => objectKey(a.pod).localeCompare(objectKey(b.pod)))
}

function routeVersions(config: EnvoyConfig): string {
  return config.routeConfigs.flatMap((r) => (r.versionInfo !== undefined ? [r.versionInfo] : [])).sort().join(',')
}

function versionsOf(bytes: Buffer): string {
  return [...bytes.toString().matchAll(/"version_info":\s*"([^"]*)"/g)].map((m) => m[1]).sort().join(',')
}

function unreachable(error: unknown): {reason: string; message: string} {
  if (error instanceof EnvoyAdminError) return {reason: error.reason, message: error.message}
  return {reason: 'unreachable', message: (error as Error).message}
}

export async function readGatewayProxies(ctx: GwContext, targets: {pod: Pod; gateways: string[]}[], options: LiveOptions = {}): Promise<GatewayProxy[]> {
  const get = (pod: EnvoyPodRef, path: string) => ctx.envoy.get(pod, path, {timeoutMs: options.timeoutMs})
  const proxies: GatewayProxy[] = targets.map(({pod, gateways}) => ({
    pod: {namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '', labels: pod.metadata.labels ?? {}},
    gateways: [...gateways].sort(),
    configGroup: `${pod.metadata.namespace}|${[...gateways].sort().join(',')}`,
    raw: {},
  }))
  const groups = new Map<string, GatewayProxy[]>()
  for (const proxy of proxies) groups.set(proxy.configGroup, [...(groups.get(proxy.configGroup) ?? []), proxy])
  let done = 0
  const finish = (proxy: GatewayProxy) => options.onPod?.(proxy, ++done, proxies.length)

  const statsPath = `stats/prometheus?filter=${encodeURIComponent(doctorStatsFilter)}`
  const firstStatsAt = new Map<GatewayProxy, number>()
  // Per-pod summaries for every pod; the door bounds concurrency and time per pod.
  const perPod = async (proxy: GatewayProxy) => {
    try {
      const [info, stats] = await Promise.all([get(proxy.pod, 'server_info'), get(proxy.pod, statsPath)])
      firstStatsAt.set(proxy, ctx.clock.now().getTime())
      proxy.serverState = parseServerState(info)
      proxy.stats = parseExposition(stats.toString())
      if (options.keepRaw) proxy.raw.stats = stats
    } catch (error) {
      proxy.unreachable = unreachable(error)
    }
  }
  // The second read, once the window has passed since the first (the dumps above usually fill most of it).
  const readRecent = async (proxy: GatewayProxy, windowMs: number) => {
    const first = firstStatsAt.get(proxy)
    if (first === undefined || proxy.unreachable || !proxy.stats) return
    const wait = first + windowMs - ctx.clock.now().getTime()
    if (wait > 0) await ctx.clock.sleep(wait)
    try {
      const stats = await get(proxy.pod, statsPath)
      const before = proxy.stats
      proxy.stats = parseExposition(stats.toString())
      proxy.recentStats = {windowMs: ctx.clock.now().getTime() - first, samples: counterDeltas(proxy.stats, before)}
      if (options.keepRaw) proxy.raw.stats = stats
    } catch {
      // The first read stands: traffic is judged since Envoy started, as with no window.
    }
  }
  const readConfig = async (proxy: GatewayProxy) => {
    const source = `config_dump of pod ${proxy.pod.namespace}/${proxy.pod.name}`
    if (options.keepRaw) {
      // The bundle keeps the whole dump, as Envoy gives it.
      const bytes = await get(proxy.pod, 'config_dump')
      proxy.config = parseConfigDump(bytes, source)
      proxy.raw.configDump = bytes
      return
    }
    // Everything but the clusters, and the clusters' names and types only.
    const [config, ...lists] = await Promise.all([
      get(proxy.pod, configDumpWithoutClusters).then((bytes) => parseConfigDump(bytes, source)),
      ...clusterLists.map(([list, state]) => get(proxy.pod, clusterListPath(list)).then((bytes) => parseClusterList(bytes, state, source))),
    ])
    config.clusters.push(...lists.flat())
    proxy.config = config
  }
  const readClusters = async (proxy: GatewayProxy) => {
    const clusters = await get(proxy.pod, 'clusters?format=json')
    proxy.clusters = parseClusters(clusters, `clusters of ${objectKey({metadata: proxy.pod})}`)
    if (options.keepRaw) proxy.raw.clusters = clusters
  }
  const fullDump = async (proxy: GatewayProxy) => {
    if (options.keepRaw) {
      // One after the other: the whole dump's bytes and text are garbage before /clusters arrives.
      await readConfig(proxy)
      await readClusters(proxy)
    } else await Promise.all([readConfig(proxy), readClusters(proxy)])
    proxy.configSource = 'full'
  }
  // Per group, everything at once: the first pod's summaries and full dump, the others' summaries
  // and route versions; full dumps from the others only where their versions differ.
  await Promise.all(
    [...groups.values()].map(async (members) => {
      const summaries = new Map<GatewayProxy, string>()
      const [first, ...others] = members as [GatewayProxy, ...GatewayProxy[]]
      let dumped: GatewayProxy | undefined
      const dumpFirst = async () => {
        await perPod(first)
        if (first.unreachable) return
        try {
          await fullDump(first)
          dumped = first
        } catch (error) {
          first.unreachable = unreachable(error)
        }
        finish(first)
      }
      const summarise = async (proxy: GatewayProxy) => {
        await perPod(proxy)
        if (proxy.unreachable) return
        try {
          summaries.set(proxy, versionsOf(await get(proxy.pod, 'config_dump?resource=dynamic_route_configs&mask=version_info')))
        } catch (error) {
          proxy.unreachable = unreachable(error)
        }
      }
      await Promise.all([dumpFirst(), ...others.map(summarise)])
      others.filter((p) => p.unreachable).forEach(finish)
      const reference = dumped?.config ? routeVersions(dumped.config) : undefined
      await Promise.all(
        others.map(async (proxy) => {
          if (proxy.unreachable) return
          if (dumped && summaries.get(proxy) === reference && !options.keepRaw) {
            proxy.config = dumped.config
            proxy.clusters = dumped.clusters
            proxy.configSource = 'shared'
          } else {
            try {
              await fullDump(proxy)
              dumped ??= proxy
            } catch (error) {
              proxy.unreachable = unreachable(error)
            }
          }
          finish(proxy)
        }),
      )
    }),
  )
  const windowMs = options.trafficWindowMs ?? 0
  if (windowMs > 0) await Promise.all(proxies.map((proxy) => readRecent(proxy, windowMs)))
  return proxies
}

/** istiod's own metrics (port 15014): pilot_total_rejected_configs and friends; undefined when not readable. */
export async function readIstiodMetrics(ctx: GwContext, pods: Pod[], timeoutMs = 5000): Promise<Sample[] | undefined> {
  const istiod = pods.find((p) => p.metadata.labels?.app === 'istiod' && podIsReady(p))
  if (!istiod) return undefined
  const ref = {namespace: istiod.metadata.namespace ?? '', name: istiod.metadata.name ?? ''}
  try {
    const bytes = await ctx.kube.getRaw(podProxyPath(ref, 'metrics', 15014), {verb: 'get', resource: 'pods', subresource: 'proxy', namespace: ref.namespace, name: ref.name}, undefined, {timeoutMs})
    return parseExposition(bytes.toString())
  } catch {
    return undefined
  }
}
