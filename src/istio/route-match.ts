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
