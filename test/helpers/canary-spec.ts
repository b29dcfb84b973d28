import type {CanarySpec, Measurement, SideWindow} from '../../src/canary/model.ts'

/** A canary spec as plain data, for the pure tests. */
export function canarySpec(overrides: Partial<CanarySpec> = {}): CanarySpec {
  return {
    target: {router: 'istio-virtualservice', apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', namespace: 'default', name: 'app-service'},
    route: 'primary',
    stable: 'stable',
    canary: 'canary',
    split: 'subset',
    sides: {stable: {service: 'app-service', namespace: 'default', version: 'stable'}, canary: {service: 'app-service', namespace: 'default', version: 'canary'}},
    steps: [10, 50, 100],
    intervalMs: 60_000,
    threshold: 2,
    minRequests: 20,
    queries: [],
    compareStable: 'auto',
    confidence: 95,
    maxLatencyRatio: 1.2,
    provider: 'envoy',
    promote: true,
    errorLimit: 3,
    ...overrides,
  }
}

/** A cumulative latency histogram where `share` of requests take `slowMs` and the rest `fastMs`. */
export function latency(requests: number, fastMs: number, slowMs = fastMs, share = 0): SideWindow['latency'] {
  const edges = [5, 10, 25, 50, 100, 250, 500, 1000, Number.POSITIVE_INFINITY]
  const slow = Math.round(requests * share)
  return {buckets: edges.map((le) => ({le, count: (fastMs <= le ? requests - slow : 0) + (slowMs <= le ? slow : 0)}))}
}

export function side(requests: number, errors: number, p99?: {fastMs: number; slowMs?: number; share?: number}): SideWindow {
  return {requests, errors, latency: latency(requests, p99?.fastMs ?? 8, p99?.slowMs, p99?.share)}
}

export function measurement(canary: SideWindow, stable: SideWindow, queries: Measurement['queries'] = []): Measurement {
  return {from: '2026-12-01T00:00:00.000Z', to: '2026-12-01T00:01:00.000Z', canary, stable, queries}
}
