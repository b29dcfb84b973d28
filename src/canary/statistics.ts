/**
 * The statistics behind "is the canary worse than the stable?" (../shared/reference/canary-statistics.md):
 * a one-sided Fisher exact test on error counts (the pooled z-test is wrong by orders of magnitude at
 * canary sizes), a Wilson interval for the practical-size check, and histogram quantiles with
 * Prometheus' `histogram_quantile` semantics so both metric providers judge p99 the same way.
 */

const lanczos = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7]

/** ln Γ(x) for x > 0 (Lanczos, g = 7): JavaScript has no Math.lgamma. */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x)
  const z = x - 1
  let sum = lanczos[0]!
  for (let i = 1; i < 9; i++) sum += lanczos[i]! / (z + i)
  const t = z + 7.5
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum)
}

function logChoose(n: number, k: number): number {
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1)
}

/**
 * One-sided Fisher exact test, H1: the first group's error rate is greater.
 * x1 errors of n1 (canary), x2 errors of n2 (stable); p = P(X1 >= x1 | K = x1 + x2), X1 hypergeometric.
 */
export function fisherExactGreater(x1: number, n1: number, x2: number, n2: number): number {
  const N = n1 + n2
  const K = x1 + x2
  if (n1 === 0 || n2 === 0 || K === 0) return 1
  const denominator = logChoose(N, n1)
  let p = 0
  for (let k = x1; k <= Math.min(K, n1); k++) {
    if (N - K < n1 - k) continue
    p += Math.exp(logChoose(K, k) + logChoose(N - K, n1 - k) - denominator)
  }
  return Math.min(1, p)
}

/** Wilson score interval for x of n at the normal quantile z; usable at zero errors. */
export function wilsonInterval(x: number, n: number, z = 1.959964): {low: number; high: number} {
  if (n <= 0) return {low: 0, high: 1}
  const p = x / n
  const z2 = z * z
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n)
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))
  return {low: Math.max(0, centre - half), high: Math.min(1, centre + half)}
}

/** Cumulative histogram: counts at or below each upper bound `le` (ms), +Inf last. */
export interface Histogram {
  buckets: {le: number; count: number}[]
}

/**
 * Prometheus' histogram_quantile: linear interpolation inside the bucket holding rank q x total, the
 * lowest bucket starting at 0, a rank in the +Inf bucket answered with the highest finite bound;
 * NaN with no observations.
 */
export function histogramQuantile(q: number, histogram: Histogram): number {
  const buckets = [...histogram.buckets].sort((a, b) => a.le - b.le)
  const total = buckets.at(-1)?.count ?? 0
  if (buckets.length < 2 || total <= 0 || buckets.at(-1)!.le !== Number.POSITIVE_INFINITY) return Number.NaN
  const rank = q * total
  const index = buckets.findIndex((b) => b.count >= rank)
  if (index === buckets.length - 1) return buckets[buckets.length - 2]!.le
  const bucket = buckets[index]!
  const lowerBound = index === 0 ? 0 : buckets[index - 1]!.le
  const lowerCount = index === 0 ? 0 : buckets[index - 1]!.count
  const inBucket = bucket.count - lowerCount
  if (inBucket <= 0) return bucket.le
  return lowerBound + (bucket.le - lowerBound) * ((rank - lowerCount) / inBucket)
}

/** Bucket-wise difference of two cumulative snapshots (a window); a counter that went down was reset, so the later value stands. */
export function histogramDelta(after: Histogram, before: Histogram | undefined): Histogram {
  const previous = new Map(before?.buckets.map((b) => [b.le, b.count]))
  const reset = after.buckets.some((b) => b.count < (previous.get(b.le) ?? 0))
  return {buckets: after.buckets.map((b) => ({le: b.le, count: reset ? b.count : b.count - (previous.get(b.le) ?? 0)}))}
}

export function addHistograms(a: Histogram | undefined, b: Histogram): Histogram {
  if (!a) return {buckets: b.buckets.map((x) => ({...x}))}
  const sums = new Map(a.buckets.map((x) => [x.le, x.count]))
  for (const x of b.buckets) sums.set(x.le, (sums.get(x.le) ?? 0) + x.count)
  return {buckets: [...sums].sort((x, y) => x[0] - y[0]).map(([le, count]) => ({le, count}))}
}
