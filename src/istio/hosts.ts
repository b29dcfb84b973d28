/** Istio's and Envoy's host rules: Gateway host namespaces, wildcard intersection, TLS SAN coverage, virtual host choice. */

/** A Gateway server host is `host`, `ns/host`, `./host` or `* /host` (no space); the namespace part scopes which VirtualServices may bind. */
export function splitGatewayHost(entry: string, gatewayNamespace: string): {namespace: string; host: string} {
  const slash = entry.indexOf('/')
  if (slash < 0) return {namespace: '*', host: entry}
  const namespace = entry.slice(0, slash)
  return {namespace: namespace === '.' ? gatewayNamespace : namespace, host: entry.slice(slash + 1)}
}

/** The host part of a Gateway host entry. */
export function gatewayHostName(entry: string): string {
  const slash = entry.indexOf('/')
  return slash < 0 ? entry : entry.slice(slash + 1)
}

/** Whether some request host would match both patterns (Istio binds a VirtualService host that intersects a Gateway host). */
export function hostsIntersect(a: string, b: string): boolean {
  return hostIntersection(a, b) !== undefined
}

/**
 * The hosts two patterns have in common, as Istio's `host.Names.Intersection` computes it: the
 * more specific of the pair, or undefined. `*` matches everything; `*.example.com` matches any
 * name ending in `.example.com`.
 */
export function hostIntersection(a: string, b: string): string | undefined {
  const x = a.toLowerCase()
  const y = b.toLowerCase()
  if (x === y) return x
  if (x === '*') return y
  if (y === '*') return x
  const covers = (wild: string, other: string) => wild.startsWith('*.') && other.endsWith(wild.slice(1))
  if (covers(x, y)) return y
  if (covers(y, x)) return x
  return undefined
}

/**
 * Whether a Gateway host is served by a certificate with these SANs, by the TLS rules
 * (RFC 6125): `*.example.com` matches exactly one label, never the apex; a wildcard Gateway
 * host is only covered by the same wildcard SAN. Returns undefined for hosts no certificate
 * can name (`*`), which are not a mismatch.
 */
export function hostCoveredBy(gatewayHost: string, sans: string[]): boolean | undefined {
  const host = gatewayHostName(gatewayHost).toLowerCase()
  if (host === '*') return undefined
  const names = sans.map((s) => s.toLowerCase())
  if (names.includes(host)) return true
  if (host.startsWith('*.')) return false
  const dot = host.indexOf('.')
  return dot > 0 && names.includes(`*${host.slice(dot)}`)
}

/** Envoy's domain match: exact, `*suffix` / `prefix*` with the `*` covering at least one character, or `*`. */
export function domainMatches(domain: string, host: string): boolean {
  const d = domain.toLowerCase()
  if (d === '*' || d === host) return true
  if (d.startsWith('*')) return host.length > d.length - 1 && host.endsWith(d.slice(1))
  if (d.endsWith('*')) return host.length > d.length - 1 && host.startsWith(d.slice(0, -1))
  return false
}

/**
 * The virtual host Envoy picks for a request host (route_components.proto "Domain search order"):
 * the port is cut (Istio sets ignore_port_in_host_matching), exact first, then the longest suffix
 * wildcard, then the longest prefix wildcard, then `*`. No fallthrough to another virtual host.
 */
export function chooseVirtualHost<V extends {domains: string[]}>(virtualHosts: V[], requestHost: string): V | undefined {
  const host = requestHost.toLowerCase().replace(/:\d+$/, '')
  const exact = virtualHosts.find((v) => v.domains.some((d) => d.toLowerCase() === host))
  if (exact) return exact
  const best = (kind: 'suffix' | 'prefix') => {
    let found: {vhost: V; length: number} | undefined
    for (const vhost of virtualHosts) {
      for (const domain of vhost.domains) {
        if (domain === '*') continue
        const matches = kind === 'suffix' ? domain.startsWith('*') : domain.endsWith('*') && !domain.startsWith('*')
        if (matches && domainMatches(domain, host) && (!found || domain.length > found.length)) found = {vhost, length: domain.length}
      }
    }
    return found?.vhost
  }
  return best('suffix') ?? best('prefix') ?? virtualHosts.find((v) => v.domains.includes('*'))
}
