/**
 * One parser from Envoy's `/config_dump` bytes to a model doctor reads: listeners (with their
 * filter chains' SNI, route config and SDS secrets), route configs with virtual hosts and routes,
 * clusters, and secrets (active or warming). Used for live pods and for `--config-dump FILE` alike.
 */
import {isAscii} from 'node:buffer'
import {UsageError} from '../errors.ts'
import {bytesAre, eachElement, eachMember, jsonBytes, kindAt, parseAt, skipSpace, type JsonBytes} from './json-scan.ts'

/** Admin JSON is nearly always ASCII: then a latin1 copy is the text, and much cheaper than UTF-8 decoding. */
export function adminText(bytes: Buffer | string): string {
  if (typeof bytes === 'string') return bytes
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8')
}

type Json = Record<string, unknown>

export type ResourceState = 'active' | 'warming' | 'draining' | 'static'

export interface EnvoyFilterChain {
  serverNames: string[]
  /** RDS route config name, or the inline route config's name. */
  routeConfigName?: string
  /** SDS secret names the chain's TLS context uses (certificate and validation). */
  sdsSecrets: string[]
}

export interface EnvoyListener {
  name: string
  address?: string
  port?: number
  state: ResourceState
  filterChains: EnvoyFilterChain[]
}

export interface HeaderMatcher {
  name: string
  exact?: string
  prefix?: string
  suffix?: string
  contains?: string
  regex?: string
  present?: boolean
  invert: boolean
  ignoreCase: boolean
}

export interface EnvoyRouteMatch {
  prefix?: string
  path?: string
  regex?: string
  pathSeparatedPrefix?: string
  caseSensitive: boolean
  headers: HeaderMatcher[]
  queryParameters: {name: string; exact?: string; regex?: string; present?: boolean}[]
}

export type EnvoyRouteAction =
  | {kind: 'cluster'; cluster: string}
  | {kind: 'weighted'; clusters: {name: string; weight: number}[]}
  | {kind: 'redirect'; target: string}
  | {kind: 'direct'; status: number}
  | {kind: 'other'}

export interface EnvoyRoute {
  name?: string
  match: EnvoyRouteMatch
  action: EnvoyRouteAction
  /** The Istio resource that produced it (`/apis/networking.istio.io/.../virtual-service/NAME`). */
  istioConfig?: string
}

export interface EnvoyVirtualHost {
  name: string
  domains: string[]
  routes: EnvoyRoute[]
  requireTls?: string
}

export interface EnvoyRouteConfig {
  name: string
  state: ResourceState
  /** xDS version_info of a dynamic route config (istiod's push). */
  versionInfo?: string
  virtualHosts: EnvoyVirtualHost[]
}

export interface EnvoyCluster {
  name: string
  state: ResourceState
  type?: string
}

export interface EnvoySecret {
  name: string
  state: 'active' | 'warming' | 'static'
  kind: 'certificate' | 'validation' | 'unknown'
  /** First PEM certificate of the chain (or trusted CA), decoded from inline bytes. */
  certificatePem?: string
}

export interface EnvoyConfig {
  nodeId?: string
  istioVersion?: string
  listeners: EnvoyListener[]
  routeConfigs: EnvoyRouteConfig[]
  clusters: EnvoyCluster[]
  secrets: EnvoySecret[]
}

const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {})
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
const typeOf = (v: unknown) => str(obj(v)['@type'])?.replace(/^type\.googleapis\.com\//, '')

function stringMatch(m: Json): Partial<HeaderMatcher> {
  return {
    exact: str(m.exact),
    prefix: str(m.prefix),
    suffix: str(m.suffix),
    contains: str(m.contains),
    regex: str(obj(m.safe_regex).regex),
    ignoreCase: m.ignore_case === true,
  }
}

function parseRoute(raw: Json): EnvoyRoute {
  const m = obj(raw.match)
  const headers: HeaderMatcher[] = arr(m.headers).map((h) => {
    const header = obj(h)
    const legacy: Partial<HeaderMatcher> = {exact: str(header.exact_match), prefix: str(header.prefix_match), suffix: str(header.suffix_match), regex: str(obj(header.safe_regex_match).regex)}
    const fromString = header.string_match ? stringMatch(obj(header.string_match)) : legacy
    return {name: String(header.name ?? '').toLowerCase(), ...fromString, present: header.present_match === true ? true : undefined, invert: header.invert_match === true, ignoreCase: fromString.ignoreCase ?? false}
  })
  const queryParameters = arr(m.query_parameters).map((q) => {
    const query = obj(q)
    const sm = stringMatch(obj(query.string_match))
    return {name: String(query.name ?? ''), exact: sm.exact, regex: sm.regex, present: query.present_match === true ? true : undefined}
  })
  const match: EnvoyRouteMatch = {
    prefix: str(m.prefix),
    path: str(m.path),
    regex: str(obj(m.safe_regex).regex),
    pathSeparatedPrefix: str(m.path_separated_prefix),
    caseSensitive: m.case_sensitive !== false,
    headers,
    queryParameters,
  }
  let action: EnvoyRouteAction = {kind: 'other'}
  const route = obj(raw.route)
  if (str(route.cluster)) action = {kind: 'cluster', cluster: route.cluster as string}
  else if (raw.route && route.weighted_clusters) {
    action = {kind: 'weighted', clusters: arr(obj(route.weighted_clusters).clusters).map((c) => ({name: String(obj(c).name ?? ''), weight: Number(obj(c).weight ?? 0)}))}
  } else if (raw.redirect) {
    const r = obj(raw.redirect)
    action = {kind: 'redirect', target: `${r.https_redirect ? 'https://' : ''}${str(r.host_redirect) ?? ''}${str(r.path_redirect) ?? ''}`}
  } else if (raw.direct_response) action = {kind: 'direct', status: Number(obj(raw.direct_response).status ?? 0)}
  const istioConfig = str(obj(obj(obj(raw.metadata).filter_metadata).istio).config)
  return {name: str(raw.name), match, action, ...(istioConfig ? {istioConfig} : {})}
}

function parseVirtualHost(vhost: Json): EnvoyVirtualHost {
  return {name: String(vhost.name ?? ''), domains: arr(vhost.domains).map(String), routes: arr(vhost.routes).map((r) => parseRoute(obj(r))), ...(str(vhost.require_tls) ? {requireTls: vhost.require_tls as string} : {})}
}

function parseRouteConfig(raw: Json, state: ResourceState): EnvoyRouteConfig {
  return {name: String(raw.name ?? ''), state, virtualHosts: arr(raw.virtual_hosts).map((v) => parseVirtualHost(obj(v)))}
}

/** A RoutesConfigDump entry (`{version_info?, route_config}`): static ones carry no version. */
function routeConfigEntry(entry: Json, state: 'static' | 'active', routeConfig = parseRouteConfig(obj(entry.route_config), state)): EnvoyRouteConfig {
  const versionInfo = state === 'active' ? str(entry.version_info) : undefined
  return {...routeConfig, ...(versionInfo ? {versionInfo} : {})}
}

function sdsNames(transportSocket: Json): string[] {
  const context = obj(obj(transportSocket.typed_config).common_tls_context)
  const names = arr(context.tls_certificate_sds_secret_configs).map((c) => str(obj(c).name))
  const combined = obj(context.combined_validation_context)
  names.push(str(obj(combined.validation_context_sds_secret_config).name), str(obj(context.validation_context_sds_secret_config).name))
  return names.filter((n): n is string => Boolean(n))
}

function parseListener(raw: Json, state: ResourceState, inlineRoutes: EnvoyRouteConfig[]): EnvoyListener {
  const socket = obj(obj(raw.address).socket_address)
  const chains = [...arr(raw.filter_chains), ...(raw.default_filter_chain ? [raw.default_filter_chain] : [])]
  return {
    name: String(raw.name ?? ''),
    address: str(socket.address),
    port: typeof socket.port_value === 'number' ? socket.port_value : undefined,
    state,
    filterChains: chains.map((c) => {
      const chain = obj(c)
      let routeConfigName: string | undefined
      for (const f of arr(chain.filters)) {
        const typed = obj(obj(f).typed_config)
        if (!typeOf(typed)?.includes('HttpConnectionManager')) continue
        routeConfigName = str(obj(typed.rds).route_config_name)
        if (!routeConfigName && typed.route_config) {
          const inline = parseRouteConfig(obj(typed.route_config), state)
          routeConfigName = inline.name || `inline:${String(raw.name ?? 'listener')}`
          inlineRoutes.push({...inline, name: routeConfigName})
        }
      }
      return {serverNames: arr(obj(chain.filter_chain_match).server_names).map(String), routeConfigName, sdsSecrets: sdsNames(obj(chain.transport_socket))}
    }),
  }
}

function firstPem(inline: unknown): string | undefined {
  const bytes = str(obj(inline).inline_bytes)
  if (bytes) return Buffer.from(bytes, 'base64').toString('utf8')
  return str(obj(inline).inline_string)
}

function parseSecret(entry: Json, state: EnvoySecret['state']): EnvoySecret {
  const secret = obj(entry.secret)
  const certificate = secret.tls_certificate ? firstPem(obj(secret.tls_certificate).certificate_chain) : undefined
  const trusted = secret.validation_context ? firstPem(obj(secret.validation_context).trusted_ca) : undefined
  const kind = secret.tls_certificate ? 'certificate' : secret.validation_context ? 'validation' : 'unknown'
  const pem = certificate ?? trusted
  return {name: String(entry.name ?? secret.name ?? ''), state, kind, ...(pem ? {certificatePem: pem} : {})}
}

const dumpHint = {hint: 'save it with: kubectl exec POD -c istio-proxy -- curl -s localhost:15000/config_dump > dump.json'}
const notADump = (source: string) => new UsageError(`${source} is not an Envoy config_dump: no "configs" array at the top`, dumpHint)

/** One ClustersConfigDump entry (`{cluster: Any(Cluster), ...}`). */
function clusterOf(entry: Json, state: ResourceState): EnvoyCluster {
  const cluster = obj(entry.cluster)
  const type = str(cluster.type) ?? (cluster.cluster_type ? 'CUSTOM' : undefined)
  return {name: String(cluster.name ?? ''), state, ...(type ? {type} : {})}
}

/**
 * What doctor reads of a config_dump, in two parts as Envoy's admin serves them: every section but
 * the clusters (`mask=`), and per cluster list only the fields the model keeps (`resource=...&mask=`).
 * The clusters' full definitions are most of a gateway's dump (28 of 37 MB at 5,000 clusters).
 */
export const configDumpWithoutClusters = 'config_dump?mask=bootstrap.node,static_listeners,dynamic_listeners,static_route_configs,dynamic_route_configs,static_secrets,dynamic_active_secrets,dynamic_warming_secrets'
export const clusterLists = [
  ['static_clusters', 'static'],
  ['dynamic_active_clusters', 'active'],
  ['dynamic_warming_clusters', 'warming'],
] as const
export const clusterListPath = (resource: (typeof clusterLists)[number][0]) => `config_dump?resource=${resource}&mask=cluster.name,cluster.type,cluster.cluster_type`

/** The clusters of one `config_dump?resource=<cluster list>` answer (`{configs: [entry, ...]}`). */
export function parseClusterList(bytes: Buffer | string, state: ResourceState, source: string): EnvoyCluster[] {
  let document: Json
  try {
    document = obj(JSON.parse(adminText(bytes)))
  } catch (error) {
    throw new UsageError(`${source} is not JSON: ${(error as Error).message}`)
  }
  return arr(document.configs).map((c) => clusterOf(obj(c), state))
}

/** Adds one top-level dump (BootstrapConfigDump, ListenersConfigDump, ...) to the model. */
function addSection(config: EnvoyConfig, section: Json, inlineRoutes: EnvoyRouteConfig[]): void {
  const type = typeOf(section) ?? ''
  if (type.endsWith('BootstrapConfigDump')) {
    const node = obj(obj(section.bootstrap).node)
    config.nodeId = str(node.id)
    config.istioVersion = str(obj(node.metadata).ISTIO_VERSION)
  } else if (type.endsWith('ListenersConfigDump')) {
    for (const s of arr(section.static_listeners)) config.listeners.push(parseListener(obj(obj(s).listener), 'static', inlineRoutes))
    for (const d of arr(section.dynamic_listeners).map(obj)) {
      for (const [key, state] of [['active_state', 'active'], ['warming_state', 'warming'], ['draining_state', 'draining']] as const) {
        if (d[key]) config.listeners.push(parseListener(obj(obj(d[key]).listener), state, inlineRoutes))
      }
    }
  } else if (type.endsWith('RoutesConfigDump')) {
    for (const s of arr(section.static_route_configs)) config.routeConfigs.push(routeConfigEntry(obj(s), 'static'))
    for (const d of arr(section.dynamic_route_configs)) config.routeConfigs.push(routeConfigEntry(obj(d), 'active'))
  } else if (type.endsWith('ClustersConfigDump')) {
    for (const [key, state] of [['static_clusters', 'static'], ['dynamic_active_clusters', 'active'], ['dynamic_warming_clusters', 'warming']] as const) {
      for (const c of arr(section[key])) config.clusters.push(clusterOf(obj(c), state))
    }
  } else if (type.endsWith('SecretsConfigDump')) {
    for (const s of arr(section.static_secrets)) config.secrets.push(parseSecret(obj(s), 'static'))
    for (const s of arr(section.dynamic_active_secrets)) config.secrets.push(parseSecret(obj(s), 'active'))
    for (const s of arr(section.dynamic_warming_secrets)) config.secrets.push(parseSecret(obj(s), 'warming'))
  }
}

/** The model from a parsed config_dump document. */
export function configFromDocument(document: Json, source: string): EnvoyConfig {
  if (!Array.isArray(document.configs)) throw notADump(source)
  const config: EnvoyConfig = {listeners: [], routeConfigs: [], clusters: [], secrets: []}
  const inlineRoutes: EnvoyRouteConfig[] = []
  for (const section of document.configs.map(obj)) addSection(config, section, inlineRoutes)
  config.routeConfigs.push(...inlineRoutes)
  return config
}

/** Parses the object at `start` member by member; members named in `streamed` go to their handler (which returns where the value ends). */
function parseObjectExcept(source: JsonBytes, start: number, streamed: Record<string, (start: number) => number>): {object: Json; end: number} {
  const object: Json = {}
  const end = eachMember(source, start, (key, value) => {
    const handler = Object.hasOwn(streamed, key) ? streamed[key] : undefined
    if (handler) return handler(value)
    const parsed = parseAt(source, value)
    object[key] = parsed.value
    return parsed.end
  })
  return {object, end}
}

/** Calls `each` with every element of the array at `start`; a value that is not an array has none (it is still checked to be JSON). */
function eachElementOf(source: JsonBytes, start: number, each: (start: number) => number): number {
  return kindAt(source, start) === '[' ? eachElement(source, start, each) : parseAt(source, start).end
}

/** Parses the value at `start` and hands it to `use`; returns where it ends. */
function withParsed(source: JsonBytes, start: number, use: (value: Json) => void): number {
  const {value, end} = parseAt(source, start)
  use(obj(value))
  return end
}

/** A route config entry whose virtual hosts are parsed one at a time; returns where it ends. */
function streamRouteEntry(source: JsonBytes, start: number, state: 'static' | 'active', add: (routeConfig: EnvoyRouteConfig) => void): number {
  if (kindAt(source, start) !== '{') return withParsed(source, start, (entry) => add(routeConfigEntry(entry, state)))
  let routeConfig: EnvoyRouteConfig | undefined
  const entry = parseObjectExcept(source, start, {
    route_config: (value) => {
      if (kindAt(source, value) !== '{') return withParsed(source, value, (raw) => (routeConfig = parseRouteConfig(raw, state)))
      const virtualHosts: EnvoyVirtualHost[] = []
      const shallow = parseObjectExcept(source, value, {virtual_hosts: (hosts) => eachElementOf(source, hosts, (v) => withParsed(source, v, (vhost) => virtualHosts.push(parseVirtualHost(vhost))))})
      routeConfig = {...parseRouteConfig(shallow.object, state), virtualHosts}
      return shallow.end
    },
  })
  add(routeConfigEntry(entry.object, state, routeConfig ?? parseRouteConfig({}, state)))
  return entry.end
}

/**
 * The model straight from the bytes, one piece at a time: route configs (most of a gateway's dump,
 * one virtual host per host) are parsed a virtual host at a time, so the whole dump never exists as
 * one string nor one JSON tree. Same model as `configFromDocument(JSON.parse(text))`.
 */
function configFromBytes(source: JsonBytes, name: string): EnvoyConfig {
  if (kindAt(source, 0) !== '{') throw new SyntaxError('not one JSON object')
  const config: EnvoyConfig = {listeners: [], routeConfigs: [], clusters: [], secrets: []}
  const inlineRoutes: EnvoyRouteConfig[] = []
  let sawConfigs = false
  const section = (start: number): number => {
    if (kindAt(source, start) !== '{') return withParsed(source, start, (s) => addSection(config, s, inlineRoutes))
    // The route configs and clusters are read an entry at a time, other sections whole (when the type comes first, as Envoy writes it).
    let type: string | undefined
    const probe = skipSpace(source, skipSpace(source, start) + 1)
    if (bytesAre(source, probe, '"@type"')) type = str(parseAt(source, skipSpace(source, skipSpace(source, probe + 7) + 1)).value)
    if (type?.endsWith('ClustersConfigDump')) {
      const lists = clusterLists.map(([list, state]) => ({list, state, clusters: [] as EnvoyCluster[]}))
      const handlers = Object.fromEntries(lists.map(({list, state, clusters}) => [list, (value: number) => eachElementOf(source, value, (entry) => withParsed(source, entry, (c) => clusters.push(clusterOf(c, state))))]))
      const {end} = parseObjectExcept(source, start, handlers)
      for (const {clusters} of lists) config.clusters.push(...clusters)
      return end
    }
    if (!type?.endsWith('RoutesConfigDump')) return withParsed(source, start, (s) => addSection(config, s, inlineRoutes))
    const routes: Record<'static' | 'active', EnvoyRouteConfig[]> = {static: [], active: []}
    const {end} = parseObjectExcept(source, start, {
      static_route_configs: (value) => eachElementOf(source, value, (entry) => streamRouteEntry(source, entry, 'static', (r) => routes.static.push(r))),
      dynamic_route_configs: (value) => eachElementOf(source, value, (entry) => streamRouteEntry(source, entry, 'active', (r) => routes.active.push(r))),
    })
    config.routeConfigs.push(...routes.static, ...routes.active)
    return end
  }
  const {end} = parseObjectExcept(source, 0, {
    configs: (value) => {
      if (kindAt(source, value) !== '[') return parseAt(source, value).end
      sawConfigs = true
      return eachElement(source, value, section)
    },
  })
  if (skipSpace(source, end) !== source.bytes.length) throw new SyntaxError(`Unexpected non-whitespace character after JSON at position ${end}`)
  if (!sawConfigs) throw notADump(name)
  config.routeConfigs.push(...inlineRoutes)
  return config
}

/** Parses config_dump JSON bytes; a document that is not one throws a UsageError naming `source`. */
export function parseConfigDump(bytes: Buffer | string, source: string): EnvoyConfig {
  try {
    return configFromBytes(jsonBytes(bytes), source)
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error
  }
  // Not something the piecewise scan follows: JSON.parse says what is wrong, or reads it whole.
  let document: Json
  try {
    document = obj(JSON.parse(adminText(bytes)))
  } catch (error) {
    throw new UsageError(`${source} is not JSON: ${(error as Error).message}`, dumpHint)
  }
  return configFromDocument(document, source)
}

/** The route configs a listener's chains point at, by name. */
export function routeConfigByName(config: EnvoyConfig): Map<string, EnvoyRouteConfig> {
  return new Map(config.routeConfigs.map((r) => [r.name, r]))
}
