import type {ProxyConfig} from '../istiod/proxy-config.ts'

/**
 * `/config_dump` in Envoy's JSON (api/envoy/admin/v3/config_dump*.proto): the top-level dumps in
 * Envoy's order, per-resource version_info/last_updated, `?include_eds`, `?mask=` (applied to each
 * top-level dump), `?resource=` (one repeated field, each element typed), `?name_regex=`, and private
 * keys redacted the way Envoy does.
 */

type Json = Record<string, unknown>

export interface ResourceMeta {
  version: string
  lastUpdated: string
}

/** What the dump needs beyond the config: bootstrap, and when each resource last changed. */
export interface DumpContext {
  config: ProxyConfig
  bootstrap: Json
  bootstrapUpdated: string
  /** key `<kind>/<name>` -> meta */
  meta: (kind: string, name: string) => ResourceMeta
  /** version of the latest CDS/LDS push */
  version: string
}

const adminType = (t: string) => `type.googleapis.com/envoy.admin.v3.${t}`
export const redacted = Buffer.from('[redacted]').toString('base64')

export class ConfigDumpError extends Error {
  readonly status: number
  constructor(message: string, status = 400) {
    super(message)
    this.status = status
  }
}

function redact(secret: Json): Json {
  const copy = structuredClone(secret)
  const cert = copy.tls_certificate as Json | undefined
  if (cert && cert.private_key) cert.private_key = {inline_bytes: redacted}
  return copy
}

/** Element types of the repeated fields `?resource=` can name. */
const elementTypes: Record<string, string> = {
  static_clusters: 'ClustersConfigDump.StaticCluster',
  dynamic_active_clusters: 'ClustersConfigDump.DynamicCluster',
  dynamic_warming_clusters: 'ClustersConfigDump.DynamicCluster',
  static_endpoint_configs: 'EndpointsConfigDump.StaticEndpointConfig',
  dynamic_endpoint_configs: 'EndpointsConfigDump.DynamicEndpointConfig',
  static_listeners: 'ListenersConfigDump.StaticListener',
  dynamic_listeners: 'ListenersConfigDump.DynamicListener',
  inline_scoped_route_configs: 'ScopedRoutesConfigDump.InlineScopedRouteConfigs',
  dynamic_scoped_route_configs: 'ScopedRoutesConfigDump.DynamicScopedRouteConfigs',
  static_route_configs: 'RoutesConfigDump.StaticRouteConfig',
  dynamic_route_configs: 'RoutesConfigDump.DynamicRouteConfig',
  static_secrets: 'SecretsConfigDump.StaticSecret',
  dynamic_active_secrets: 'SecretsConfigDump.DynamicSecret',
  dynamic_warming_secrets: 'SecretsConfigDump.DynamicSecret',
}

function staticListeners(ctx: DumpContext): Json[] {
  const resources = (ctx.bootstrap.static_resources as Json | undefined)?.listeners as Json[] | undefined
  return (resources ?? []).map((listener) => ({listener: {'@type': 'type.googleapis.com/envoy.config.listener.v3.Listener', ...listener}, last_updated: ctx.bootstrapUpdated}))
}

function staticClusters(ctx: DumpContext): Json[] {
  const resources = (ctx.bootstrap.static_resources as Json | undefined)?.clusters as Json[] | undefined
  return (resources ?? []).map((cluster) => ({cluster: {'@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster', ...cluster}, last_updated: ctx.bootstrapUpdated}))
}

function sections(ctx: DumpContext, includeEds: boolean, nameFilter: RegExp | undefined): Json[] {
  const c = ctx.config
  const keep = (name: string) => !nameFilter || nameFilter.test(name)
  const out: Json[] = []
  out.push({'@type': adminType('BootstrapConfigDump'), bootstrap: ctx.bootstrap, last_updated: ctx.bootstrapUpdated})
  out.push({
    '@type': adminType('ClustersConfigDump'),
    version_info: ctx.version,
    static_clusters: staticClusters(ctx).filter((s) => keep(String((s.cluster as Json).name))),
    dynamic_active_clusters: c.clusters.filter((cl) => keep(cl.name)).map((cl) => {
      const m = ctx.meta('cluster', cl.name)
      return {version_info: m.version, cluster: cl.json, last_updated: m.lastUpdated}
    }),
  })
  if (includeEds) {
    out.push({
      '@type': adminType('EndpointsConfigDump'),
      static_endpoint_configs: staticClusters(ctx).filter((s) => keep(String((s.cluster as Json).name))).map((s) => ({endpoint_config: {'@type': 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment', ...((s.cluster as Json).load_assignment as Json)}})),
      dynamic_endpoint_configs: c.clusters.filter((cl) => cl.loadAssignment && keep(cl.name)).map((cl) => {
        const m = ctx.meta('endpoint', cl.name)
        return {version_info: m.version, endpoint_config: cl.loadAssignment, last_updated: m.lastUpdated}
      }),
    })
  }
  out.push({
    '@type': adminType('ListenersConfigDump'),
    version_info: ctx.version,
    static_listeners: staticListeners(ctx),
    dynamic_listeners: c.listeners.filter((l) => keep(l.name)).map((l) => {
      const m = ctx.meta('listener', l.name)
      const state = {version_info: m.version, listener: l.json, last_updated: m.lastUpdated}
      return l.warming ? {name: l.name, warming_state: state} : {name: l.name, active_state: state}
    }),
  })
  out.push({'@type': adminType('ScopedRoutesConfigDump')})
  out.push({
    '@type': adminType('RoutesConfigDump'),
    static_route_configs: [],
    dynamic_route_configs: [...c.routes.entries()].filter(([name]) => keep(name)).map(([name, r]) => {
      const m = ctx.meta('route', name)
      return {version_info: m.version, route_config: r.config, last_updated: m.lastUpdated}
    }),
  })
  const active = c.secrets.filter((s) => s.ok && keep(s.name))
  const warming = c.secrets.filter((s) => !s.ok && keep(s.name))
  out.push({
    '@type': adminType('SecretsConfigDump'),
    dynamic_active_secrets: active.map((s) => {
      const m = ctx.meta('secret', s.name)
      return {name: s.name, version_info: m.version, last_updated: m.lastUpdated, secret: redact(s.secret!)}
    }),
    dynamic_warming_secrets: warming.map((s) => ({
      name: s.name,
      version_info: 'uninitialized',
      last_updated: ctx.meta('secret', s.name).lastUpdated,
      secret: {'@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret', name: s.name},
    })),
  })
  // proto3 JSON omits empty repeated fields.
  for (const dump of out) for (const [k, v] of Object.entries(dump)) if (Array.isArray(v) && v.length === 0) delete dump[k]
  return out
}

/** Applies a FieldMask path list ("a.b,c") to a message. */
function trim(message: Json, paths: string[][]): Json {
  const out: Json = {}
  if (typeof message['@type'] === 'string') out['@type'] = message['@type']
  for (const path of paths) {
    const [head, ...rest] = path
    if (head === undefined || !(head in message)) continue
    const value = message[head]
    if (rest.length === 0) out[head] = value
    else if (value && typeof value === 'object' && !Array.isArray(value)) {
      const inner = trim(value as Json, [rest])
      out[head] = {...(out[head] as Json | undefined), ...inner}
    }
  }
  return out
}

export function renderConfigDump(ctx: DumpContext, query: URLSearchParams): Json {
  const includeEds = query.has('include_eds') && query.get('include_eds') !== 'false'
  let nameFilter: RegExp | undefined
  const nameRegex = query.get('name_regex')
  if (nameRegex) {
    try {
      nameFilter = new RegExp(`^(?:${nameRegex})$`)
    } catch {
      throw new ConfigDumpError(`Error while parsing name_regex: ${nameRegex}`)
    }
  }
  const dumps = sections(ctx, includeEds || query.get('resource') === 'dynamic_endpoint_configs', nameFilter)
  const mask = query.get('mask')
  const paths = mask ? mask.split(',').map((p) => p.trim()).filter(Boolean).map((p) => p.split('.')) : undefined
  const resource = query.get('resource')
  if (resource) {
    const type = elementTypes[resource]
    const holder = dumps.find((d) => resource in d)
    if (!type) throw new ConfigDumpError(`${resource} not found in config dump`, 404)
    const items = (holder?.[resource] as Json[] | undefined) ?? []
    return {configs: items.map((item) => ({'@type': adminType(type), ...(paths ? trim(item, paths) : item)}))}
  }
  return {configs: paths ? dumps.map((d) => trim(d, paths)) : dumps}
}
