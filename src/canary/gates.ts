import {formatDuration} from '../duration.ts'
import {isNoData, plannedLooks, type CanarySpec, type Evaluation, type GateResult, type Measurement, type NoData, type SideWindow, type Verdict} from './model.ts'
import {fisherExactGreater, histogramQuantile, wilsonInterval} from './statistics.ts'

/**
 * The one gate evaluator (STYLE.md practice 10): every gate of a look, from one measurement (or the
 * provider's failure), with one aggregation rule: any fail fails; else any error is an error; else
 * any no-data holds; only then pass.
 */

const comparisonGates = new Set(['error-rate-vs-stable', 'p99-vs-stable'])

/** Below this many requests a side, p99 from histogram buckets is noise (canary-statistics.md section 3). */
export const p99MinRequests = 1000
/** A canary must also be practically worse: its Wilson lower bound above twice the stable's rate and 0.1 points more. */
const practicalRatio = 2
const practicalMargin = 0.001

function p99Of(side: SideWindow): number | NoData {
  if (side.p99Ms !== undefined) return side.p99Ms
  if (!side.latency) return {noData: true, reason: 'no latency histogram'}
  const value = histogramQuantile(0.99, side.latency)
  return Number.isNaN(value) ? {noData: true, reason: 'no observations'} : value
}

/** Envoy's default histogram bucket bounds (ms), which Istio's duration metric uses unless overridden. */
export const envoyDefaultBuckets = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000]

/** The bucket a value falls in: [lower, upper] of the first bound at or above it. */
function bucketOf(value: number, side: SideWindow): {index: number; lower: number; upper: number} {
  const bounds = side.latency ? side.latency.buckets.map((b) => b.le).filter(Number.isFinite).sort((a, b) => a - b) : envoyDefaultBuckets
  const index = bounds.findIndex((le) => value <= le)
  const at = index < 0 ? bounds.length : index
  return {index: at, lower: at === 0 ? 0 : bounds[at - 1]!, upper: bounds[at] ?? Number.POSITIVE_INFINITY}
}

/** Requests slower than `edge` ms in a side's window histogram (cumulative buckets); undefined when `edge` is not one of its bounds. */
function slowerThan(side: SideWindow, edge: number): {slow: number; total: number} | undefined {
  const buckets = side.latency?.buckets
  const atEdge = buckets?.find((b) => b.le === edge)
  const total = buckets?.find((b) => b.le === Number.POSITIVE_INFINITY)?.count
  if (!atEdge || total === undefined || total <= 0) return undefined
  return {slow: total - atEdge.count, total}
}

const percent = (x: number) => `${(Math.round(x * 10000) / 100).toString()}%`
const ms = (x: number) => `${Math.round(x * 10) / 10}ms`

function successRate(side: SideWindow): number | undefined {
  return side.requests > 0 ? 1 - side.errors / side.requests : undefined
}

export function aggregate(verdicts: Verdict[]): Verdict {
  if (verdicts.includes('fail')) return 'fail'
  if (verdicts.includes('error')) return 'error'
  if (verdicts.includes('no-data')) return 'no-data'
  return 'pass'
}

/** Whether the stable comparison applies: on, off, or (auto) when both sides have traffic. */
function comparing(spec: CanarySpec, m: Measurement): boolean {
  if (spec.compareStable === 'off') return false
  if (spec.compareStable === 'on') return true
  return m.stable.requests > 0 && m.canary.requests > 0
}

export function evaluateGates(spec: CanarySpec, measurement: Measurement | {error: string}, options: {includeStableComparison?: boolean} = {}): Evaluation {
  if ('error' in measurement) {
    return {verdict: 'error', gates: [{gate: 'provider', verdict: 'error', detail: measurement.error}]}
  }
  const m = measurement
  const gates: GateResult[] = []
  const {canary, stable} = m
  const enough = canary.requests >= spec.minRequests
  const canaryRate = successRate(canary)
  const stableRate = successRate(stable)
  const canaryP99 = p99Of(canary)
  const stableP99 = p99Of(stable)

  gates.push({
    gate: 'requests',
    verdict: enough ? 'pass' : 'no-data',
    value: canary.requests,
    bound: `>= ${spec.minRequests}`,
    canary: canary.requests,
    stable: stable.requests,
    detail: enough ? `${canary.requests} canary requests` : `${canary.requests} canary requests, fewer than --min-requests ${spec.minRequests}: holding`,
  })

  if (spec.successRate !== undefined) {
    const bound = spec.successRate / 100
    gates.push(
      !enough || canaryRate === undefined
        ? {gate: 'success-rate', verdict: 'no-data', bound: `>= ${spec.successRate}%`, detail: 'not enough canary requests to judge'}
        : {gate: 'success-rate', verdict: canaryRate >= bound ? 'pass' : 'fail', value: canaryRate * 100, bound: `>= ${spec.successRate}%`, canary: canaryRate * 100, stable: stableRate === undefined ? undefined : stableRate * 100, detail: `canary ${percent(canaryRate)} (${canary.errors}/${canary.requests} errors)`},
    )
  }

  if (spec.maxLatencyMs !== undefined) {
    const bound = `<= ${formatDuration(spec.maxLatencyMs)}`
    gates.push(
      !enough || isNoData(canaryP99)
        ? {gate: 'max-latency', verdict: 'no-data', bound, detail: isNoData(canaryP99) ? `canary p99: ${canaryP99.reason}` : 'not enough canary requests to judge'}
        : {gate: 'max-latency', verdict: canaryP99 <= spec.maxLatencyMs ? 'pass' : 'fail', value: canaryP99, bound, canary: canaryP99, stable: isNoData(stableP99) ? undefined : stableP99, detail: `canary p99 ${ms(canaryP99)}`},
    )
  }

  for (const query of spec.queries) {
    const found = m.queries.find((q) => q.name === query.name)
    const value = found?.value
    const bound = `${query.op} ${query.bound}`
    if (value === undefined || isNoData(value)) {
      gates.push({gate: query.name, verdict: 'no-data', bound, detail: value === undefined ? 'the query was not run' : value.reason})
      continue
    }
    const ok = query.op === '<=' ? value <= query.bound : value >= query.bound
    gates.push({gate: query.name, verdict: ok ? 'pass' : 'fail', value, bound, detail: `${value}`})
  }

  if ((options.includeStableComparison ?? true) && comparing(spec, m)) {
    // Error rate: one-sided Fisher exact, alpha split over the planned looks, and a practical size.
    const alpha = (1 - spec.confidence / 100) / plannedLooks(spec)
    if (!enough || stable.requests < spec.minRequests) {
      gates.push({gate: 'error-rate-vs-stable', verdict: 'no-data', bound: `p >= ${alpha.toPrecision(2)}`, canary: canary.requests, stable: stable.requests, detail: `needs ${spec.minRequests} requests a side (canary ${canary.requests}, stable ${stable.requests})`})
    } else {
      const pValue = fisherExactGreater(canary.errors, canary.requests, stable.errors, stable.requests)
      const stableErrorRate = stable.errors / stable.requests
      const canaryLow = wilsonInterval(canary.errors, canary.requests).low
      const practical = canaryLow > Math.max(stableErrorRate * practicalRatio, stableErrorRate + practicalMargin)
      const worse = pValue < alpha && practical
      gates.push({
        gate: 'error-rate-vs-stable',
        verdict: worse ? 'fail' : 'pass',
        value: pValue,
        pValue,
        bound: `p >= ${alpha.toPrecision(2)}`,
        canary: (canary.errors / canary.requests) * 100,
        stable: stableErrorRate * 100,
        detail: `errors canary ${percent(canary.errors / canary.requests)} (${canary.errors}/${canary.requests}) vs stable ${percent(stableErrorRate)} (${stable.errors}/${stable.requests}), Fisher p=${pValue.toPrecision(2)}${worse ? ': significantly worse' : ''}`,
      })
    }
    if (spec.maxLatencyRatio > 0) {
      const bound = `<= ${spec.maxLatencyRatio}x stable`
      if (canary.requests < p99MinRequests || stable.requests < p99MinRequests) {
        gates.push({gate: 'p99-vs-stable', verdict: 'no-data', bound, detail: `p99 is noise below ${p99MinRequests} requests a side (canary ${canary.requests}, stable ${stable.requests})`})
      } else if (isNoData(canaryP99) || isNoData(stableP99) || stableP99 <= 0) {
        gates.push({gate: 'p99-vs-stable', verdict: 'no-data', bound, detail: 'no p99 for one side'})
      } else {
        const ratio = canaryP99 / stableP99
        // Inside one bucket a histogram cannot order two quantiles (its error is the bucket's width): not shown worse.
        const canaryBucket = bucketOf(canaryP99, canary)
        const sameBucket = canaryBucket.index <= bucketOf(stableP99, stable).index
        let worse = ratio > spec.maxLatencyRatio && !sameBucket
        let note = ratio > spec.maxLatencyRatio && sameBucket ? `, both in the ${canaryBucket.lower}-${canaryBucket.upper}ms bucket: not distinguishable` : ''
        // A bucket up is not yet worse: two p99s on either side of a bucket edge may be the same tail. The
        // counts say it exactly: the share of requests slower than that edge, one-sided Fisher at the same alpha.
        const canaryTail = worse ? slowerThan(canary, canaryBucket.lower) : undefined
        const stableTail = worse ? slowerThan(stable, canaryBucket.lower) : undefined
        if (canaryTail && stableTail) {
          const pValue = fisherExactGreater(canaryTail.slow, canaryTail.total, stableTail.slow, stableTail.total)
          worse = pValue < alpha
          note = `; slower than ${canaryBucket.lower}ms: canary ${percent(canaryTail.slow / canaryTail.total)} (${canaryTail.slow}/${canaryTail.total}) vs stable ${percent(stableTail.slow / stableTail.total)} (${stableTail.slow}/${stableTail.total}), Fisher p=${pValue.toPrecision(2)}${worse ? ': significantly slower' : ': not significantly slower'}`
        }
        gates.push({gate: 'p99-vs-stable', verdict: worse ? 'fail' : 'pass', value: ratio, bound, canary: canaryP99, stable: stableP99, detail: `p99 canary ${ms(canaryP99)} vs stable ${ms(stableP99)} (x${ratio.toFixed(2)})${note}`})
      }
    }
  }

  // Under --compare-stable auto the comparison is opportunistic: judged (and able to fail) once both
  // sides have enough traffic, but its no-data does not hold a step the user's own gates pass.
  // Asked for explicitly (--compare-stable), it holds like any gate.
  if (spec.compareStable === 'auto') {
    for (const gate of gates) {
      if (comparisonGates.has(gate.gate) && gate.verdict === 'no-data') {
        gate.advisory = true
        gate.detail += ' (advisory under --compare-stable auto: does not hold the step)'
      }
    }
  }
  const headline = (side: SideWindow, rate: number | undefined, p99: number | NoData) => ({requests: side.requests, successRate: rate === undefined ? undefined : rate * 100, p99Ms: isNoData(p99) ? undefined : p99})
  return {
    verdict: aggregate(gates.filter((g) => !g.advisory).map((g) => g.verdict)),
    gates,
    canary: headline(canary, canaryRate, canaryP99),
    stable: headline(stable, stableRate, stableP99),
  }
}
