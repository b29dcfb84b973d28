import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {parseExposition, sumSamples} from '../../../src/metrics/exposition.ts'

const envoyText = `# TYPE istio_requests_total counter
istio_requests_total{response_code="200",reporter="source",destination_version="stable",response_flags="-"} 940
istio_requests_total{response_code="503",reporter="source",destination_version="canary",response_flags="UH"} 12
istio_requests_total{response_code="200",reporter="source",destination_version="canary",response_flags="-"} 48
# TYPE istio_request_duration_milliseconds histogram
istio_request_duration_milliseconds_bucket{destination_version="canary",le="+Inf"} 60
envoy_server_live 1
escaped{path="a\\"b\\\\c",nl="x\\ny"} 3 1700000000000
`

describe('Prometheus text exposition parser', () => {
  it('reads names, labels (escapes included), values, +Inf and timestamps', () => {
    const samples = parseExposition(envoyText)
    assert.equal(samples.length, 6)
    assert.deepEqual(samples[4], {name: 'envoy_server_live', labels: {}, value: 1})
    assert.equal(samples[3]?.labels.le, '+Inf')
    assert.deepEqual(samples[5], {name: 'escaped', labels: {path: 'a"b\\c', nl: 'x\ny'}, value: 3})
  })

  it('sums a counter over matching labels, with predicates', () => {
    const samples = parseExposition(envoyText)
    assert.equal(sumSamples(samples, 'istio_requests_total', {destination_version: 'canary'}), 60)
    assert.equal(sumSamples(samples, 'istio_requests_total', {response_code: (code) => Number(code) >= 500}), 12)
    assert.equal(sumSamples(samples, 'istio_requests_total', {destination_version: 'none'}), 0)
  })

  it('names the line it cannot read', () => {
    assert.throws(() => parseExposition('ok 1\nbroken{a="x" 2\n'), /metrics line 2/)
    assert.throws(() => parseExposition('ok 1\nnovalue\n'), /metrics line 2/)
    assert.throws(() => parseExposition('x abc\n'), /metrics line 1: bad value "abc"/)
  })
})
