import type {Labels} from '../world.ts'

/**
 * One proxy's stats as Envoy keeps them: plain counters/gauges under a scope (`cluster.<name>`,
 * `http.<stat_prefix>`, `listener.<address>`), and Istio's tagged metrics (istio_requests_total,
 * istio_request_duration_milliseconds). Renders `/stats` (text, json) and `/stats/prometheus`, after
 * Istio's stats inclusion list (pkg/bootstrap/config.go), so that `http.*` and `cluster.outbound|*`
 * are absent unless the pod's proxyStatsMatcher asks for them.
 */

export type Scope = 'cluster' | 'http' | 'listener' | ''

interface EnvoyStat {
  scope: Scope
  /** Cluster name, HCM stat prefix or listener address, without the ";" delimiter. */
  tag: string
  stat: string
  kind: 'counter' | 'gauge'
  value: number
}

interface IstioCounter {
  labels: Labels
  /** Formatted once: series are many and their labels never change. */
  pairs: string
  value: number
}

interface IstioHistogram {
  labels: Labels
  pairs: string
  buckets: number[]
  sum: number
  count: number
}

/** Envoy's default histogram buckets (ms), which Istio's duration histograms use. */
export const durationBuckets = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000]

/** The label order Istio's stats filter emits (istio.io reference/config/metrics). */
export const istioLabelOrder = [
  'reporter', 'source_workload', 'source_canonical_service', 'source_canonical_revision', 'source_workload_namespace', 'source_principal', 'source_app', 'source_version', 'source_cluster',
  'destination_workload', 'destination_workload_namespace', 'destination_principal', 'destination_app', 'destination_version', 'destination_service', 'destination_canonical_service',
  'destination_canonical_revision', 'destination_service_name', 'destination_service_namespace', 'destination_cluster', 'request_protocol', 'response_code', 'grpc_response_status',
  'response_flags', 'connection_security_policy',
]

export interface StatsMatcher {
  prefixes: string[]
  suffixes: string[]
  regexps: RegExp[]
}

/** Istio's requiredEnvoyStatsMatcherInclusion* defaults. */
export function defaultStatsMatcher(): StatsMatcher {
  return {
    prefixes: ['reporter=', 'component', 'istio', 'cluster_manager', 'listener_manager', 'server', 'cluster.xds-grpc', 'wasm'],
    suffixes: ['rbac.allowed', 'rbac.denied', 'shadow_allowed', 'shadow_denied'],
    regexps: [/^vhost\..*\.route\..*/],
  }
}

export function statsMatches(matcher: StatsMatcher, name: string): boolean {
  return matcher.prefixes.some((p) => name.startsWith(p)) || matcher.suffixes.some((s) => name.endsWith(s)) || matcher.regexps.some((r) => r.test(name))
}

const promName = (s: string) => s.replace(/[^a-zA-Z0-9_:]/g, '_')
const needsEscape = /[\\\n"]/
const escapeLabel = (v: string) => (needsEscape.test(v) ? v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : v)

/** `k="v",...` without braces, Istio's label order first. */
function labelPairs(labels: Labels): string {
  const parts: string[] = []
  for (const k of istioLabelOrder) if (k in labels) parts.push(`${k}="${escapeLabel(labels[k]!)}"`)
  for (const k of Object.keys(labels)) if (!istioLabelOrder.includes(k)) parts.push(`${k}="${escapeLabel(labels[k]!)}"`)
  return parts.join(',')
}

function withExtra(pairs: string, extra: string): string {
  const all = pairs && extra ? `${pairs},${extra}` : pairs || extra
  return all ? `{${all}}` : ''
}

export function formatLabels(labels: Labels, extra: [string, string][] = []): string {
  return withExtra(labelPairs(labels), extra.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(','))
}

/** Identity of a label set (Istio's labels, in order). */
export function labelKey(labels: Labels): string {
  return istioLabelOrder.map((k) => labels[k] ?? '').join('\u0000')
}

/** Istio's tagged stat name as Envoy shows it in /stats: `reporter=.=source;.;...;.;istio_requests_total`. */
function istioStatName(metric: string, labels: Labels): string {
  return `${istioLabelOrder.filter((k) => k in labels).map((k) => `${k}=.=${labels[k]};.;`).join('')}${metric}`
}

export interface StatsQuery {
  filter?: RegExp
  usedOnly?: boolean
}

export class StatStore {
  private readonly envoy = new Map<string, EnvoyStat>()
  private readonly requests = new Map<string, IstioCounter>()
  private readonly durations = new Map<string, IstioHistogram>()
  private readonly delimiter: string
  private readonly matcher: StatsMatcher

  constructor(options: {delimited: boolean; matcher: StatsMatcher}) {
    this.delimiter = options.delimited ? ';' : ''
    this.matcher = options.matcher
  }

  private envoyStat(scope: Scope, tag: string, stat: string, kind: EnvoyStat['kind']): EnvoyStat {
    const key = `${scope}\u0000${tag}\u0000${stat}`
    let entry = this.envoy.get(key)
    if (!entry) {
      entry = {scope, tag, stat, kind, value: 0}
      this.envoy.set(key, entry)
    }
    return entry
  }

  inc(scope: Scope, tag: string, stat: string, by = 1): void {
    this.envoyStat(scope, tag, stat, 'counter').value += by
  }

  set(scope: Scope, tag: string, stat: string, value: number): void {
    this.envoyStat(scope, tag, stat, 'gauge').value = value
  }

  /** `key` identifies the label set when the caller already has one (the traffic loop does). */
  recordRequests(labels: Labels, count: number, durationsMs: number[], key = labelKey(labels)): void {
    if (count <= 0) return
    let counter = this.requests.get(key)
    if (!counter) {
      counter = {labels, pairs: labelPairs(labels), value: 0}
      this.requests.set(key, counter)
    }
    counter.value += count
    let histogram = this.durations.get(key)
    if (!histogram) {
      histogram = {labels, pairs: counter.pairs, buckets: durationBuckets.map(() => 0), sum: 0, count: 0}
      this.durations.set(key, histogram)
    }
    // durationsMs is a sample of the batch; each sample stands for count/samples requests.
    const each = count / Math.max(1, durationsMs.length)
    for (const d of durationsMs) {
      for (let i = 0; i < durationBuckets.length; i++) if (d <= durationBuckets[i]!) histogram.buckets[i]! += each
      histogram.sum += d * each
    }
    histogram.count += count
  }

  private envoyName(s: EnvoyStat): string {
    // Istio adds the delimiter to its HCM stat prefixes and to the alt_stat_name of the clusters it builds, not to bootstrap clusters.
    const delimited = s.scope === 'http' || (s.scope === 'cluster' && s.tag.includes('|'))
    return s.scope === '' ? s.stat : `${s.scope}.${s.tag}${delimited ? this.delimiter : ''}.${s.stat}`
  }

  private visibleEnvoy(query: StatsQuery): {name: string; stat: EnvoyStat}[] {
    const out: {name: string; stat: EnvoyStat}[] = []
    for (const stat of this.envoy.values()) {
      const name = this.envoyName(stat)
      if (!statsMatches(this.matcher, name)) continue
      if (query.filter && !query.filter.test(name)) continue
      if (query.usedOnly && stat.value === 0) continue
      out.push({name, stat})
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }

  private visibleIstio<T extends {labels: Labels}>(source: Map<string, T>, metric: string, query: StatsQuery): {name: string; entry: T}[] {
    // Istio's metrics always pass the inclusion list ("reporter=" prefix); without a filter, skip naming and sorting.
    if (!query.filter && statsMatches(this.matcher, 'reporter=')) return [...source.values()].map((entry) => ({name: '', entry}))
    const out: {name: string; entry: T}[] = []
    for (const entry of source.values()) {
      const name = istioStatName(metric, entry.labels)
      if (!statsMatches(this.matcher, name)) continue
      if (query.filter && !query.filter.test(name)) continue
      out.push({name, entry})
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }

  private quantiles(h: IstioHistogram): (number | null)[] {
    return [0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 1].map((q) => {
      if (h.count === 0) return null
      const target = q * h.count
      const i = h.buckets.findIndex((b) => b >= target)
      return i < 0 ? durationBuckets[durationBuckets.length - 1]! : durationBuckets[i]!
    })
  }

  text(query: StatsQuery = {}): string {
    query = {...query, filter: query.filter ?? /(?:)/}
    const lines: string[] = []
    const counters = [...this.visibleEnvoy(query).map((e) => ({name: e.name, value: e.stat.value})), ...this.visibleIstio(this.requests, 'istio_requests_total', query).map((e) => ({name: e.name, value: e.entry.value}))]
    counters.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const c of counters) lines.push(`${c.name}: ${Math.round(c.value)}`)
    for (const {name, entry} of this.visibleIstio(this.durations, 'istio_request_duration_milliseconds', query)) {
      const qs = this.quantiles(entry)
      const labels = ['P0', 'P25', 'P50', 'P75', 'P90', 'P95', 'P99', 'P99.5', 'P99.9', 'P100']
      lines.push(`${name}: ${labels.map((l, i) => `${l}(nan,${qs[i] ?? 'nan'})`).join(' ')}`)
    }
    return lines.length > 0 ? `${lines.join('\n')}\n` : ''
  }

  json(query: StatsQuery = {}): unknown {
    query = {...query, filter: query.filter ?? /(?:)/}
    const stats: unknown[] = []
    for (const e of this.visibleEnvoy(query)) stats.push({name: e.name, value: Math.round(e.stat.value)})
    for (const e of this.visibleIstio(this.requests, 'istio_requests_total', query)) stats.push({name: e.name, value: Math.round(e.entry.value)})
    const histograms = this.visibleIstio(this.durations, 'istio_request_duration_milliseconds', query)
    if (histograms.length > 0) {
      stats.push({
        histograms: {
          supported_quantiles: [0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 100],
          computed_quantiles: histograms.map(({name, entry}) => ({name, values: this.quantiles(entry).map((v) => ({interval: null, cumulative: v}))})),
        },
      })
    }
    return {stats}
  }

  /** Prometheus families; `extra` labels are what a scrape's relabelling adds (namespace, pod). */
  prometheusFamilies(extra: [string, string][] = [], query: StatsQuery = {}, into: PromFamilies = new Map()): PromFamilies {
    const add = (name: string, type: string, line: string) => {
      const family = into.get(name) ?? {type, lines: []}
      family.lines.push(line)
      into.set(name, family)
    }
    const extraPairs = extra.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')
    for (const {entry} of this.visibleIstio(this.requests, 'istio_requests_total', query)) {
      add('istio_requests_total', 'counter', `istio_requests_total${withExtra(entry.pairs, extraPairs)} ${Math.round(entry.value)}`)
    }
    for (const {entry} of this.visibleIstio(this.durations, 'istio_request_duration_milliseconds', query)) {
      const base = 'istio_request_duration_milliseconds'
      const pairs = extraPairs ? `${entry.pairs},${extraPairs}` : entry.pairs
      durationBuckets.forEach((le, i) => add(base, 'histogram', `${base}_bucket{${pairs},le="${le}"} ${Math.round(entry.buckets[i]!)}`))
      add(base, 'histogram', `${base}_bucket{${pairs},le="+Inf"} ${entry.count}`)
      add(base, 'histogram', `${base}_sum{${pairs}} ${Number(entry.sum.toFixed(3))}`)
      add(base, 'histogram', `${base}_count{${pairs}} ${entry.count}`)
    }
    for (const {stat} of this.visibleEnvoy(query)) {
      const {name, labels} = envoyPrometheus(stat)
      add(name, stat.kind, `${name}${formatLabels(labels, extra)} ${Math.round(stat.value)}`)
    }
    return into
  }

  prometheus(extra: [string, string][] = [], query: StatsQuery = {}): string {
    return renderFamilies(this.prometheusFamilies(extra, query))
  }
}

export type PromFamilies = Map<string, {type: string; lines: string[]}>

/** Text exposition: one TYPE line per family, its samples together (what Prometheus requires). */
export function renderFamilies(families: PromFamilies): string {
  let out = ''
  for (const [name, family] of families) out += `# TYPE ${name} ${family.type}\n${family.lines.join('\n')}\n`
  return out
}

/** Envoy's tag extraction for the scopes we keep (envoy/config/well_known_names.cc). */
function envoyPrometheus(stat: EnvoyStat): {name: string; labels: Labels} {
  const labels: Labels = {}
  let stat_ = stat.stat
  const code = /^(upstream_rq|downstream_rq)_(\d{3})$/.exec(stat_)
  const codeClass = /^(upstream_rq|downstream_rq)_(\d)xx$/.exec(stat_)
  if (code) {
    stat_ = code[1]!
    labels.response_code = code[2]!
  } else if (codeClass) {
    stat_ = `${codeClass[1]}_xx`
    labels.response_code_class = codeClass[2]!
  }
  if (stat.scope === 'cluster') labels.cluster_name = stat.tag
  if (stat.scope === 'http') labels.http_conn_manager_prefix = stat.tag
  if (stat.scope === 'listener') labels.listener_address = stat.tag
  return {name: promName(`envoy_${stat.scope ? `${stat.scope}_` : ''}${stat_}`), labels}
}
