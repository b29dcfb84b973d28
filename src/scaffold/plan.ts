import type {KubeObject} from '../kube/objects.ts'
import {buildGateway} from '../istio/builders/gateway.ts'
import {buildVirtualService, type HttpRouteRule, type RouteDestination} from '../istio/builders/virtual-service.ts'
import {buildDestinationRule, type TrafficPolicy} from '../istio/builders/destination-rule.ts'
import {buildRateLimitFilter} from '../istio/builders/rate-limit-filter.ts'
import {buildHorizontalPodAutoscaler, buildPodDisruptionBudget} from '../istio/builders/workload-scaling.ts'
import {planEgress} from './plan-egress.ts'
import {planGatewayApi} from './plan-gateway-api.ts'
import {serviceRef} from '../istio/references.ts'
import {serviceKey, type ClusterFacts, type GatewayWorkloadFacts} from './facts.ts'
import {applicationHosts, gatewayHosts, gatewayName, gatewayServers, isPassthrough, rateLimitScope, routeDestinations, toStringMatch, virtualServiceName} from './shorthand.ts'
import type {DestinationRuleSpec, DestinationSpec, RouteSpec, ScaffoldSpec} from './spec.ts'

export interface PlanInput {
  spec: ScaffoldSpec
  facts: ClusterFacts
  /** Namespace of the Gateway, VirtualServices and DestinationRules unless the spec names one. */
  namespace: string
}

/** Port of a destination: given, else the Service's only port (validation made sure), else 80 (client dry run). */
export function destinationPort(destination: DestinationSpec, facts: ClusterFacts, namespace: string): number {
  if (destination.port !== undefined) return destination.port
  const ref = serviceRef(destination.service, namespace)
  const ports = ref ? facts.services.get(serviceKey(ref)) : undefined
  return ports?.length === 1 ? (ports[0]?.port ?? 80) : 80
}

/** Labels selecting a subset's pods: declared, detected on the Service's pods, else version=<subset>. */
export function subsetLabels(host: string, subset: string, declared: Record<string, string> | undefined, facts: ClusterFacts, namespace: string): Record<string, string> {
  if (declared) return declared
  const ref = serviceRef(host, namespace)
  const detected = ref ? facts.subsetLabels.get(`${serviceKey(ref)}/${subset}`) : undefined
  return detected ?? {version: subset}
}

export function retryOnWithCodes(retries: NonNullable<RouteSpec['retries']>): string | undefined {
  // Istio has no retriableStatusCodes field: status codes go in retryOn, which Envoy reads as retriable codes.
  const parts = [...(retries.retryOn ? [retries.retryOn] : []), ...(retries.retriableStatusCodes ?? []).map(String)]
  return parts.length ? parts.join(',') : undefined
}

export function routeTargets(route: RouteSpec, facts: ClusterFacts, namespace: string): RouteDestination[] {
  return routeDestinations(route).map((d) => ({host: d.service, subset: d.subset, port: destinationPort(d, facts, namespace), weight: d.weight}))
}

function httpRule(route: RouteSpec, facts: ClusterFacts, namespace: string): HttpRouteRule {
  const hasMatch = route.match !== undefined || route.headers !== undefined || route.query !== undefined
  const mapValues = (values: RouteSpec['headers'], bare: 'exact') =>
    values ? Object.fromEntries(Object.entries(values).map(([k, v]) => [k, toStringMatch(v, bare)])) : undefined
  return {
    name: route.name,
    match: hasMatch
      ? [{uri: route.match === undefined ? undefined : toStringMatch(route.match, 'prefix'), headers: mapValues(route.headers, 'exact'), queryParams: mapValues(route.query, 'exact')}]
      : undefined,
    route: routeTargets(route, facts, namespace),
    redirect: route.redirect ? {uri: route.redirect.uri, authority: route.redirect.authority, scheme: route.redirect.scheme, redirectCode: route.redirect.code} : undefined,
    rewrite: typeof route.rewrite === 'string' ? {uri: route.rewrite} : route.rewrite,
    timeout: route.timeout,
    retries: route.retries ? {attempts: route.retries.attempts, perTryTimeout: route.retries.perTryTimeout, retryOn: retryOnWithCodes(route.retries)} : undefined,
    headers: route.requestHeaders || route.responseHeaders ? {request: route.requestHeaders, response: route.responseHeaders} : undefined,
  }
}

/** A `host` -> subsets-in-order map of every subset the routes use. */
export function referencedSubsets(spec: ScaffoldSpec): Map<string, string[]> {
  const subsets = new Map<string, string[]>()
  for (const vs of spec.virtualServices ?? []) {
    for (const route of vs.routes) {
      for (const d of routeDestinations(route)) {
        if (!d.subset) continue
        const list = subsets.get(d.service) ?? []
        if (!list.includes(d.subset)) list.push(d.subset)
        subsets.set(d.service, list)
      }
    }
  }
  return subsets
}

/** Declared DestinationRules plus one per service whose subsets are used but not declared. */
export function destinationRuleSpecs(spec: ScaffoldSpec): DestinationRuleSpec[] {
  const declared = spec.destinationRules ?? []
  const used = referencedSubsets(spec)
  const implied = [...used.keys()].filter((host) => !declared.some((dr) => dr.host === host)).map((host) => ({host}))
  return [...declared, ...implied]
}

export function trafficPolicy(dr: DestinationRuleSpec): TrafficPolicy | undefined {
  if (!dr.loadBalancer && !dr.connectionPool && !dr.outlierDetection) return undefined
  return {connectionPool: dr.connectionPool, loadBalancer: dr.loadBalancer ? {simple: dr.loadBalancer} : undefined, outlierDetection: dr.outlierDetection}
}

export function planDestinationRules(spec: ScaffoldSpec, facts: ClusterFacts, namespace: string): KubeObject[] {
  const used = referencedSubsets(spec)
  return destinationRuleSpecs(spec).map((dr) => {
    const subsets = dr.subsets ?? (used.get(dr.host) ?? []).map((name) => ({name, labels: undefined}))
    return buildDestinationRule({
      apiVersion: facts.networkingApiVersion,
      name: dr.name ?? serviceRef(dr.host, namespace)?.name ?? dr.host.replaceAll('.', '-'),
      namespace,
      host: dr.host,
      trafficPolicy: trafficPolicy(dr),
      subsets: subsets.map((s) => ({name: s.name, labels: subsetLabels(dr.host, s.name, s.labels, facts, namespace)})),
    })
  })
}

const unitInterval: Record<string, string> = {s: '1s', m: '1m', h: '1h'}

/** The gateway pods the rate limit, HPA and PDB act on, and the selector that finds them. */
export interface WorkloadTarget {
  selector: Record<string, string>
  namespace: string
  deployment: string
}

export function planWorkloadObjects(spec: ScaffoldSpec, target: WorkloadTarget): KubeObject[] {
  const objects: KubeObject[] = []
  if (spec.rateLimit) {
    const rl = spec.rateLimit
    const [count, unit] = rl.requests ? (rl.requests.split('/') as [string, string]) : []
    const hosts = rateLimitScope(spec) === 'hosts' ? applicationHosts(spec) : undefined
    objects.push(
      buildRateLimitFilter({
        hosts,
        name: rl.name ?? `${spec.name}-ratelimit`,
        namespace: rl.namespace ?? target.namespace,
        workloadSelector: target.selector,
        maxTokens: rl.maxTokens ?? Number(count ?? rl.tokensPerFill ?? 100),
        tokensPerFill: rl.tokensPerFill ?? Number(count ?? rl.maxTokens ?? 100),
        fillInterval: rl.fillInterval ?? unitInterval[unit ?? 's'] ?? '1s',
      }),
    )
  }
  if (spec.hpa) {
    const deployment = spec.hpa.deployment ?? target.deployment
    objects.push(
      buildHorizontalPodAutoscaler({name: spec.hpa.name ?? deployment, namespace: target.namespace, deployment, minReplicas: spec.hpa.min, maxReplicas: spec.hpa.max, cpuUtilization: spec.hpa.cpu}),
    )
  }
  if (spec.pdb) {
    const minAvailable = spec.pdb.minAvailable ?? (spec.pdb.maxUnavailable === undefined ? 1 : undefined)
    objects.push(
      buildPodDisruptionBudget({name: spec.pdb.name ?? target.deployment, namespace: target.namespace, selector: target.selector, minAvailable, maxUnavailable: spec.pdb.maxUnavailable}),
    )
  }
  return objects
}

export function ingressTarget(spec: ScaffoldSpec, workload: GatewayWorkloadFacts): WorkloadTarget {
  return {selector: spec.gateway?.selector ?? workload.selector, namespace: workload.namespace, deployment: workload.deployment}
}

/** Gateway reference as a VirtualService in `namespace` must write it (unqualified only in the same namespace). */
export function gatewayReference(spec: ScaffoldSpec, namespace: string): string {
  const gatewayNamespace = spec.gateway?.namespace ?? namespace
  return gatewayNamespace === namespace ? gatewayName(spec) : `${gatewayNamespace}/${gatewayName(spec)}`
}

function planIstio(input: PlanInput): KubeObject[] {
  const {spec, facts, namespace} = input
  const apiVersion = facts.networkingApiVersion
  const objects: KubeObject[] = []
  if (spec.gateway && !spec.gateway.existing) {
    objects.push(
      buildGateway({
        apiVersion,
        name: gatewayName(spec),
        namespace: spec.gateway.namespace ?? namespace,
        labels: spec.gateway.labels,
        selector: ingressTarget(spec, facts.ingress).selector,
        servers: gatewayServers(spec.gateway).map((s) => ({
          port: {number: s.port, name: s.name, protocol: s.protocol},
          hosts: s.hosts,
          tls: s.tls ? {mode: s.tls.mode, credentialName: s.tls.credential, httpsRedirect: s.tls.httpsRedirect} : undefined,
        })),
      }),
    )
  }
  const passthrough = isPassthrough(spec.gateway)
  for (const [index, vs] of (spec.virtualServices ?? []).entries()) {
    const hosts = vs.hosts ?? gatewayHosts(spec.gateway)
    objects.push(
      buildVirtualService({
        apiVersion,
        name: virtualServiceName(spec, index),
        namespace,
        hosts,
        gateways: [gatewayReference(spec, namespace)],
        http: passthrough ? undefined : vs.routes.map((route) => httpRule(route, facts, namespace)),
        tls: passthrough ? vs.routes.map((route) => ({match: [{port: 443, sniHosts: hosts}], route: routeTargets(route, facts, namespace)})) : undefined,
      }),
    )
  }
  objects.push(...planDestinationRules(spec, facts, namespace))
  objects.push(...planWorkloadObjects(spec, ingressTarget(spec, facts.ingress)))
  return objects
}

/** Spec + cluster facts -> the objects to write, in apply order. Pure; the spec is already validated. */
export function planObjects(input: PlanInput): KubeObject[] {
  const main = input.spec.api === 'gateway-api' ? planGatewayApi(input) : planIstio(input)
  return input.spec.egress ? [...main, ...planEgress(input)] : main
}
