import type {KubeObject} from '../kube/objects.ts'
import {buildHttpRoute, buildKubeGateway, type HttpRouteFilter, type HttpRouteMatch, type HttpRouteRule, type Listener} from '../istio/builders/gateway-api.ts'
import {serviceRef} from '../istio/references.ts'
import {destinationPort, planDestinationRules, planWorkloadObjects, type PlanInput} from './plan.ts'
import {gatewayHosts, gatewayName, parseMatchText, routeDestinations, virtualServiceName} from './shorthand.ts'
import type {HeaderOperationsSpec, RouteSpec, ScaffoldSpec} from './spec.ts'

const pathTypes = {prefix: 'PathPrefix', exact: 'Exact', regex: 'RegularExpression'} as const
const valueTypes = {exact: 'Exact', regex: 'RegularExpression', prefix: 'Exact'} as const

/** Istio deploys a Gateway API gateway as Deployment `<name>-istio`, pods labelled with the gateway name. */
export function gatewayApiWorkload(spec: ScaffoldSpec, namespace: string): {selector: Record<string, string>; namespace: string; deployment: string} {
  const name = gatewayName(spec)
  return {selector: {'gateway.networking.k8s.io/gateway-name': name}, namespace: spec.gateway?.namespace ?? namespace, deployment: `${name}-istio`}
}

function headerModifier(ops: HeaderOperationsSpec): Record<string, unknown> {
  const pairs = (values?: Record<string, string>) => (values ? Object.entries(values).map(([name, value]) => ({name, value})) : undefined)
  return {add: pairs(ops.add), set: pairs(ops.set), remove: ops.remove}
}

function rule(route: RouteSpec, input: PlanInput): HttpRouteRule {
  const uri = route.match === undefined ? undefined : parseMatchText(route.match, 'prefix')
  const values = (entries: RouteSpec['headers']) =>
    entries
      ? Object.entries(entries).map(([name, v]) => {
          const parsed = parseMatchText(v, 'exact')
          return {type: valueTypes[parsed.kind], name, value: parsed.value}
        })
      : undefined
  const hasMatch = uri || route.headers || route.query
  const matches: HttpRouteMatch[] | undefined = hasMatch
    ? [{path: uri ? {type: pathTypes[uri.kind], value: uri.value} : undefined, headers: values(route.headers), queryParams: values(route.query)}]
    : undefined
  const filters: HttpRouteFilter[] = []
  const rewrite = typeof route.rewrite === 'string' ? {uri: route.rewrite} : route.rewrite
  if (rewrite) {
    const path =
      rewrite.uri === undefined
        ? undefined
        : uri?.kind === 'prefix'
          ? {type: 'ReplacePrefixMatch' as const, replacePrefixMatch: rewrite.uri}
          : {type: 'ReplaceFullPath' as const, replaceFullPath: rewrite.uri}
    filters.push({type: 'URLRewrite', urlRewrite: {hostname: rewrite.authority, path}})
  }
  if (route.redirect) {
    const r = route.redirect
    filters.push({
      type: 'RequestRedirect',
      requestRedirect: {scheme: r.scheme, hostname: r.authority, statusCode: r.code ?? 301, path: r.uri ? {type: 'ReplaceFullPath', replaceFullPath: r.uri} : undefined},
    })
  }
  if (route.requestHeaders) filters.push({type: 'RequestHeaderModifier', requestHeaderModifier: headerModifier(route.requestHeaders)})
  if (route.responseHeaders) filters.push({type: 'ResponseHeaderModifier', responseHeaderModifier: headerModifier(route.responseHeaders)})
  return {
    matches,
    filters,
    backendRefs: route.redirect
      ? undefined
      : routeDestinations(route).map((d) => {
          const ref = serviceRef(d.service, input.namespace)
          return {
            name: ref?.name ?? d.service,
            namespace: ref && ref.namespace !== input.namespace ? ref.namespace : undefined,
            port: destinationPort(d, input.facts, input.namespace),
            weight: d.weight,
          }
        }),
    timeouts: route.timeout ? {request: route.timeout} : undefined,
  }
}

/** `--api gateway-api`: a Gateway API Gateway (class istio) and one HTTPRoute per VirtualService spec. */
export function planGatewayApi(input: PlanInput): KubeObject[] {
  const {spec, namespace} = input
  const gateway = spec.gateway
  const name = gatewayName(spec)
  const gatewayNamespace = gateway?.namespace ?? namespace
  const hosts = gatewayHosts(gateway)
  const hostname = hosts.length === 1 ? hosts[0] : undefined
  const tls = gateway?.tls ?? 'none'
  const secureSection = tls === 'none' ? 'http' : 'https'
  const objects: KubeObject[] = []
  if (gateway && !gateway.existing) {
    const listeners: Listener[] = []
    if (tls === 'none' || gateway.httpsRedirect) listeners.push({name: 'http', hostname, port: 80, protocol: 'HTTP'})
    if (tls !== 'none') {
      listeners.push({name: 'https', hostname, port: 443, protocol: 'HTTPS', tls: {mode: 'Terminate', certificateRefs: [{kind: 'Secret', name: gateway.credential ?? ''}]}})
    }
    objects.push(buildKubeGateway({name, namespace: gatewayNamespace, labels: gateway.labels, gatewayClassName: 'istio', listeners}))
    if (tls !== 'none' && gateway.httpsRedirect) {
      objects.push(
        buildHttpRoute({
          name: `${name}-https-redirect`,
          namespace: gatewayNamespace,
          parentRefs: [{name, sectionName: 'http'}],
          hostnames: hosts,
          rules: [{filters: [{type: 'RequestRedirect', requestRedirect: {scheme: 'https', statusCode: 301}}]}],
        }),
      )
    }
  }
  for (const [index, vs] of (spec.virtualServices ?? []).entries()) {
    objects.push(
      buildHttpRoute({
        name: virtualServiceName(spec, index),
        namespace,
        parentRefs: [{name, namespace: gatewayNamespace === namespace ? undefined : gatewayNamespace, sectionName: gateway?.existing ? undefined : secureSection}],
        hostnames: vs.hosts ?? hosts,
        rules: vs.routes.map((route) => rule(route, input)),
      }),
    )
  }
  objects.push(...planDestinationRules(spec, input.facts, namespace))
  objects.push(...planWorkloadObjects(spec, gatewayApiWorkload(spec, namespace)))
  return objects
}
