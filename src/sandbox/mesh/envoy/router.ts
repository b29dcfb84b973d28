/**
 * Envoy's HTTP routing over a pushed RouteConfiguration, for real requests: virtual host by
 * :authority (exact, longest suffix wildcard, longest prefix wildcard, then "*"), require_tls,
 * then the vhost's routes in order, first match wins (path specifier, headers, query parameters),
 * and the route's action. Follows envoy source/common/router/config_impl.cc and
 * source/common/http/header_utility.cc as ../shared/reference/envoy-route-matching.md reads them.
 */

type Json = Record<string, unknown>

const asObject = (value: unknown): Json => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {})

/** Envoy's virtual host selection: exact domain, then longest suffix wildcard, then longest prefix wildcard, then "*". */
export function matchVirtualHost(vhosts: Json[], host: string): Json | undefined {
  const h = host.toLowerCase()
  let best: {vhost: Json; rank: number; len: number} | undefined
  for (const vhost of vhosts) {
    for (const d of (vhost.domains as string[]) ?? []) {
      const domain = d.endsWith(':*') ? d.slice(0, -2) : d
      let rank = -1
      if (domain === h) rank = 3
      else if (domain.startsWith('*') && domain !== '*' && h.endsWith(domain.slice(1)) && h.length > domain.length - 1) rank = 2
      else if (domain.endsWith('*') && domain !== '*' && h.startsWith(domain.slice(0, -1)) && h.length > domain.length - 1) rank = 1
      else if (domain === '*') rank = 0
      if (rank < 0) continue
      if (!best || rank > best.rank || (rank === best.rank && domain.length > best.len)) best = {vhost, rank, len: domain.length}
    }
  }
  return best?.vhost
}

/** The request as the router sees it: header names lower-case, :path with its query. */
export interface RoutedRequest {
  method: string
  /** :path, query included. */
  path: string
  authority: string
  scheme: 'http' | 'https'
  headers: Record<string, string>
}

const regexCache = new Map<string, RegExp | null>()

/** RE2 full match; a pattern JavaScript cannot compile never matches (istiod would have rejected it). */
export function fullMatch(pattern: string, value: string): boolean {
  let re = regexCache.get(pattern)
  if (re === undefined) {
    try {
      re = new RegExp(`^(?:${pattern})$`)
    } catch {
      re = null
    }
    regexCache.set(pattern, re)
  }
  return re !== null && re.test(value)
}

function stringMatches(matcher: Json, value: string): boolean {
  const ignoreCase = matcher.ignore_case === true
  const v = ignoreCase ? value.toLowerCase() : value
  const cmp = (s: unknown) => (ignoreCase ? String(s).toLowerCase() : String(s))
  if (typeof matcher.exact === 'string') return v === cmp(matcher.exact)
  if (typeof matcher.prefix === 'string') return v.startsWith(cmp(matcher.prefix))
  if (typeof matcher.suffix === 'string') return v.endsWith(cmp(matcher.suffix))
  if (typeof matcher.contains === 'string') return v.includes(cmp(matcher.contains))
  const regex = asObject(matcher.safe_regex)
  if (typeof regex.regex === 'string') return fullMatch(regex.regex, value)
  return false
}

export function splitPath(path: string): {pathOnly: string; query: URLSearchParams} {
  const cut = path.search(/[?#]/)
  if (cut < 0) return {pathOnly: path, query: new URLSearchParams()}
  const hash = path.indexOf('#')
  const queryText = path[cut] === '?' ? path.slice(cut + 1, hash > cut ? hash : undefined) : ''
  return {pathOnly: path.slice(0, cut), query: new URLSearchParams(queryText)}
}

function headerValue(request: RoutedRequest, name: string): string | undefined {
  if (name === ':method') return request.method
  if (name === ':authority') return request.authority
  if (name === ':scheme') return request.scheme
  if (name === ':path') return request.path
  return request.headers[name]
}

function headerMatches(matcher: Json, request: RoutedRequest): boolean {
  const value = headerValue(request, String(matcher.name ?? '').toLowerCase())
  const invert = matcher.invert_match === true
  let result: boolean
  if (value === undefined) {
    if (matcher.treat_missing_header_as_empty === true && matcher.string_match) result = stringMatches(asObject(matcher.string_match), '')
    else return invert
  } else if (matcher.present_match !== undefined) result = matcher.present_match === true
  else if (matcher.string_match) result = stringMatches(asObject(matcher.string_match), value)
  else if (typeof matcher.exact_match === 'string') result = value === matcher.exact_match
  else if (matcher.range_match) {
    const range = asObject(matcher.range_match)
    const n = /^-?\d+$/.test(value) ? Number(value) : Number.NaN
    result = n >= Number(range.start) && n < Number(range.end)
  } else result = true
  return invert ? !result : result
}

/** Whether a route's match (path specifier, headers, query parameters) accepts the request. */
export function routeMatches(match: Json, request: RoutedRequest): boolean {
  const {pathOnly, query} = splitPath(request.path)
  const caseSensitive = match.case_sensitive !== false
  const path = caseSensitive ? pathOnly : pathOnly.toLowerCase()
  const fold = (s: string) => (caseSensitive ? s : s.toLowerCase())
  if (typeof match.prefix === 'string') {
    if (!path.startsWith(fold(match.prefix))) return false
  } else if (typeof match.path === 'string') {
    if (path !== fold(match.path)) return false
  } else if (match.safe_regex !== undefined) {
    if (!fullMatch(String(asObject(match.safe_regex).regex ?? ''), pathOnly)) return false
  } else if (typeof match.path_separated_prefix === 'string') {
    const prefix = fold(match.path_separated_prefix)
    if (!(path === prefix || path.startsWith(`${prefix}/`))) return false
  } else if (match.connect_matcher !== undefined) {
    if (request.method !== 'CONNECT') return false
  } else return false
  for (const header of (match.headers as Json[] | undefined) ?? []) if (!headerMatches(header, request)) return false
  for (const q of (match.query_parameters as Json[] | undefined) ?? []) {
    const value = query.get(String(q.name))
    if (value === null) return false
    if (q.present_match === true) continue
    if (q.string_match && !stringMatches(asObject(q.string_match), value)) return false
  }
  return true
}

export type RouteChoice =
  | {kind: 'no_vhost'}
  | {kind: 'no_route'; vhost: Json}
  | {kind: 'require_tls'; vhost: Json; location: string}
  | {kind: 'route'; vhost: Json; route: Json; index: number}

/** Picks the virtual host and the first matching route, as Envoy's RouteMatcher does. */
export function chooseRoute(config: Json, request: RoutedRequest): RouteChoice {
  const vhosts = (config.virtual_hosts as Json[] | undefined) ?? []
  const host = config.ignore_port_in_host_matching === true ? stripPort(request.authority) : request.authority
  const vhost = matchVirtualHost(vhosts, host)
  if (!vhost) return {kind: 'no_vhost'}
  const forwardedProto = request.headers['x-forwarded-proto'] ?? request.scheme
  if (vhost.require_tls === 'ALL' && forwardedProto !== 'https') return {kind: 'require_tls', vhost, location: `https://${request.authority}${request.path}`}
  const routes = (vhost.routes as Json[] | undefined) ?? []
  const index = routes.findIndex((route) => routeMatches(asObject(route.match), request))
  return index < 0 ? {kind: 'no_route', vhost} : {kind: 'route', vhost, route: routes[index]!, index}
}

export function stripPort(authority: string): string {
  if (authority.startsWith('[')) {
    const end = authority.indexOf(']')
    return end > 0 ? authority.slice(0, end + 1) : authority
  }
  const colon = authority.lastIndexOf(':')
  return colon > 0 && /^\d+$/.test(authority.slice(colon + 1)) ? authority.slice(0, colon) : authority
}

/** The path after prefix_rewrite / regex_rewrite (query kept), or undefined when the route rewrites nothing. */
export function rewrittenPath(route: Json, action: Json, path: string): string | undefined {
  const {pathOnly} = splitPath(path)
  const rest = path.slice(pathOnly.length)
  const match = asObject(route.match)
  if (typeof action.prefix_rewrite === 'string') {
    const matched = typeof match.prefix === 'string' ? match.prefix : typeof match.path === 'string' ? match.path : typeof match.path_separated_prefix === 'string' ? match.path_separated_prefix : ''
    return `${action.prefix_rewrite}${pathOnly.slice(matched.length)}${rest}`
  }
  const regexRewrite = asObject(action.regex_rewrite)
  const pattern = asObject(regexRewrite.pattern).regex
  if (typeof pattern === 'string') {
    let re: RegExp
    try {
      re = new RegExp(pattern, 'g')
    } catch {
      return undefined
    }
    // RE2 substitutions write \1; JavaScript writes $1.
    const substitution = String(regexRewrite.substitution ?? '').replace(/\$/g, '$$$$').replace(/\\(\d)/g, '$$$1')
    return `${pathOnly.replace(re, substitution)}${rest}`
  }
  return undefined
}

const redirectCodes: Record<string, number> = {MOVED_PERMANENTLY: 301, FOUND: 302, SEE_OTHER: 303, TEMPORARY_REDIRECT: 307, PERMANENT_REDIRECT: 308}

/** A redirect route's status and Location (RouteEntryImplBase::newUri). */
export function redirectTarget(route: Json, request: RoutedRequest, listenerPort: number): {status: number; location: string} {
  const redirect = asObject(route.redirect)
  const scheme = typeof redirect.scheme_redirect === 'string' ? redirect.scheme_redirect : redirect.https_redirect === true ? 'https' : request.scheme
  let host = typeof redirect.host_redirect === 'string' ? redirect.host_redirect : stripPort(request.authority)
  const givenPort = request.authority.slice(stripPort(request.authority).length + 1)
  let port = typeof redirect.port_redirect === 'number' ? String(redirect.port_redirect) : typeof redirect.host_redirect === 'string' ? '' : givenPort
  if (redirect.derive_port === 'FROM_REQUEST_PORT' || asObject(redirect).derivePort === 'FROM_REQUEST_PORT') port = String(listenerPort)
  // Envoy drops a port that is the default of the scheme it redirects to.
  if ((scheme === 'https' && port === '443') || (scheme === 'http' && port === '80') || (scheme !== request.scheme && port === (request.scheme === 'https' ? '443' : '80'))) port = ''
  if (port) host = `${host}:${port}`
  let path = typeof redirect.path_redirect === 'string' ? redirect.path_redirect : request.path
  if (typeof redirect.prefix_rewrite === 'string') path = rewrittenPath(route, {prefix_rewrite: redirect.prefix_rewrite}, request.path) ?? path
  if (redirect.strip_query === true) path = splitPath(path).pathOnly
  else if (typeof redirect.path_redirect === 'string' && !redirect.path_redirect.includes('?')) path += request.path.slice(splitPath(request.path).pathOnly.length)
  return {status: redirectCodes[String(redirect.response_code)] ?? 301, location: `${scheme}://${host}${path}`}
}

/** weighted_clusters: random in [0, sum) walked over cumulative weights (pickCluster). */
export function pickWeightedCluster(action: Json, random: () => number): string | undefined {
  if (typeof action.cluster === 'string') return action.cluster
  const clusters = (asObject(action.weighted_clusters).clusters as {name: string; weight: number}[] | undefined) ?? []
  const total = clusters.reduce((sum, c) => sum + Number(c.weight ?? 0), 0)
  if (total <= 0) return clusters[0]?.name
  let point = Math.floor(random() * total)
  for (const c of clusters) {
    point -= Number(c.weight ?? 0)
    if (point < 0) return c.name
  }
  return clusters.at(-1)?.name
}

/** "1.500s" -> 1500 (protobuf JSON durations). */
export function durationMs(value: unknown): number {
  if (typeof value !== 'string') return 0
  const m = /^(\d+(?:\.\d+)?)s$/.exec(value)
  return m ? Math.round(Number(m[1]) * 1000) : 0
}
