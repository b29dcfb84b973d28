/**
 * Request matching as Istio writes it (VirtualService HTTPMatchRequest) and as Envoy runs it
 * (RouteMatch): path without query, RE2-style full matches for regexes, case-insensitive header
 * names; first match wins (../shared/reference/envoy-route-matching.md sections 3 and 6).
 */
import type {EnvoyRouteMatch, HeaderMatcher} from '../envoy/config-dump.ts'
import type {HttpMatchRequest, StringMatch} from './types.ts'

export interface TraceRequest {
  host: string
  /** Path with optional query. */
  path: string
  /** Lower-cased header names. */
  headers: Record<string, string>
  method?: string
  scheme?: string
}

const pathOnly = (path: string) => path.replace(/[?#].*$/, '')

function fullMatch(pattern: string, value: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`).test(value)
  } catch {
    return false
  }
}

function stringMatches(match: StringMatch, value: string | undefined, ignoreCase = false): boolean {
  if (value === undefined) return false
  const v = ignoreCase ? value.toLowerCase() : value
  if (match.exact !== undefined) return v === (ignoreCase ? match.exact.toLowerCase() : match.exact)
  if (match.prefix !== undefined) return v.startsWith(ignoreCase ? match.prefix.toLowerCase() : match.prefix)
  if (match.regex !== undefined) return match.regex === '*' || fullMatch(match.regex, value)
  // An empty match means "present".
  return true
}

/** One Istio match block (all its conditions); a route with no match blocks matches everything. */
export function istioMatches(match: HttpMatchRequest, request: TraceRequest): boolean {
  if (match.uri && !stringMatches(match.uri, pathOnly(request.path), match.ignoreUriCase)) return false
  if (match.authority && !stringMatches(match.authority, request.host)) return false
  if (match.method && !stringMatches(match.method, request.method ?? 'GET')) return false
  if (match.scheme && !stringMatches(match.scheme, request.scheme ?? 'http')) return false
  for (const [name, m] of Object.entries(match.headers ?? {})) if (!stringMatches(m, request.headers[name.toLowerCase()])) return false
  for (const [name, m] of Object.entries(match.withoutHeaders ?? {})) if (stringMatches(m, request.headers[name.toLowerCase()])) return false
  const query = new URLSearchParams(request.path.includes('?') ? request.path.slice(request.path.indexOf('?') + 1) : '')
  for (const [name, m] of Object.entries(match.queryParams ?? {})) if (!stringMatches(m, query.get(name) ?? undefined)) return false
  return true
}

/** Whether a route's match list accepts the request (any block; none = all). */
export function istioRouteMatches(matches: HttpMatchRequest[] | undefined, request: TraceRequest): boolean {
  return !matches || matches.length === 0 || matches.some((m) => istioMatches(m, request))
}

/** A route that matches everything (Istio moves these after specific routes; routes after one in a VS are dropped). */
export function isCatchAll(matches: HttpMatchRequest[] | undefined): boolean {
  if (!matches || matches.length === 0) return true
  return matches.some((m) => {
    const uri = m.uri
    const uriAll = !uri || uri.prefix === '/' || uri.regex === '.*' || uri.regex === '/.*'
    return uriAll && !m.headers && !m.queryParams && !m.withoutHeaders && !m.method && !m.authority && !m.scheme
  })
}

function headerMatches(matcher: HeaderMatcher, headers: Record<string, string>): boolean {
  const value = matcher.name === ':authority' ? headers.host : headers[matcher.name]
  let result: boolean
  if (matcher.present !== undefined) result = value !== undefined
  else if (value === undefined) result = false
  else {
    const v = matcher.ignoreCase ? value.toLowerCase() : value
    const cmp = (s: string | undefined) => (s === undefined ? undefined : matcher.ignoreCase ? s.toLowerCase() : s)
    if (matcher.exact !== undefined) result = v === cmp(matcher.exact)
    else if (matcher.prefix !== undefined) result = v.startsWith(cmp(matcher.prefix) as string)
    else if (matcher.suffix !== undefined) result = v.endsWith(cmp(matcher.suffix) as string)
    else if (matcher.contains !== undefined) result = v.includes(cmp(matcher.contains) as string)
    else if (matcher.regex !== undefined) result = fullMatch(matcher.regex, value)
    else result = true
  }
  return matcher.invert ? !result : result
}

/** Envoy's RouteMatch: path specifier (query stripped), then every header and query matcher. */
export function envoyMatches(match: EnvoyRouteMatch, request: TraceRequest): boolean {
  const path = pathOnly(request.path)
  const p = match.caseSensitive ? path : path.toLowerCase()
  const c = (s: string) => (match.caseSensitive ? s : s.toLowerCase())
  if (match.prefix !== undefined && !p.startsWith(c(match.prefix))) return false
  if (match.path !== undefined && p !== c(match.path)) return false
  if (match.regex !== undefined && !fullMatch(match.regex, path)) return false
  if (match.pathSeparatedPrefix !== undefined) {
    const prefix = c(match.pathSeparatedPrefix)
    if (!(p === prefix || p.startsWith(`${prefix}/`))) return false
  }
  const headers = {...request.headers, host: request.host, ':method': request.method ?? 'GET', ':path': request.path}
  if (!match.headers.every((h) => headerMatches(h, headers))) return false
  const query = new URLSearchParams(request.path.includes('?') ? request.path.slice(request.path.indexOf('?') + 1) : '')
  return match.queryParameters.every((q) => {
    const value = query.get(q.name)
    if (value === null) return false
    if (q.present) return true
    if (q.exact !== undefined) return value === q.exact
    if (q.regex !== undefined) return fullMatch(q.regex, value)
    return true
  })
}

/** A Gateway API HTTPRouteMatch (path, headers, method); none on a rule means PathPrefix "/". */
export interface HttpRouteMatch {
  path?: {type?: string; value?: string}
  headers?: {type?: string; name: string; value: string}[]
  method?: string
}

const defaultRouteMatch: HttpRouteMatch = {path: {type: 'PathPrefix', value: '/'}}

/** A rule's matches, with the default a rule without any gets. */
export const httpRouteRuleMatches = (matches: HttpRouteMatch[] | undefined): HttpRouteMatch[] => (matches && matches.length > 0 ? matches : [defaultRouteMatch])

/** Whether one Gateway API match accepts the request: PathPrefix by whole path segments, regexes as full matches. */
export function httpRouteMatches(match: HttpRouteMatch, request: TraceRequest): boolean {
  const path = pathOnly(request.path)
  const type = match.path?.type ?? 'PathPrefix'
  const value = match.path?.value ?? '/'
  if (type === 'Exact' && path !== value) return false
  if (type === 'PathPrefix') {
    const prefix = value.length > 1 ? value.replace(/\/+$/, '') : value
    if (prefix !== '/' && path !== prefix && !path.startsWith(`${prefix}/`)) return false
  }
  if (type === 'RegularExpression' && !fullMatch(value, path)) return false
  if (match.method && match.method !== (request.method ?? 'GET')) return false
  for (const header of match.headers ?? []) {
    const got = request.headers[header.name.toLowerCase()]
    if (got === undefined || ((header.type ?? 'Exact') === 'Exact' ? got !== header.value : !fullMatch(header.value, got))) return false
  }
  return true
}

const pathRank: Record<string, number> = {Exact: 3, PathPrefix: 2, RegularExpression: 1}

/**
 * Istio's order of Gateway API matches over every route of a host (pilot's sortHTTPRoutes, a stable
 * sort): Exact before PathPrefix before RegularExpression, then the longer value, then a method,
 * then more header matches. Ties keep route order (oldest first) and rule order.
 */
export function compareHttpRouteMatches(a: HttpRouteMatch, b: HttpRouteMatch): number {
  const rank = (m: HttpRouteMatch) => pathRank[m.path?.type ?? 'PathPrefix'] ?? 0
  const length = (m: HttpRouteMatch) => (m.path?.value ?? '/').length
  return rank(b) - rank(a) || length(b) - length(a) || Number(Boolean(b.method)) - Number(Boolean(a.method)) || (b.headers?.length ?? 0) - (a.headers?.length ?? 0)
}
