import type {Measurement, SideSelector, SideWindow} from '../../src/canary/model.ts'
import {ProviderError, sideLabels, type MetricProvider} from '../../src/canary/provider.ts'
import {addHistograms, histogramDelta, type Histogram} from '../../src/canary/statistics.ts'
import type {GwContext} from '../../src/context.ts'
import type {EnvoyPodRef} from '../../src/envoy/admin.ts'
import {matchesLabels, parseExposition, type Sample} from '../../src/metrics/exposition.ts'

/**
 * Metrics with no Prometheus: the gateway pods' own Envoy `/stats/prometheus` through the Envoy admin
 * door, read at the start and the end of each window; a window is the counter and histogram deltas,
 * summed over pods (a pod whose counters went down restarted: its later value is the delta).
 */

interface SideTotals {
  requests: number
  errors: number
  latency?: Histogram
}

type PodSnapshot = {stable: SideTotals; canary: SideTotals}

const isError = (code: string | undefined) => code !== undefined && code.startsWith('5')

function totals(samples: Sample[], side: SideSelector): SideTotals {
  const filter = sideLabels(side)
  let requests = 0
  let errors = 0
  const buckets = new Map<number, number>()
  for (const sample of samples) {
    if (sample.name === 'istio_requests_total') {
      if (!matchesLabels(sample.labels, filter)) continue
      requests += sample.value
      if (isError(sample.labels.response_code)) errors += sample.value
    } else if (sample.name === 'istio_request_duration_milliseconds_bucket') {
      if (!matchesLabels(sample.labels, filter)) continue
      const le = sample.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(sample.labels.le)
      buckets.set(le, (buckets.get(le) ?? 0) + sample.value)
    }
  }
  return {requests, errors, latency: buckets.size > 0 ? {buckets: [...buckets].sort((a, b) => a[0] - b[0]).map(([le, count]) => ({le, count}))} : undefined}
}

function delta(after: SideTotals, before: SideTotals | undefined): SideTotals {
  const reset = before !== undefined && after.requests < before.requests
  const base = reset ? undefined : before
  return {
    requests: after.requests - (base?.requests ?? 0),
    errors: after.errors - (base?.errors ?? 0),
    latency: after.latency ? histogramDelta(after.latency, base?.latency) : undefined,
  }
}

function sum(a: SideWindow, b: SideTotals): SideWindow {
  return {requests: a.requests + b.requests, errors: a.errors + b.errors, latency: b.latency ? addHistograms(a.latency, b.latency) : a.latency}
}

export function createEnvoyProvider(ctx: Pick<GwContext, 'envoy'>, pods: EnvoyPodRef[], sides: {stable: SideSelector; canary: SideSelector}): MetricProvider {
  const windows = new Map<string, Map<string, PodSnapshot>>()

  async function snapshot(): Promise<Map<string, PodSnapshot>> {
    const current = sides
    const read = await Promise.all(
      pods.map(async (pod) => {
        try {
          const text = (await ctx.envoy.get(pod, 'stats/prometheus')).toString()
          const samples = parseExposition(text)
          return [`${pod.namespace}/${pod.name}`, {stable: totals(samples, current.stable), canary: totals(samples, current.canary)}] as const
        } catch (error) {
          throw new ProviderError(`envoy: ${(error as Error).message}`, {cause: error})
        }
      }),
    )
    return new Map(read)
  }

  return {
    name: 'envoy',
    source: `Envoy admin /stats/prometheus of ${pods.length} gateway pod${pods.length === 1 ? '' : 's'} (${pods.map((p) => `${p.namespace}/${p.name}`).join(', ')})`,
    describe(spec) {
      const render = (side: SideSelector) => Object.entries(sideLabels(side)).map(([k, v]) => `${k}="${v}"`).join(',')
      return (['stable', 'canary'] as const).flatMap((which) => [
        {name: `${which} requests`, query: `delta over the window of sum(istio_requests_total{${render(spec.sides[which])}}) on each gateway pod`},
        {name: `${which} errors`, query: `delta over the window of sum(istio_requests_total{${render(spec.sides[which])},response_code=~"5.."})`},
        {name: `${which} p99`, query: `histogram_quantile(0.99) of the window's istio_request_duration_milliseconds_bucket{${render(spec.sides[which])}} deltas`},
      ])
    },
    async beginWindow(from) {
      if (pods.length === 0) throw new ProviderError('envoy: no gateway pods to read', {hint: 'is the ingress gateway running? (kubectl get pods -n istio-system -l istio=ingressgateway)'})
      windows.set(from.toISOString(), await snapshot())
    },
    async measure(_spec, from, to): Promise<Measurement> {
      const before = windows.get(from.toISOString())
      if (!before) {
        // A window the provider did not see begin (a resumed run): this read begins it.
        windows.set(from.toISOString(), await snapshot())
        throw new ProviderError('envoy: the window had no starting snapshot; measuring from now')
      }
      const after = await snapshot()
      let stable: SideWindow = {requests: 0, errors: 0}
      let canary: SideWindow = {requests: 0, errors: 0}
      for (const [pod, now] of after) {
        stable = sum(stable, delta(now.stable, before.get(pod)?.stable))
        canary = sum(canary, delta(now.canary, before.get(pod)?.canary))
      }
      return {from: from.toISOString(), to: to.toISOString(), stable, canary, queries: []}
    },
  }
}
