import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {fisherExactGreater, histogramDelta, histogramQuantile, logGamma, wilsonInterval} from '../../../src/canary/statistics.ts'

const close = (actual: number, expected: number, relative: number, what: string) => assert.ok(Math.abs(actual - expected) <= expected * relative, `${what}: ${actual} is not within ${relative * 100}% of ${expected}`)

describe('canary statistics', () => {
  it('logGamma matches log factorials, small and large', () => {
    assert.ok(Math.abs(logGamma(1)) < 1e-12)
    close(logGamma(11), Math.log(3628800), 1e-12, 'ln 10!')
    close(logGamma(100_001), 1_051_299.2218991219, 1e-12, 'ln 100000!')
  })

  // The worked cases of ../shared/reference/canary-statistics.md section 2 (one-sided Fisher column).
  for (const [name, x1, n1, x2, n2, expected] of [
    ['A: 8/1,000 vs 5/10,000 (the z-test says 2e-11)', 8, 1000, 5, 10000, 3.9e-6],
    ['B: 2/1,000 vs 5/10,000 (the z-test false alarm)', 2, 1000, 5, 10000, 0.128],
    ['C: 2/200 vs 5/10,000', 2, 200, 5, 10000, 0.0075],
    ['D: 130/10,000 vs 1,000/100,000 (big counts)', 130, 10000, 1000, 100000, 0.0035],
  ] as const) {
    it(`Fisher exact, one-sided, case ${name}`, () => close(fisherExactGreater(x1, n1, x2, n2), expected, 0.03, name))
  }

  it('Fisher gives p = 1 with zero errors on both sides, or an empty side, and is monotone in the canary errors', () => {
    assert.equal(fisherExactGreater(0, 500, 0, 5000), 1)
    assert.equal(fisherExactGreater(3, 0, 1, 100), 1)
    const ps = [0, 1, 2, 4, 8].map((x) => fisherExactGreater(x, 1000, 5, 10000))
    for (let i = 1; i < ps.length; i++) assert.ok(ps[i]! < ps[i - 1]!, `p falls as canary errors grow: ${ps.join(', ')}`)
  })

  it('Wilson intervals of the reference (case A) and at zero errors', () => {
    const canary = wilsonInterval(8, 1000)
    close(canary.low, 0.0041, 0.02, 'canary low')
    close(canary.high, 0.0157, 0.02, 'canary high')
    const stable = wilsonInterval(5, 10000)
    close(stable.low, 0.00021, 0.03, 'stable low')
    close(stable.high, 0.00117, 0.03, 'stable high')
    const none = wilsonInterval(0, 1000)
    assert.ok(none.low < 1e-12, `lower bound at zero errors: ${none.low}`)
    assert.ok(none.high > 0.003 && none.high < 0.005, `rule of three: ${none.high}`)
  })

  it('histogram_quantile semantics: interpolation in the bucket, lowest bucket from 0, +Inf answered with the highest bound, NaN when empty', () => {
    const h = {buckets: [{le: 10, count: 50}, {le: 20, count: 100}, {le: Number.POSITIVE_INFINITY, count: 100}]}
    assert.equal(histogramQuantile(0.5, h), 10)
    assert.equal(histogramQuantile(0.75, h), 15)
    assert.equal(histogramQuantile(0.2, h), 4)
    const tail = {buckets: [{le: 10, count: 90}, {le: 20, count: 95}, {le: Number.POSITIVE_INFINITY, count: 100}]}
    assert.equal(histogramQuantile(0.99, tail), 20)
    assert.ok(Number.isNaN(histogramQuantile(0.99, {buckets: [{le: 10, count: 0}, {le: Number.POSITIVE_INFINITY, count: 0}]})))
  })

  it('a histogram delta subtracts bucket by bucket, and a reset counter keeps its later value', () => {
    const before = {buckets: [{le: 10, count: 5}, {le: Number.POSITIVE_INFINITY, count: 7}]}
    const after = {buckets: [{le: 10, count: 9}, {le: Number.POSITIVE_INFINITY, count: 15}]}
    assert.deepEqual(histogramDelta(after, before).buckets.map((b) => b.count), [4, 8])
    const restarted = {buckets: [{le: 10, count: 1}, {le: Number.POSITIVE_INFINITY, count: 2}]}
    assert.deepEqual(histogramDelta(restarted, before).buckets.map((b) => b.count), [1, 2])
  })
})
