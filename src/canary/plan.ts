import type {GwContext} from '../context.ts'
import {formatDuration, parseDuration} from '../duration.ts'
import {ClusterError, UsageError} from '../errors.ts'
import type {EnvoyPodRef} from '../envoy/admin.ts'
import {servedIstioApis} from '../istio/api-versions.ts'
import {defaultIngressSelector, findGatewayWorkload} from '../istio/gateway-workload.ts'
import type {KubeObject} from '../kube/objects.ts'
import {stagesOf, stageLabel, stageWeights, type CanarySpec, type CustomQuery, type RouteTarget, type SideSelector, type Weights} from './model.ts'
import {shortHost, type LocatedRoute, type TrafficRouter} from './router.ts'

/** From flags to a CanarySpec: pure parsing first (usage errors name the flag), then what the cluster says. */

export interface CanaryFlags {
  target: string
  stable?: string
  canary?: string
  route?: string
  step?: number
  steps?: string
  maxWeight: number
  interval: string
  threshold: number
  minRequests: number
  successRate?: number
  maxLatency?: string
  query: string[]
  compareStable?: boolean
  confidence: number
  maxLatencyRatio: number
  header?: string
  provider: string
  prometheusUrl?: string
  promote: boolean
}

export type CanaryOptions = Omit<CanarySpec, 'target' | 'route' | 'stable' | 'canary' | 'split' | 'sides'> & {
  targetKind: 'VirtualService' | 'HTTPRoute'
  targetName: string
  wanted: {route?: string; stable?: string; canary?: string}
}

const kindAliases: Record<string, 'VirtualService' | 'HTTPRoute'> = {
  virtualservice: 'VirtualService',
  virtualservices: 'VirtualService',
  vs: 'VirtualService',
  'virtualservice.networking.istio.io': 'VirtualService',
  httproute: 'HTTPRoute',
  httproutes: 'HTTPRoute',
  'httproute.gateway.networking.k8s.io': 'HTTPRoute',
}

/** "NAME", "vs/NAME", "virtualservice/NAME" or "httproute/NAME", as kubectl names objects. */
export function parseTarget(text: string): {kind: 'VirtualService' | 'HTTPRoute'; name: string} {
  const slash = text.indexOf('/')
  if (slash < 0) return {kind: 'VirtualService', name: text}
  const kind = kindAliases[text.slice(0, slash).toLowerCase()]
  if (!kind) throw new UsageError(`unknown kind in "${text}"`, {hint: 'name a VirtualService (NAME or vs/NAME) or an HTTPRoute (httproute/NAME)'})
  return {kind, name: text.slice(slash + 1)}
}

export function parseSteps(flags: Pick<CanaryFlags, 'step' | 'steps' | 'maxWeight'>): number[] {
  const max = flags.maxWeight
  if (!Number.isInteger(max) || max < 1 || max > 100) throw new UsageError(`--max-weight ${max} is out of range`, {hint: 'give a whole percentage from 1 to 100'})
  if (flags.step !== undefined && flags.steps !== undefined) throw new UsageError('--step and --steps cannot be used together', {hint: 'give a fixed step (--step 10) or a list (--steps 5,10,25,50)'})
  if (flags.steps !== undefined) {
    const steps = flags.steps.split(',').map((s) => s.trim())
    const numbers = steps.map(Number)
    const bad = steps.find((s, i) => s === '' || !Number.isInteger(numbers[i]) || numbers[i]! < 1 || numbers[i]! > max)
    if (bad !== undefined) throw new UsageError(`--steps: "${bad}" is not a whole percentage from 1 to --max-weight ${max}`, {hint: 'write it like --steps 5,10,25,50'})
    if (numbers.some((n, i) => i > 0 && n <= numbers[i - 1]!)) throw new UsageError(`--steps ${flags.steps} must increase`, {hint: 'write it like --steps 5,10,25,50'})
    return numbers
  }
  const stepSize = flags.step ?? 10
  if (!Number.isInteger(stepSize) || stepSize < 1 || stepSize > max) throw new UsageError(`--step ${stepSize} must be a whole percentage from 1 to --max-weight ${max}`)
  const steps: number[] = []
  for (let w = stepSize; w < max; w += stepSize) steps.push(w)
  steps.push(max)
  return steps
}

/** `NAME=PROMQL<=VALUE` (or `>=`): the last comparison splits the query from its bound. */
export function parseQuery(text: string): CustomQuery {
  const hint = 'write it like --query p95=histogram_quantile(0.95, ...)<=300'
  const eq = text.indexOf('=')
  const name = eq > 0 ? text.slice(0, eq).trim() : ''
  if (!/^[A-Za-z][\w-]*$/.test(name)) throw new UsageError(`--query "${text}": a query needs a NAME= first`, {hint})
  const rest = text.slice(eq + 1)
  const at = Math.max(rest.lastIndexOf('<='), rest.lastIndexOf('>='))
  if (at <= 0) throw new UsageError(`--query "${text}": no <= or >= bound`, {hint})
  const bound = Number(rest.slice(at + 2).trim())
  if (rest.slice(at + 2).trim() === '' || !Number.isFinite(bound)) throw new UsageError(`--query "${text}": the bound "${rest.slice(at + 2)}" is not a number`, {hint})
  return {name, promql: rest.slice(0, at).trim(), op: rest.slice(at, at + 2) as '<=' | '>=', bound}
}

export function parseHeader(text: string): {name: string; value: string} {
  const eq = text.indexOf('=')
  const name = eq > 0 ? text.slice(0, eq).trim().toLowerCase() : ''
  if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name) || eq === text.length - 1) throw new UsageError(`--header "${text}" is not K=V`, {hint: 'write it like --header x-canary=true'})
  return {name, value: text.slice(eq + 1)}
}

export function parseCanaryFlags(flags: CanaryFlags): CanaryOptions {
  const target = parseTarget(flags.target)
  const intervalMs = parseDuration(flags.interval, '--interval')
  if (intervalMs < 100) throw new UsageError(`--interval ${flags.interval} is too short`, {hint: 'give at least 100ms (real runs: 1m)'})
  if (!Number.isInteger(flags.threshold) || flags.threshold < 1) throw new UsageError(`--threshold ${flags.threshold} must be a whole number of failed checks, 1 or more`)
  if (!Number.isInteger(flags.minRequests) || flags.minRequests < 1) throw new UsageError(`--min-requests ${flags.minRequests} must be 1 or more`, {hint: 'a gate judged on zero requests would pass on no traffic'})
  if (flags.successRate !== undefined && !(flags.successRate > 0 && flags.successRate <= 100)) throw new UsageError(`--success-rate ${flags.successRate} must be a percentage above 0 and at most 100`)
  if (!(flags.confidence >= 50 && flags.confidence < 100)) throw new UsageError(`--confidence ${flags.confidence} must be a percentage from 50 to below 100`, {hint: 'the default is 95'})
  if (!(flags.maxLatencyRatio === 0 || flags.maxLatencyRatio >= 1)) throw new UsageError(`--max-latency-ratio ${flags.maxLatencyRatio} must be 1 or more (0 turns the p99 comparison off)`)
  if (!['auto', 'prometheus', 'envoy'].includes(flags.provider)) throw new UsageError(`unknown --provider "${flags.provider}"`, {hint: 'use auto, prometheus or envoy'})
  const queries = flags.query.map(parseQuery)
  if (queries.length > 0 && flags.provider === 'envoy') throw new UsageError('--query needs the prometheus provider', {hint: 'give --prometheus-url, or drop --provider envoy'})
  if (flags.prometheusUrl !== undefined) {
    let url: URL | undefined
    try {
      url = new URL(flags.prometheusUrl)
    } catch {
      url = undefined
    }
    if (!url || !/^https?:$/.test(url.protocol)) throw new UsageError(`--prometheus-url "${flags.prometheusUrl}" is not an http(s) URL`, {hint: 'write it like http://127.0.0.1:9090'})
    if (flags.provider === 'envoy') throw new UsageError('--prometheus-url cannot be used with --provider envoy')
  }
  return {
    targetKind: target.kind,
    targetName: target.name,
    wanted: {route: flags.route, stable: flags.stable, canary: flags.canary},
    steps: parseSteps(flags),
    header: flags.header === undefined ? undefined : parseHeader(flags.header),
    intervalMs,
    threshold: flags.threshold,
    minRequests: flags.minRequests,
    successRate: flags.successRate,
    maxLatencyMs: flags.maxLatency === undefined ? undefined : parseDuration(flags.maxLatency, '--max-latency'),
    queries,
    compareStable: flags.compareStable === undefined ? 'auto' : flags.compareStable ? 'on' : 'off',
    confidence: flags.confidence,
    maxLatencyRatio: flags.maxLatencyRatio,
    provider: flags.provider,
    prometheusUrl: flags.prometheusUrl,
    promote: flags.promote,
    errorLimit: 5,
  }
}

type Json = Record<string, unknown>

/** Where the gateway pods that carry this route are: from the route's Gateways, else the default ingress gateway. */
export async function gatewayPodsFor(ctx: GwContext, object: KubeObject): Promise<EnvoyPodRef[]> {
  const namespace = object.metadata.namespace ?? 'default'
  const spec = (object.spec as Json | undefined) ?? {}
  const selectors: Record<string, string>[] = []
  if (object.kind === 'VirtualService') {
    const apiVersion = object.apiVersion
    for (const ref of (spec.gateways as string[] | undefined) ?? []) {
      if (ref === 'mesh') continue
      const [gwNs, gwName] = ref.includes('/') ? (ref.split('/', 2) as [string, string]) : [namespace, ref]
      const gateway = await ctx.kube.get({apiVersion, kind: 'Gateway', namespace: gwNs, name: gwName}).catch(() => undefined)
      const selector = (gateway?.spec as Json | undefined)?.selector as Record<string, string> | undefined
      if (selector && Object.keys(selector).length > 0) selectors.push(selector)
    }
  } else {
    for (const parent of (spec.parentRefs as Json[] | undefined) ?? []) {
      if (parent.kind !== undefined && parent.kind !== 'Gateway') continue
      selectors.push({'gateway.networking.k8s.io/gateway-name': String(parent.name)})
    }
  }
  if (selectors.length === 0) selectors.push(defaultIngressSelector)
  const pods = new Map<string, EnvoyPodRef>()
  for (const selector of selectors) {
    const workload = await findGatewayWorkload(ctx.kube, selector)
    for (const pod of workload?.pods ?? []) if (pod.ready) pods.set(`${pod.namespace}/${pod.name}`, {namespace: pod.namespace, name: pod.name})
  }
  if (pods.size === 0) throw new ClusterError(`no ready gateway pods carry ${object.kind} ${object.metadata.name}: the envoy provider has nothing to read`, {hint: 'kubectl get pods -n istio-system -l istio=ingressgateway, or give --prometheus-url'})
  return [...pods.values()]
}

/** Subset split: the version label of each subset's pods (DestinationRule), else the subset name. */
async function sideSelectors(ctx: GwContext, object: KubeObject, located: LocatedRoute, warnings: string[]): Promise<{stable: SideSelector; canary: SideSelector}> {
  const namespace = object.metadata.namespace ?? 'default'
  const hostNamespace = (host: string) => {
    const parts = host.split('.')
    return parts.length >= 2 && parts[1] !== 'svc' ? parts[1]! : namespace
  }
  if (located.split === 'host') {
    const side = (host: string): SideSelector => ({service: shortHost(host), namespace: object.kind === 'HTTPRoute' ? namespace : hostNamespace(host)})
    return {stable: side(located.stableHost), canary: side(located.canaryHost)}
  }
  const service = shortHost(located.stableHost)
  const svcNamespace = hostNamespace(located.stableHost)
  const rules = await ctx.kube.list(object.apiVersion, 'DestinationRule', {namespace: svcNamespace}).catch(() => [] as KubeObject[])
  const rule = rules.find((r) => {
    const host = String(((r.spec as Json | undefined) ?? {}).host ?? '')
    return host === located.stableHost || shortHost(host) === service
  })
  const subsets = ((rule?.spec as Json | undefined)?.subsets as {name: string; labels?: Record<string, string>}[] | undefined) ?? []
  const version = (subset: string) => {
    const found = subsets.find((s) => s.name === subset)
    if (!found) {
      warnings.push(`no DestinationRule subset "${subset}" for ${service}: metrics select destination_version="${subset}"`)
      return subset
    }
    return found.labels?.version ?? found.labels?.['app.kubernetes.io/version'] ?? subset
  }
  return {stable: {service, namespace: svcNamespace, version: version(located.stable)}, canary: {service, namespace: svcNamespace, version: version(located.canary)}}
}

export interface CanaryPlan {
  spec: CanarySpec
  /** The route's weights now: abort and rollback restore these. */
  restore: Weights
  located: LocatedRoute
  /** The route object as read for the plan. */
  object: KubeObject
  gatewayPods: EnvoyPodRef[]
  /** Prometheus in the cluster, when `auto` found one and no URL was given. */
  discoveredPrometheus?: {namespace: string; name: string; port: number}
  warnings: string[]
}

/** A Prometheus Service where installs usually put one (Istio's addon, kube-prometheus). */
export async function findPrometheus(ctx: GwContext): Promise<{namespace: string; name: string; port: number} | undefined> {
  for (const namespace of ['istio-system', 'monitoring', 'prometheus']) {
    const services = await ctx.kube.list('v1', 'Service', {namespace}).catch(() => [] as KubeObject[])
    const svc = services.find((s) => /^prometheus(-server|-k8s|-operated)?$/.test(s.metadata.name ?? ''))
    if (!svc) continue
    const ports = ((svc.spec as Json | undefined)?.ports as {name?: string; port: number}[] | undefined) ?? []
    const port = ports.find((p) => p.name === 'http' || p.name === 'web' || p.port === 9090) ?? ports[0]
    if (port) return {namespace, name: svc.metadata.name!, port: port.port}
  }
  return undefined
}

/** The route object the user named, at the API version the cluster serves, and its router. */
export async function resolveTarget(ctx: GwContext, kind: string, name: string, routers: readonly TrafficRouter[]): Promise<{target: RouteTarget; router: TrafficRouter; object: KubeObject}> {
  const namespace = await ctx.namespace()
  const router = routers.find((r) => r.kind === kind)
  if (!router) throw new UsageError(`no traffic router for ${kind}`, {hint: `routers: ${routers.map((r) => r.kind).join(', ')}`})
  let apiVersion: string
  if (router.group === 'networking.istio.io') {
    const served = servedIstioApis(await ctx.kube.discovery())
    if (!served.preferredNetworkingVersion) throw new ClusterError('networking.istio.io is not served: Istio is not installed in this cluster', {hint: 'kubectl get crd virtualservices.networking.istio.io'})
    apiVersion = `networking.istio.io/${served.preferredNetworkingVersion}`
  } else {
    apiVersion = 'gateway.networking.k8s.io/v1'
  }
  const target: RouteTarget = {router: router.name, apiVersion, kind: router.kind, namespace, name}
  const object = await ctx.kube.get(target)
  if (!object) {
    const existing = await ctx.kube.list(apiVersion, router.kind, {namespace}).catch(() => [] as KubeObject[])
    throw new UsageError(`${router.kind} "${name}" not found in namespace "${namespace}"`, {hint: existing.length > 0 ? `${router.kind}s there: ${existing.map((o) => o.metadata.name).join(', ')}` : 'pass -n NAMESPACE'})
  }
  return {target, router, object}
}

export async function planCanary(ctx: GwContext, options: CanaryOptions, routers: readonly TrafficRouter[]): Promise<CanaryPlan> {
  const warnings: string[] = []
  const {target, router, object} = await resolveTarget(ctx, options.targetKind, options.targetName, routers)
  const located = router.locate(object, options.wanted)
  if (located.weights.canary >= options.steps[0]!) {
    throw new UsageError(`the canary "${located.canary}" already has ${located.weights.canary}% on route ${located.label}, at or above the first step (${options.steps[0]}%)`, {hint: 'a promoted route? point the stable at the new version and reset the weights, or give --steps above the current weight'})
  }
  const sides = await sideSelectors(ctx, object, located, warnings)
  const {targetKind: _kind, targetName: _name, wanted: _wanted, ...rest} = options
  let provider = options.provider
  let discoveredPrometheus: CanaryPlan['discoveredPrometheus']
  if (provider === 'auto') {
    if (options.prometheusUrl) provider = 'prometheus'
    else {
      discoveredPrometheus = await findPrometheus(ctx)
      provider = discoveredPrometheus ? 'prometheus' : 'envoy'
    }
  } else if (provider === 'prometheus' && !options.prometheusUrl) {
    discoveredPrometheus = await findPrometheus(ctx)
    if (!discoveredPrometheus) throw new UsageError('--provider prometheus: no --prometheus-url given and no Prometheus Service found (istio-system, monitoring)', {hint: 'give --prometheus-url http://HOST:9090'})
  }
  if (options.queries.length > 0 && provider !== 'prometheus') throw new UsageError('--query needs Prometheus, and none was given or found', {hint: 'give --prometheus-url'})
  const spec: CanarySpec = {...rest, provider, prometheusService: provider === 'prometheus' && !options.prometheusUrl ? discoveredPrometheus : undefined, target, route: located.name, stable: located.stable, canary: located.canary, split: located.split, sides}
  const gatewayPods = provider === 'envoy' ? await gatewayPodsFor(ctx, object) : []
  return {spec, restore: located.weights, located, object, gatewayPods, discoveredPrometheus, warnings}
}

/** What --dry-run prints: the stages, the gates and the rendered queries. */
export interface CanaryPlanView {
  target: RouteTarget
  route: string
  split: string
  stable: string
  canary: string
  weightsNow: Weights
  provider: string
  stages: {stage: number; label: string; weights: Weights; headerRoute: boolean}[]
  gates: string[]
  queries: {name: string; query: string}[]
  warnings: string[]
}

export function describePlan(plan: CanaryPlan, provider: {source: string; describe(spec: CanarySpec, windowMs: number): {name: string; query: string}[]}): CanaryPlanView {
  const {spec} = plan
  const gates = [
    `requests: at least ${spec.minRequests} canary requests per look (fewer: hold, never pass)`,
    ...(spec.successRate !== undefined ? [`success-rate: canary >= ${spec.successRate}%`] : []),
    ...(spec.maxLatencyMs !== undefined ? [`max-latency: canary p99 <= ${formatDuration(spec.maxLatencyMs)}`] : []),
    ...spec.queries.map((q) => `${q.name}: ${q.op} ${q.bound}`),
    ...(spec.compareStable !== 'off'
      ? [
          `error-rate-vs-stable${spec.compareStable === 'auto' ? ' (when both sides have traffic)' : ''}: fails when worse than the stable at ${spec.confidence}% confidence (one-sided Fisher exact, split over the planned looks) and practically worse`,
          ...(spec.maxLatencyRatio > 0 ? [`p99-vs-stable: canary p99 <= ${spec.maxLatencyRatio}x the stable's (needs 1000 requests a side)`] : []),
        ]
      : []),
    `rollback after ${spec.threshold} failed check${spec.threshold === 1 ? '' : 's'}; ${spec.promote ? 'promote to 100% after the last step' : 'hold at the last step (--no-promote)'}`,
  ]
  return {
    target: spec.target,
    route: plan.located.label,
    split: spec.split,
    stable: spec.stable,
    canary: spec.canary,
    weightsNow: plan.restore,
    provider: provider.source,
    stages: stagesOf(spec).map((stage, i) => ({stage: i + 1, label: stageLabel(stage, spec), weights: stageWeights(stage), headerRoute: stage.kind === 'header'})),
    gates,
    queries: provider.describe(spec, spec.intervalMs),
    warnings: plan.warnings,
  }
}

