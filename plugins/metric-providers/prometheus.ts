import {noData, type CanarySpec, type Measurement, type NoData, type SideSelector} from '../../src/canary/model.ts'
import {ProviderError, sideLabels, type MetricProvider, type RenderedQuery} from '../../src/canary/provider.ts'
import type {GwContext} from '../../src/context.ts'

/**
 * Istio telemetry from Prometheus: per side, the window's request and 5xx counts
 * (`increase(istio_requests_total[...])`) and p99 (`histogram_quantile` over the duration buckets),
 * selected by destination_version for subset splits (the workload label is shared) or by service for
 * host splits; custom `--query` templates rendered with the same variables. Reached directly
 * (`--prometheus-url`) or through the API server's service proxy (a Prometheus found in the cluster).
 */

export type PrometheusEndpoint = {url: string} | {service: {namespace: string; name: string; port: number}}

interface QueryResponse {
  status: 'success' | 'error'
  errorType?: string
  error?: string
  data?: {resultType: string; result: {metric: Record<string, string>; value: [number, string]}[]}
}

export function describeEndpoint(endpoint: PrometheusEndpoint): string {
  return 'url' in endpoint ? endpoint.url : `service ${endpoint.service.namespace}/${endpoint.service.name}:${endpoint.service.port} (through the API server's service proxy)`
}

function selector(side: SideSelector, extra = ''): string {
  return `{${Object.entries(sideLabels(side)).map(([k, v]) => `${k}="${v}"`).join(',')}${extra}}`
}

const range = (windowMs: number) => `${Math.max(1, Math.round(windowMs / 1000))}s`

export function renderTemplates(spec: CanarySpec, windowMs: number): {side: 'stable' | 'canary'; what: 'requests' | 'errors' | 'p99'; query: string}[] {
  const w = range(windowMs)
  return (['stable', 'canary'] as const).flatMap((side) => [
    {side, what: 'requests' as const, query: `sum(increase(istio_requests_total${selector(spec.sides[side])}[${w}]))`},
    {side, what: 'errors' as const, query: `sum(increase(istio_requests_total${selector(spec.sides[side], ',response_code=~"5.."')}[${w}]))`},
    {side, what: 'p99' as const, query: `histogram_quantile(0.99, sum by (le) (increase(istio_request_duration_milliseconds_bucket${selector(spec.sides[side])}[${w}])))`},
  ])
}

/** `--query` templates: {{interval}}, {{namespace}}, {{service}}, {{stable}}, {{canary}}, {{stable_version}}, {{canary_version}}. */
export function renderCustomQuery(promql: string, spec: CanarySpec, windowMs: number): string {
  const vars: Record<string, string> = {
    interval: range(windowMs),
    namespace: spec.sides.canary.namespace,
    service: spec.sides.canary.service,
    stable: spec.stable,
    canary: spec.canary,
    stable_version: spec.sides.stable.version ?? '',
    canary_version: spec.sides.canary.version ?? '',
  }
  return promql.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) => vars[name] ?? whole)
}

export function createPrometheusProvider(ctx: Pick<GwContext, 'kube'>, endpoint: PrometheusEndpoint, options: {timeoutMs?: number} = {}): MetricProvider & {check(): Promise<void>} {
  const timeoutMs = options.timeoutMs ?? 10_000
  const where = describeEndpoint(endpoint)

  async function query(promql: string, at: Date): Promise<number | NoData> {
    const params = {query: promql, time: (at.getTime() / 1000).toFixed(3)}
    let text: string
    try {
      if ('url' in endpoint) {
        const url = new URL('api/v1/query', endpoint.url.endsWith('/') ? endpoint.url : `${endpoint.url}/`)
        url.search = new URLSearchParams(params).toString()
        const response = await fetch(url, {signal: AbortSignal.timeout(timeoutMs)})
        text = await response.text()
        if (!response.ok && response.status !== 400 && response.status !== 422) throw new Error(`HTTP ${response.status}: ${text.slice(0, 200)}`)
      } else {
        const {namespace, name, port} = endpoint.service
        const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${encodeURIComponent(name)}:${port}/proxy/api/v1/query`
        text = (await ctx.kube.getRaw(path, {verb: 'get', resource: 'services', subresource: 'proxy', namespace, name}, params)).toString()
      }
    } catch (error) {
      throw new ProviderError(`prometheus at ${where} unreachable: ${(error as Error).message}`, {cause: error, hint: 'check --prometheus-url'})
    }
    let body: QueryResponse
    try {
      body = JSON.parse(text) as QueryResponse
    } catch {
      throw new ProviderError(`prometheus at ${where} answered something that is not its API: ${text.slice(0, 120)}`)
    }
    if (body.status !== 'success') throw new ProviderError(`prometheus rejected the query ${promql}: ${body.errorType ?? ''} ${body.error ?? ''}`.trim())
    const result = body.data?.result ?? []
    if (result.length === 0) return noData('no series')
    const value = Number(result[0]!.value[1])
    return Number.isNaN(value) ? noData('NaN (no observations)') : value
  }

  const count = (v: number | NoData) => (typeof v === 'number' ? Math.round(v) : 0)

  return {
    name: 'prometheus',
    source: `Prometheus at ${where}`,
    describe(spec, windowMs): RenderedQuery[] {
      return [
        ...renderTemplates(spec, windowMs).map((t) => ({name: `${t.side} ${t.what}`, query: t.query})),
        ...spec.queries.map((q) => ({name: q.name, query: `${renderCustomQuery(q.promql, spec, windowMs)} ${q.op} ${q.bound}`})),
      ]
    },
    async beginWindow() {},
    async check() {
      await query('vector(1)', new Date())
    },
    async measure(spec, from, to): Promise<Measurement> {
      const windowMs = to.getTime() - from.getTime()
      const templates = renderTemplates(spec, windowMs)
      const values = await Promise.all(templates.map((t) => query(t.query, to)))
      const pick = (side: 'stable' | 'canary', what: string) => values[templates.findIndex((t) => t.side === side && t.what === what)]!
      const custom = await Promise.all(spec.queries.map(async (q) => ({name: q.name, value: await query(renderCustomQuery(q.promql, spec, windowMs), to)})))
      const sideOf = (side: 'stable' | 'canary') => ({requests: count(pick(side, 'requests')), errors: count(pick(side, 'errors')), p99Ms: pick(side, 'p99')})
      return {from: from.toISOString(), to: to.toISOString(), stable: sideOf('stable'), canary: sideOf('canary'), queries: custom}
    },
  }
}
