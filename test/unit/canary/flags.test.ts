import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {parseCanaryFlags, parseQuery, parseSteps, parseTarget, type CanaryFlags} from '../../../src/canary/plan.ts'
import {UsageError} from '../../../src/errors.ts'

const base: CanaryFlags = {target: 'app-service', maxWeight: 100, interval: '1m', threshold: 2, minRequests: 20, query: [], confidence: 95, maxLatencyRatio: 1.2, provider: 'auto', promote: true}
const usage = (fn: () => unknown, pattern: RegExp) => assert.throws(fn, (e: unknown) => e instanceof UsageError && pattern.test(`${e.message} ${e.hint ?? ''}`))

describe('canary flags', () => {
  it('--step climbs to --max-weight without overshooting it; --steps is taken as given', () => {
    assert.deepEqual(parseSteps({step: 10, maxWeight: 100}), [10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
    assert.deepEqual(parseSteps({step: 20, maxWeight: 50}), [20, 40, 50])
    assert.deepEqual(parseSteps({steps: '5,10,25,50', maxWeight: 100}), [5, 10, 25, 50])
    assert.deepEqual(parseSteps({maxWeight: 30}), [10, 20, 30])
  })

  it('bad steps name the flag and the fix', () => {
    usage(() => parseSteps({steps: '10,5', maxWeight: 100}), /--steps 10,5 must increase/)
    usage(() => parseSteps({steps: '10,x', maxWeight: 100}), /--steps: "x"/)
    usage(() => parseSteps({steps: '10,60', maxWeight: 50}), /--steps: "60".*--max-weight 50/)
    usage(() => parseSteps({step: 0, maxWeight: 100}), /--step 0/)
    usage(() => parseSteps({step: 10, steps: '5', maxWeight: 100}), /cannot be used together/)
  })

  it('--query NAME=PROMQL<=VALUE splits at the last comparison', () => {
    assert.deepEqual(parseQuery('p95=histogram_quantile(0.95, sum by (le) (rate(x{a=~"b|c"}[1m])))<=300'), {name: 'p95', promql: 'histogram_quantile(0.95, sum by (le) (rate(x{a=~"b|c"}[1m])))', op: '<=', bound: 300})
    assert.deepEqual(parseQuery('ok=sum(up)>=2'), {name: 'ok', promql: 'sum(up)', op: '>=', bound: 2})
    usage(() => parseQuery('sum(up)>=2'), /NAME=/)
    usage(() => parseQuery('x=sum(up)'), /no <= or >= bound/)
    usage(() => parseQuery('x=sum(up)<=high'), /not a number/)
  })

  it('targets as kubectl names them', () => {
    assert.deepEqual(parseTarget('app'), {kind: 'VirtualService', name: 'app'})
    assert.deepEqual(parseTarget('vs/app'), {kind: 'VirtualService', name: 'app'})
    assert.deepEqual(parseTarget('httproute/store'), {kind: 'HTTPRoute', name: 'store'})
    usage(() => parseTarget('deploy/app'), /unknown kind/)
  })

  it('cross-flag rules: queries need Prometheus, bounds in range, a URL that is a URL', () => {
    usage(() => parseCanaryFlags({...base, provider: 'envoy', query: ['a=up<=1']}), /--query needs the prometheus provider/)
    usage(() => parseCanaryFlags({...base, prometheusUrl: 'localhost:9090'}), /--prometheus-url/)
    usage(() => parseCanaryFlags({...base, minRequests: 0}), /--min-requests/)
    usage(() => parseCanaryFlags({...base, interval: '10'}), /--interval/)
    usage(() => parseCanaryFlags({...base, header: 'x-canary'}), /--header "x-canary" is not K=V/)
    usage(() => parseCanaryFlags({...base, maxLatencyRatio: 0.5}), /--max-latency-ratio/)
    const ok = parseCanaryFlags({...base, header: 'X-Canary=true', compareStable: false, maxLatency: '500ms'})
    assert.deepEqual(ok.header, {name: 'x-canary', value: 'true'})
    assert.equal(ok.compareStable, 'off')
    assert.equal(ok.maxLatencyMs, 500)
    assert.equal(parseCanaryFlags(base).compareStable, 'auto')
  })
})
