import type {StringMatch} from '../istio/builders/virtual-service.ts'
import type {DestinationSpec, GatewaySpec, RouteSpec, ScaffoldSpec, ServerSpec, StringMatchSpec} from './spec.ts'

export type MatchKind = 'exact' | 'prefix' | 'regex'

/** `exact:/health` -> {exact: "/health"}; a bare value takes `bare` (prefix for paths, exact for headers). */
export function parseMatchText(value: string | StringMatchSpec, bare: MatchKind): {kind: MatchKind; value: string} {
  if (typeof value !== 'string') {
    const [kind, text] = Object.entries(value)[0] as [MatchKind, string]
    return {kind, value: text}
  }
  const match = value.match(/^(exact|prefix|regex):(.*)$/s)
  if (match) return {kind: match[1] as MatchKind, value: match[2] as string}
  return {kind: bare, value}
}

export function toStringMatch(value: string | StringMatchSpec, bare: MatchKind): StringMatch {
  const {kind, value: text} = parseMatchText(value, bare)
  return {[kind]: text}
}

/** `svc`, `svc:8080` -> {service, port}. */
export function parseDestinationText(text: string): DestinationSpec {
  const match = text.match(/^([^:]+?)(?::(\d+))?$/)
  return match?.[2] ? {service: match[1] as string, port: Number(match[2])} : {service: text}
}

export function routeDestinations(route: RouteSpec): DestinationSpec[] {
  if (route.to === undefined) return []
  const list = typeof route.to === 'string' ? [route.to] : route.to
  return list.map((d) => (typeof d === 'string' ? parseDestinationText(d) : d))
}

export function gatewayName(spec: ScaffoldSpec): string {
  return spec.gateway?.name ?? `${spec.name}-gateway`
}

export function virtualServiceName(spec: ScaffoldSpec, index: number): string {
  const declared = spec.virtualServices?.[index]?.name
  if (declared) return declared
  return index === 0 ? spec.name : `${spec.name}-${index + 1}`
}

/** The servers a Gateway spec stands for: explicit ones, or those its hosts / tls / httpsRedirect imply. */
export interface ResolvedServer {
  port: number
  name: string
  protocol: 'HTTP' | 'HTTPS' | 'TLS'
  hosts: string[]
  tls?: ServerSpec['tls']
}

export function gatewayServers(gateway: GatewaySpec | undefined): ResolvedServer[] {
  if (!gateway) return []
  if (gateway.servers) {
    return gateway.servers.map((s) => {
      const protocol = s.protocol ?? (s.tls?.mode === 'PASSTHROUGH' ? 'TLS' : s.tls?.mode ? 'HTTPS' : 'HTTP')
      return {port: s.port, name: s.name ?? protocol.toLowerCase(), protocol, hosts: s.hosts, tls: s.tls}
    })
  }
  const hosts = gateway.hosts ?? []
  const tls = gateway.tls ?? 'none'
  if (tls === 'none') return [{port: 80, name: 'http', protocol: 'HTTP', hosts}]
  const secure =
    tls === 'passthrough'
      ? {port: 443, name: 'tls', protocol: 'TLS' as const, hosts, tls: {mode: 'PASSTHROUGH' as const}}
      : {port: 443, name: 'https', protocol: 'HTTPS' as const, hosts, tls: {mode: tls === 'mutual' ? ('MUTUAL' as const) : ('SIMPLE' as const), credential: gateway.credential}}
  const redirect = gateway.httpsRedirect ? [{port: 80, name: 'http', protocol: 'HTTP' as const, hosts, tls: {httpsRedirect: true}}] : []
  return [secure, ...redirect]
}

/** Every host any server of the Gateway accepts. */
export function gatewayHosts(gateway: GatewaySpec | undefined): string[] {
  return [...new Set(gatewayServers(gateway).flatMap((s) => s.hosts))]
}

/** A passthrough Gateway routes by SNI (VirtualService `tls:` rules), not by HTTP. */
export function isPassthrough(gateway: GatewaySpec | undefined): boolean {
  return gatewayServers(gateway).some((s) => s.tls?.mode === 'PASSTHROUGH')
}

/** A rate limit covers the application's hosts unless it is asked for the whole gateway (or there is no application). */
export function rateLimitScope(spec: ScaffoldSpec): 'hosts' | 'gateway' {
  return spec.rateLimit?.scope ?? (spec.gateway ? 'hosts' : 'gateway')
}

/** The request hosts this scaffold serves: its VirtualServices' hosts (by default the Gateway's). */
export function applicationHosts(spec: ScaffoldSpec): string[] {
  const hosts = spec.virtualServices?.length ? spec.virtualServices.flatMap((vs) => vs.hosts ?? gatewayHosts(spec.gateway)) : gatewayHosts(spec.gateway)
  return [...new Set(hosts.map((h) => h.replace(/^[^/]*\//, '')))]
}
