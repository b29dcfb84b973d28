import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {evaluateGates} from '../../../src/canary/gates.ts'
import {noData} from '../../../src/canary/model.ts'
import {canarySpec, measurement, side} from '../../helpers/canary-spec.ts'

const gate = (evaluation: ReturnType<typeof evaluateGates>, name: string) => {
  const found = evaluation.gates.find((g) => g.gate === name)
  assert.ok(found, `gate ${name} in ${evaluation.gates.map((g) => g.gate).join(', ')}`)
  return found
}

describe('the one gate evaluator', () => {
  it('no traffic at all: no-data, never pass (and no stable comparison without two sides)', () => {
    const e = evaluateGates(canarySpec(), measurement(side(0, 0), side(0, 0)))
    assert.equal(e.verdict, 'no-data')
    assert.equal(gate(e, 'requests').verdict, 'no-data')
    assert.equal(e.gates.some((g) => g.gate === 'error-rate-vs-stable'), false)
  })

  it('tiny samples below --min-requests hold even when every request failed', () => {
    const e = evaluateGates(canarySpec({successRate: 99}), measurement(side(5, 5), side(5000, 0)))
    assert.equal(e.verdict, 'no-data')
    assert.equal(gate(e, 'success-rate').verdict, 'no-data')
    assert.equal(gate(e, 'error-rate-vs-stable').verdict, 'no-data')
  })

  it('zero errors on both sides passes the comparison with p = 1', () => {
    const e = evaluateGates(canarySpec({maxLatencyRatio: 0}), measurement(side(200, 0), side(2000, 0)))
    assert.equal(e.verdict, 'pass')
    assert.equal(gate(e, 'error-rate-vs-stable').pValue, 1)
  })

  it('a canary at 0.8 % errors is caught when the stable runs at 0.01 %', () => {
    const e = evaluateGates(canarySpec({maxLatencyRatio: 0}), measurement(side(1000, 8), side(20000, 2)))
    assert.equal(e.verdict, 'fail')
    const g = gate(e, 'error-rate-vs-stable')
    assert.equal(g.verdict, 'fail')
    assert.ok(g.pValue! < 1e-6, `p ${g.pValue}`)
    assert.equal(g.canary, 0.8)
    assert.equal(g.stable, 0.01)
  })

  it('a noisy stable does not fail a good canary, and a fixed threshold alone would', () => {
    // The stable runs at 2 % errors; the canary is no worse (1.9 %). A fixed 99 % gate fails both.
    const compared = evaluateGates(canarySpec({maxLatencyRatio: 0}), measurement(side(1000, 19), side(9000, 180)))
    assert.equal(compared.verdict, 'pass')
    const fixed = evaluateGates(canarySpec({maxLatencyRatio: 0, successRate: 99, compareStable: 'off'}), measurement(side(1000, 19), side(9000, 180)))
    assert.equal(fixed.verdict, 'fail')
  })

  it('the reference case B (2/1,000 vs 5/10,000), a z-test false alarm, passes', () => {
    const e = evaluateGates(canarySpec({maxLatencyRatio: 0}), measurement(side(1000, 2), side(10000, 5)))
    assert.equal(gate(e, 'error-rate-vs-stable').verdict, 'pass')
  })

  it('significance is split over the planned looks: p = 0.01 passes with 4 planned looks at 95 %', () => {
    // 3 steps + (threshold 2 - 1) = 4 looks: alpha 0.0125; C's p is 0.0075 < 0.0125 so C fails; with 10 steps (alpha 0.0045) it passes.
    const few = evaluateGates(canarySpec({maxLatencyRatio: 0}), measurement(side(200, 2), side(10000, 5)))
    assert.equal(gate(few, 'error-rate-vs-stable').verdict, 'fail')
    const many = evaluateGates(canarySpec({maxLatencyRatio: 0, steps: [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]}), measurement(side(200, 2), side(10000, 5)))
    assert.equal(gate(many, 'error-rate-vs-stable').verdict, 'pass')
  })

  it('p99 against the stable is no-data below 1,000 requests a side, judged above', () => {
    const small = evaluateGates(canarySpec({compareStable: 'on'}), measurement(side(500, 0, {fastMs: 8, slowMs: 400, share: 0.05}), side(5000, 0)))
    assert.equal(gate(small, 'p99-vs-stable').verdict, 'no-data')
    assert.equal(small.verdict, 'no-data')
    const slow = evaluateGates(canarySpec(), measurement(side(2000, 0, {fastMs: 8, slowMs: 400, share: 0.05}), side(5000, 0)))
    assert.equal(gate(slow, 'p99-vs-stable').verdict, 'fail')
    const same = evaluateGates(canarySpec(), measurement(side(2000, 0), side(5000, 0)))
    assert.equal(gate(same, 'p99-vs-stable').verdict, 'pass')
    assert.equal(same.verdict, 'pass')
  })

  it('p99s in the same histogram bucket are not distinguishable: a ratio above the bound there passes, one bucket up fails', () => {
    // Both tails in the 25-50 ms bucket: 2 % at 45 ms vs 2 % at 30 ms interpolate to a ratio > 1.2, within the bucket's error.
    const within = evaluateGates(canarySpec(), measurement(side(5000, 0, {fastMs: 8, slowMs: 45, share: 0.02}), side(5000, 0, {fastMs: 8, slowMs: 30, share: 0.012})))
    const g = gate(within, 'p99-vs-stable')
    assert.ok(g.value! > 1.2, `ratio ${g.value}`)
    assert.equal(g.verdict, 'pass')
    assert.match(g.detail, /both in the 25-50ms bucket/)
    const above = evaluateGates(canarySpec(), measurement(side(5000, 0, {fastMs: 8, slowMs: 80, share: 0.02}), side(5000, 0, {fastMs: 8, slowMs: 30, share: 0.012})))
    assert.equal(gate(above, 'p99-vs-stable').verdict, 'fail')
  })

  it('p99s either side of a bucket edge are judged by the share slower than that edge (identical tails pass)', () => {
    // Seen on the sandbox with two identical workloads: 1.1 % vs 0.9 % of requests at 30 ms put one p99
    // in the 25-50 ms bucket and the other below 25 ms, a ratio of ~3, though the tails are the same.
    const edge = evaluateGates(canarySpec(), measurement(side(5000, 0, {fastMs: 8, slowMs: 30, share: 0.011}), side(5000, 0, {fastMs: 8, slowMs: 30, share: 0.009})))
    const g = gate(edge, 'p99-vs-stable')
    assert.ok(g.value! > 1.2, `ratio ${g.value}`)
    assert.equal(g.verdict, 'pass')
    assert.match(g.detail, /slower than 25ms: canary 1\.1% \(55\/5000\) vs stable 0\.9% \(45\/5000\), Fisher p=0\.\d+: not significantly slower/)
    // Three times the stable's share slower than 25 ms is a slower canary.
    const tripled = evaluateGates(canarySpec(), measurement(side(5000, 0, {fastMs: 8, slowMs: 30, share: 0.03}), side(5000, 0, {fastMs: 8, slowMs: 30, share: 0.009})))
    assert.equal(gate(tripled, 'p99-vs-stable').verdict, 'fail')
    assert.match(gate(tripled, 'p99-vs-stable').detail, /significantly slower$/)
  })

  it('fixed --max-latency and --query bounds, with no-data values holding', () => {
    const spec = canarySpec({compareStable: 'off', maxLatencyMs: 100, queries: [{name: 'p95', promql: 'x', op: '<=', bound: 300}, {name: 'apdex', promql: 'y', op: '>=', bound: 0.9}]})
    const e = evaluateGates(spec, measurement(side(100, 0, {fastMs: 8, slowMs: 400, share: 0.05}), side(0, 0), [{name: 'p95', value: 250}, {name: 'apdex', value: noData('no series')}]))
    assert.equal(gate(e, 'max-latency').verdict, 'fail')
    assert.equal(gate(e, 'p95').verdict, 'pass')
    assert.equal(gate(e, 'apdex').verdict, 'no-data')
    assert.equal(e.verdict, 'fail')
  })

  it('a provider failure is an error verdict, never a pass', () => {
    const e = evaluateGates(canarySpec(), {error: 'prometheus unreachable'})
    assert.equal(e.verdict, 'error')
    assert.equal(e.gates[0]!.detail, 'prometheus unreachable')
  })

  it('under --compare-stable auto, too few requests for p99 does not hold a step the other gates pass; asked for, it holds', () => {
    const auto = evaluateGates(canarySpec({successRate: 99}), measurement(side(200, 0), side(2000, 0)))
    assert.equal(gate(auto, 'p99-vs-stable').verdict, 'no-data')
    assert.equal(gate(auto, 'p99-vs-stable').advisory, true)
    assert.match(gate(auto, 'p99-vs-stable').detail, /advisory under --compare-stable auto/)
    assert.equal(auto.verdict, 'pass')
    assert.equal(evaluateGates(canarySpec({successRate: 99, compareStable: 'on'}), measurement(side(200, 0), side(2000, 0))).verdict, 'no-data')
    // Advisory never hides a failure: a significantly worse canary still fails under auto.
    assert.equal(evaluateGates(canarySpec({maxLatencyRatio: 0}), measurement(side(2000, 40), side(20000, 2))).verdict, 'fail')
  })

  it('--compare-stable on with no stable traffic is no-data; off skips the comparison', () => {
    assert.equal(evaluateGates(canarySpec({compareStable: 'on', maxLatencyRatio: 0}), measurement(side(100, 0), side(0, 0))).verdict, 'no-data')
    assert.equal(evaluateGates(canarySpec({compareStable: 'off'}), measurement(side(100, 0), side(0, 0))).verdict, 'pass')
  })
})
