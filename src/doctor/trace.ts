/**
 * `doctor --host HOST [--path P] [--header K=V]`: one request traced through the resources the
 * way istiod would program it (Gateway server, virtual host, first matching VirtualService route
 * in Istio's order, destination, cluster, endpoints) and through the gateway pod's live route
 * table the way Envoy matches it; says where each breaks and where the two disagree.
 */
import type {Pod, Service} from '../kube/objects.ts'
import {chooseVirtualHost, domainMatches, gatewayHostName} from '../istio/hosts.ts'
import {boundHosts, objectKey, referencedGateways} from '../istio/bindings.ts'
import {byCreation, gatewayServerConflicts, isHttpProtocol} from '../istio/conflicts.ts'
import {labelsMatch, podIsReady, serviceSelects} from '../istio/gateway-workload.ts'
import {serviceFqdn, serviceRef} from '../istio/references.ts'
import {compareHttpRouteMatches, envoyMatches, httpRouteMatches, httpRouteRuleMatches, isCatchAll, istioRouteMatches, type TraceRequest} from '../istio/route-match.ts'
import {destinationCarriesTraffic} from '../istio/route-rules.ts'
import {routeParents, serviceBackends} from '../istio/gateway-api.ts'
import {findSubset} from '../istio/subsets.ts'
import type {GatewayServerSpec, HttpRoute, IstioGateway, KubernetesGateway, ListenerSpec, VirtualService} from '../istio/types.ts'
import type {Snapshot} from '../snapshot/snapshot.ts'
import type {GatewayProxy} from './live.ts'
import {listenPort} from './proxies.ts'

export interface TraceHop {
  step: 'gateway-server' | 'virtual-host' | 'route' | 'destination' | 'cluster' | 'endpoints'
  ok: boolean
  detail: string
}

export interface TraceSide {
  hops: TraceHop[]
  /** The first hop that breaks, when one does. */
  brokenAt?: TraceHop['step']
  /** Envoy clusters the request would go to. */
  clusters: string[]
}

export interface RequestTrace {
  request: {host: string; path: string; headers: Record<string, string>}
  /** What the resources ask for. */
  resources: TraceSide
  /** What the gateway pod's Envoy has, when it was read. */
  live?: TraceSide & {pod: string}
  /** Where the two disagree (stale or rejected config), when they do. */
  disagreement?: string
}

interface DesiredRoute {
  vs: VirtualService
  index: number
  route: HttpRoute
}

function side(hops: TraceHop[], clusters: string[]): TraceSide {
  const broken = hops.find((h) => !h.ok)
  return {hops, ...(broken ? {brokenAt: broken.step} : {}), clusters}
}

const itemsOr = <K extends Parameters<Snapshot['items']>[0]>(snapshot: Snapshot, kind: K) => (snapshot.state(kind).status === 'ok' ? snapshot.items(kind) : [])

/** The Gateway server the request arrives on: plain HTTP first (the default scheme), then HTTPS; HTTPS first for an https request. */
function chooseServer(gateways: IstioGateway[], pods: Pod[], host: string, scheme = 'http'): {gateway: IstioGateway; server: GatewayServerSpec; all: string[]} | undefined {
  const candidates: {gateway: IstioGateway; server: GatewayServerSpec}[] = []
  for (const gateway of [...gateways].sort(byCreation)) {
    if (!pods.some((p) => labelsMatch(gateway.spec?.selector, p.metadata.labels) && Object.keys(gateway.spec?.selector ?? {}).length > 0)) continue
    for (const server of gateway.spec?.servers ?? []) {
      if ((server.hosts ?? []).some((h) => domainMatches(gatewayHostName(h), host.toLowerCase()))) candidates.push({gateway, server})
    }
  }
  const plainFirst = scheme !== 'https'
  const rank = (s: GatewayServerSpec) => (isHttpProtocol(s.port?.protocol ?? 'HTTP') ? (plainFirst ? 0 : 1) : (s.port?.protocol ?? '').toUpperCase() === 'HTTPS' ? (plainFirst ? 1 : 0) : 2)
  candidates.sort((a, b) => rank(a.server) - rank(b.server))
  const first = candidates[0]
  return first && {...first, all: candidates.map((c) => `${objectKey(c.gateway)} port ${c.server.port?.number} ${c.server.port?.protocol ?? 'HTTP'}`)}
}

function routeConfigName(gateway: IstioGateway, server: GatewayServerSpec, targetPort: number): string {
  return isHttpProtocol(server.port?.protocol ?? 'HTTP') ? `http.${targetPort}` : `https.${server.port?.number}.${server.port?.name ?? ''}.${gateway.metadata.name}.${gateway.metadata.namespace}`
}

function traceResources(snapshot: Snapshot, request: TraceRequest, proxy: GatewayProxy | undefined): {side: TraceSide; routeConfig?: string} {
  const hops: TraceHop[] = []
  const gateways = itemsOr(snapshot, 'Gateway')
  const pods = itemsOr(snapshot, 'Pod')
  const services = itemsOr(snapshot, 'Service')
  const chosen = chooseServer(gateways, pods, request.host, request.scheme)
  if (!chosen) {
    hops.push({step: 'gateway-server', ok: false, detail: `no Gateway server with pods accepts host ${request.host}: the gateway answers 404 NR (or no TLS filter chain)`})
    return {side: side(hops, [])}
  }
  const {gateway, server} = chosen
  const port = server.port?.number ?? 0
  const dropped = gatewayServerConflicts(gateways).find((c) => c.gateway.namespace === gateway.metadata.namespace && c.gateway.name === gateway.metadata.name && c.port === port)
  hops.push({step: 'gateway-server', ok: !dropped, detail: dropped ? `Gateway ${objectKey(gateway)} port ${port} is dropped by istiod (conflict with ${dropped.keptBy.namespace}/${dropped.keptBy.name})` : `Gateway ${objectKey(gateway)} port ${port} ${server.port?.protocol ?? 'HTTP'}${chosen.all.length > 1 ? ` (also: ${chosen.all.slice(1).join('; ')})` : ''}`})
  if (dropped) return {side: side(hops, [])}
  const targetPort = proxy ? listenPort(proxy, services, port) : port
  const routeConfig = routeConfigName(gateway, server, targetPort)

  // The servers sharing this route config: every HTTP server on the port (istiod merges them), or this one HTTPS server.
  const shared: {gateway: IstioGateway; server: GatewayServerSpec}[] = isHttpProtocol(server.port?.protocol ?? 'HTTP')
    ? gateways.flatMap((g) => (labelsMatch(g.spec?.selector, proxy?.pod.labels ?? gateway.spec?.selector) ? (g.spec?.servers ?? []).filter((s) => s.port?.number === port && isHttpProtocol(s.port?.protocol ?? 'HTTP')).map((s) => ({gateway: g, server: s})) : []))
    : [{gateway, server}]
  const byKey = new Map(gateways.map((g) => [objectKey(g), g]))
  const vhosts = new Map<string, DesiredRoute[]>()
  // Hosts of a plain server with tls.httpsRedirect: istiod sets require_tls ALL, Envoy answers 301 to https.
  const redirected = new Set<string>()
  for (const vs of [...itemsOr(snapshot, 'VirtualService')].sort(byCreation)) {
    const bound = new Set(referencedGateways(vs, byKey).flatMap((r) => (r.gateway ? [objectKey(r.gateway)] : [])))
    for (const s of shared) {
      if (!bound.has(objectKey(s.gateway))) continue
      for (const host of boundHosts(vs, s.server, s.gateway.metadata.namespace ?? '')) {
        if (s.server.tls?.httpsRedirect && !vhosts.has(host)) redirected.add(host)
        const routes = vhosts.get(host) ?? []
        for (const [index, route] of (vs.spec?.http ?? []).entries()) {
          if (routes.some((r) => r.vs === vs && r.index === index)) continue
          routes.push({vs, index, route})
          if (isCatchAll(route.match)) break
        }
        vhosts.set(host, routes)
      }
    }
  }
  const vhost = chooseVirtualHost([...vhosts.keys()].map((h) => ({domains: [h]})), request.host)
  if (!vhost) {
    hops.push({step: 'virtual-host', ok: false, detail: `no VirtualService bound to ${objectKey(gateway)} serves host ${request.host} in route ${routeConfig}: Envoy answers 404 NR`})
    return {side: side(hops, []), routeConfig}
  }
  const host = vhost.domains[0] as string
  // Istio moves catch-all routes after the specific ones, keeping order otherwise.
  const ordered = [...(vhosts.get(host) ?? [])].sort((a, b) => Number(isCatchAll(a.route.match)) - Number(isCatchAll(b.route.match)))
  hops.push({step: 'virtual-host', ok: true, detail: `route ${routeConfig}, virtual host ${host} (${ordered.length} routes from ${[...new Set(ordered.map((r) => objectKey(r.vs)))].join(', ')})`})
  if (redirected.has(host) && request.scheme !== 'https') {
    hops.push({step: 'route', ok: true, detail: `${objectKey(gateway)} port ${port} has tls.httpsRedirect: 301 to https://${request.host}${request.path}, followed below`})
    const followed = traceResources(snapshot, {...request, scheme: 'https'}, proxy)
    return {side: side([...hops, ...followed.side.hops], followed.side.clusters), routeConfig: followed.routeConfig}
  }
  const matched = ordered.find((r) => istioRouteMatches(r.route.match, request))
  if (!matched) {
    hops.push({step: 'route', ok: false, detail: `no route of host ${host} matches ${request.path}${Object.keys(request.headers).length ? ' with the given headers' : ''}: Envoy answers 404 NR`})
    return {side: side(hops, []), routeConfig}
  }
  const where = `${objectKey(matched.vs)} /spec/http/${matched.index}${matched.route.name ? ` (${matched.route.name})` : ''}`
  if (matched.route.redirect || matched.route.directResponse) {
    hops.push({step: 'route', ok: true, detail: `${where}: ${matched.route.redirect ? `redirect to ${matched.route.redirect.authority ?? ''}${matched.route.redirect.uri ?? ''}` : `direct response ${matched.route.directResponse?.status}`}`})
    return {side: side(hops, []), routeConfig}
  }
  hops.push({step: 'route', ok: true, detail: `${where} (first match in Istio's order)`})
  const namespace = matched.vs.metadata.namespace ?? ''
  const clusters: string[] = []
  const rules = itemsOr(snapshot, 'DestinationRule')
  const destinations = (matched.route.route ?? []).length
  for (const d of matched.route.route ?? []) {
    const destination = d.destination ?? {}
    const weight = destinations > 1 ? ` weight ${d.weight ?? 0}` : ''
    if (!destinationCarriesTraffic(d.weight, destinations)) {
      hops.push(noTrafficHop(`${destination.host}${destination.subset ? ` subset ${destination.subset}` : ''}${weight}`))
      continue
    }
    const ref = serviceRef(destination.host ?? '', namespace)
    const service = ref && services.find((s) => s.metadata.namespace === ref.namespace && s.metadata.name === ref.name)
    if (!service) {
      hops.push({step: 'destination', ok: false, detail: `${destination.host}${weight}: no such Service: Envoy answers 503 (NC)`})
      continue
    }
    const port = destination.port?.number ?? (service.spec?.ports?.length === 1 ? service.spec.ports[0]?.port : undefined)
    const subset = destination.subset ? findSubset(rules, destination.host ?? '', namespace, destination.subset) : undefined
    if (destination.subset && !subset) {
      hops.push({step: 'destination', ok: false, detail: `${destination.host} subset ${destination.subset}${weight}: no DestinationRule defines the subset: 503 NC`})
      continue
    }
    hops.push({step: 'destination', ok: true, detail: `Service ${ref.namespace}/${ref.name}:${port ?? '?'}${destination.subset ? ` subset ${destination.subset}` : ''}${weight}`})
    clusters.push(clusterHops(hops, `outbound|${port ?? ''}|${destination.subset ?? ''}|${serviceFqdn(destination.host ?? '', namespace)}`, endpointPods(service, pods, subset?.subset.labels)))
  }
  return {side: side(hops, clusters), routeConfig}
}

/** A destination left out of Envoy's route (weight 0 beside others): neither compared with Envoy nor able to break the request. */
function noTrafficHop(destination: string): TraceHop {
  return {step: 'destination', ok: true, detail: `${destination}: gets no traffic (istiod leaves it out of the route)`}
}

/** The cluster hop and the endpoints hop of one destination; returns the cluster. */
function clusterHops(hops: TraceHop[], cluster: string, endpoints: Pod[]): string {
  hops.push({step: 'cluster', ok: true, detail: cluster})
  const ready = endpoints.filter(podIsReady)
  hops.push({step: 'endpoints', ok: ready.length > 0, detail: ready.length > 0 ? `${ready.length} ready pods: ${ready.map((p) => p.metadata.name).join(', ')}` : `no ready pod (${endpoints.length} selected): Envoy answers 503 UH`})
  return cluster
}

function endpointPods(service: Service, pods: Pod[], subsetLabels: Record<string, string> | undefined): Pod[] {
  return pods.filter((p) => p.metadata.namespace === service.metadata.namespace && serviceSelects(service.spec?.selector, p.metadata.labels) && labelsMatch(subsetLabels, p.metadata.labels))
}

function traceLive(proxy: GatewayProxy, routeConfigName: string | undefined, request: TraceRequest): TraceSide {
  const hops: TraceHop[] = []
  const config = proxy.config
  if (!config) return side([{step: 'gateway-server', ok: false, detail: `Envoy config of ${proxy.pod.namespace}/${proxy.pod.name} was not read${proxy.unreachable ? ` (${proxy.unreachable.reason})` : ''}`}], [])
  // Offline (--config-dump, no resources) the route config is the first dynamic one with a virtual host for the request.
  const routeConfig = routeConfigName
    ? config.routeConfigs.find((r) => r.name === routeConfigName)
    : config.routeConfigs.find((r) => r.state !== 'static' && chooseVirtualHost(r.virtualHosts, request.host) !== undefined)
  if (!routeConfig) {
    hops.push({step: 'gateway-server', ok: false, detail: `Envoy has no route config ${routeConfigName ?? '(none expected)'}`})
    return side(hops, [])
  }
  hops.push({step: 'gateway-server', ok: true, detail: `route config ${routeConfig.name}${routeConfig.versionInfo ? ` (version ${routeConfig.versionInfo})` : ''}`})
  const vhost = chooseVirtualHost(routeConfig.virtualHosts, request.host)
  if (!vhost) {
    hops.push({step: 'virtual-host', ok: false, detail: `no virtual host for ${request.host}: 404 NR`})
    return side(hops, [])
  }
  hops.push({step: 'virtual-host', ok: true, detail: `${vhost.name} (domains ${vhost.domains.join(', ')})`})
  if (vhost.requireTls === 'ALL' && !routeConfig.name.startsWith('https.')) {
    hops.push({step: 'route', ok: true, detail: `require_tls ALL: a plain-HTTP request gets 301 to https://${request.host}${request.path}`})
    return side(hops, [])
  }
  const index = vhost.routes.findIndex((r) => envoyMatches(r.match, request))
  const route = vhost.routes[index]
  if (!route) {
    hops.push({step: 'route', ok: false, detail: `no route of ${vhost.name} matches ${request.path}: 404 NR`})
    return side(hops, [])
  }
  const origin = route.istioConfig?.replace(/^\/apis\/networking\.istio\.io\/[^/]+\/namespaces\/([^/]+)\/virtual-service\//, '$1/')
  hops.push({step: 'route', ok: true, detail: `route #${index}${route.name ? ` ${route.name}` : ''}${origin ? ` from ${origin}` : ''}`})
  const clusters = route.action.kind === 'cluster' ? [route.action.cluster] : route.action.kind === 'weighted' ? route.action.clusters.filter((c) => c.weight > 0).map((c) => c.name) : []
  if (clusters.length === 0) hops.push({step: 'destination', ok: true, detail: `${route.action.kind} action`})
  for (const cluster of clusters) {
    const known = config.clusters.some((c) => c.name === cluster && c.state !== 'warming')
    hops.push({step: 'cluster', ok: known, detail: known ? cluster : `${cluster} is not in Envoy's clusters: 503 NC`})
    if (!known || !proxy.clusters) continue
    const hosts = proxy.clusters.find((c) => c.name === cluster)?.hosts ?? []
    const healthy = hosts.filter((h) => h.healthy)
    hops.push({step: 'endpoints', ok: healthy.length > 0, detail: healthy.length > 0 ? `${healthy.length}/${hosts.length} healthy: ${healthy.map((h) => h.address).join(', ')}` : `0 healthy of ${hosts.length}: 503 UH`})
  }
  return side(hops, clusters)
}

/** The Gateway API listener the request arrives on, on a Gateway with pods: plain HTTP first, as for Istio's servers. */
function chooseListener(snapshot: Snapshot, request: TraceRequest): {gateway: KubernetesGateway; listener: ListenerSpec} | undefined {
  const pods = itemsOr(snapshot, 'Pod')
  const host = request.host.toLowerCase()
  const candidates = [...itemsOr(snapshot, 'KubernetesGateway')].sort(byCreation).flatMap((gateway) => {
    const hasPods = pods.some((p) => p.metadata.namespace === gateway.metadata.namespace && p.metadata.labels?.['gateway.networking.k8s.io/gateway-name'] === gateway.metadata.name)
    if (!hasPods) return []
    return (gateway.spec?.listeners ?? []).filter((l) => ['HTTP', 'HTTPS'].includes(l.protocol.toUpperCase()) && (!l.hostname || domainMatches(l.hostname, host))).map((listener) => ({gateway, listener}))
  })
  const plainFirst = request.scheme !== 'https'
  const rank = (l: ListenerSpec) => ((l.protocol.toUpperCase() === 'HTTP') === plainFirst ? 0 : 1)
  return candidates.sort((a, b) => rank(a.listener) - rank(b.listener))[0]
}

/** The request through a Gateway API listener: attached HTTPRoutes, the first match in Istio's order, backends, endpoints. */
function traceHttpRoutes(snapshot: Snapshot, request: TraceRequest, arrival: {gateway: KubernetesGateway; listener: ListenerSpec}): TraceSide {
  const {gateway, listener} = arrival
  const hops: TraceHop[] = [{step: 'gateway-server', ok: true, detail: `Gateway API Gateway ${objectKey(gateway)} listener ${listener.name} port ${listener.port} ${listener.protocol}`}]
  const gatewayNamespace = gateway.metadata.namespace ?? ''
  const host = request.host.toLowerCase()
  const attached = [...itemsOr(snapshot, 'HTTPRoute')].sort(byCreation).filter((route) => {
    const parent = routeParents(route).find(
      (p) => p.name === gateway.metadata.name && p.namespace === gatewayNamespace && (!p.sectionName || p.sectionName === listener.name) && (p.port === undefined || p.port === listener.port),
    )
    const hostnames = route.spec?.hostnames ?? []
    return parent !== undefined && parent.accepted?.status !== 'False' && (hostnames.length === 0 || hostnames.some((h) => domainMatches(h, host)))
  })
  if (attached.length === 0) {
    hops.push({step: 'virtual-host', ok: false, detail: `no accepted HTTPRoute attached to ${objectKey(gateway)} listener ${listener.name} serves host ${request.host}: Envoy answers 404 NR`})
    return side(hops, [])
  }
  hops.push({step: 'virtual-host', ok: true, detail: `HTTPRoute${attached.length > 1 ? 's' : ''} ${attached.map(objectKey).join(', ')} on listener ${listener.name}`})
  const candidates = attached
    .flatMap((route) => (route.spec?.rules ?? []).flatMap((rule, index) => httpRouteRuleMatches(rule.matches).map((match) => ({route, rule, index, match}))))
    .sort((a, b) => compareHttpRouteMatches(a.match, b.match))
  const hit = candidates.find((c) => httpRouteMatches(c.match, request))
  if (!hit) {
    hops.push({step: 'route', ok: false, detail: `no rule of ${attached.map(objectKey).join(', ')} matches ${request.path}: 404 NR`})
    return side(hops, [])
  }
  hops.push({step: 'route', ok: true, detail: `${objectKey(hit.route)} /spec/rules/${hit.index} (first match in Istio's order)`})
  const backends = serviceBackends(hit.route, hit.rule)
  if (backends.length === 0) {
    hops.push({step: 'destination', ok: false, detail: 'the rule has no Service backendRefs: the gateway answers 500'})
    return side(hops, [])
  }
  const services = itemsOr(snapshot, 'Service')
  const pods = itemsOr(snapshot, 'Pod')
  const clusters: string[] = []
  for (const backend of backends) {
    const weight = backends.length > 1 ? ` weight ${backend.weight ?? 1}` : ''
    if (!destinationCarriesTraffic(backend.weight ?? 1, backends.length)) {
      hops.push(noTrafficHop(`${backend.namespace}/${backend.name}${weight}`))
      continue
    }
    const service = services.find((s) => s.metadata.namespace === backend.namespace && s.metadata.name === backend.name)
    if (!service) {
      hops.push({step: 'destination', ok: false, detail: `Service ${backend.namespace}/${backend.name}${weight} does not exist: the gateway answers 500`})
      continue
    }
    hops.push({step: 'destination', ok: true, detail: `Service ${backend.namespace}/${backend.name}:${backend.port ?? '?'}${weight}`})
    clusters.push(clusterHops(hops, `outbound|${backend.port ?? ''}||${serviceFqdn(backend.name, backend.namespace)}`, endpointPods(service, pods, undefined)))
  }
  return side(hops, clusters)
}

export function traceRequest(snapshot: Snapshot, request: TraceRequest): RequestTrace {
  const proxies = snapshot.state('GatewayProxy').status === 'ok' ? snapshot.items('GatewayProxy') : []
  const gateways = itemsOr(snapshot, 'Gateway')
  const pods = itemsOr(snapshot, 'Pod')
  const chosen = chooseServer(gateways, pods, request.host)
  // Offline there are no resources to trace: only Envoy's side.
  const offline = snapshot.state('Gateway').status !== 'ok'
  // No Istio Gateway server takes the host: a Gateway API listener may.
  const listener = chosen || offline ? undefined : chooseListener(snapshot, request)
  const gatewayKey = chosen ? objectKey(chosen.gateway) : listener ? objectKey(listener.gateway) : undefined
  const proxy = gatewayKey ? proxies.find((p) => p.gateways.includes(gatewayKey)) : offline ? proxies[0] : undefined
  const {side: resources, routeConfig} = offline ? {side: side([], []), routeConfig: undefined} : listener ? {side: traceHttpRoutes(snapshot, request, listener), routeConfig: undefined} : traceResources(snapshot, request, proxy)
  const result: RequestTrace = {request: {host: request.host, path: request.path, headers: request.headers}, resources}
  if (proxy) {
    const live = {pod: `${proxy.pod.namespace}/${proxy.pod.name}`, ...traceLive(proxy, routeConfig, request)}
    result.live = live
    const want = [...resources.clusters].sort().join(', ')
    const have = [...live.clusters].sort().join(', ')
    if (!offline && (want !== have || Boolean(resources.brokenAt) !== Boolean(live.brokenAt))) {
      result.disagreement = `the resources send this request to ${want || (resources.brokenAt ? `nothing (breaks at ${resources.brokenAt})` : 'no cluster')}, Envoy on ${live.pod} to ${have || (live.brokenAt ? `nothing (breaks at ${live.brokenAt})` : 'no cluster')}: its config is stale or was rejected`
    }
  }
  return result
}
