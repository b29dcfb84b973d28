import assert from 'node:assert/strict'
import {after, before, beforeEach, describe, it} from 'node:test'
import {startScrapeServer, type ScrapeServer} from '../../src/sandbox/mesh/scrape-server.ts'
import {canaryWorldFile, startCanaryWorld} from '../helpers/canary-world.ts'
import {runGw} from '../helpers/gw-process.ts'
import {prometheusSkip, startPrometheus, untilAnswered, type RunningPrometheus} from '../helpers/prometheus.ts'
import type {MeshTestSandbox} from '../helpers/sandbox-harness.ts'

type Json = Record<string, any>

/** The prometheus provider, on a real Prometheus scraping the sandbox, reaches the envoy provider's verdicts. */
describe('kubectl gw canary: prometheus and envoy providers agree', {skip: prometheusSkip}, () => {
  let world: MeshTestSandbox
  let scrape: ScrapeServer
  let prometheus: RunningPrometheus
  let env: Record<string, string>

  before(async () => {
    world = await startCanaryWorld()
    env = {KUBECONFIG: world.kubeconfig, HOME: world.dir}
    scrape = await startScrapeServer(world.mesh)
    prometheus = await startPrometheus(scrape.url, 0.5)
    // The provider judges windows of the past: wait until Prometheus holds the route's traffic.
    await untilAnswered(prometheus, 'sum(increase(istio_requests_total{reporter="source",destination_service_name="app-service"}[2s])) > 0')
  })
  after(async () => {
    await prometheus?.stop()
    await scrape?.close()
    await world?.close()
  })
  beforeEach(async () => {
    await world.kubectl(['delete', 'virtualservice', 'app-service', '-n', 'default', '--ignore-not-found'])
    const applied = await world.kubectl(['apply', '-f', canaryWorldFile])
    assert.equal(applied.code, 0, applied.stderr)
  })

  const canary = async (provider: string[]) => {
    const run = await runGw(['canary', 'app-service', '--steps', '50,100', '--interval', '2500ms', '-o', 'json', ...provider], env)
    const result = run.events.at(-1)!
    assert.equal(result.type, 'result', run.stderr)
    return {code: run.code, phase: result.phase as string, looks: run.events.filter((e) => e.type === 'look') as Json[], stderr: run.stderr}
  }

  it('--dry-run shows the rendered PromQL per destination_version', async () => {
    const run = await runGw(['canary', 'app-service', '--prometheus-url', prometheus.url, '--interval', '30s', '--dry-run'], env)
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /canary requests: sum\(increase\(istio_requests_total\{reporter="source",destination_service_name="app-service",destination_service_namespace="default",destination_version="canary"\}\[30s\]\)\)/)
    assert.match(run.stdout, /stable p99: histogram_quantile\(0\.99, sum by \(le\) \(increase\(istio_request_duration_milliseconds_bucket\{[^}]*destination_version="stable"\}\[30s\]\)\)\)/)
    assert.match(run.stdout, /nothing was written/)
  })

  it('healthy: both providers promote', async () => {
    const viaPrometheus = await canary(['--prometheus-url', prometheus.url])
    assert.equal(viaPrometheus.phase, 'Succeeded', viaPrometheus.stderr)
    assert.ok(viaPrometheus.looks.every((l) => l.evaluation.canary.requests > 0), 'Prometheus counted canary requests')
    await world.kubectl(['apply', '-f', canaryWorldFile])
    await runGw(['canary', 'abort', 'app-service'], env)
    const viaEnvoy = await canary(['--provider', 'envoy'])
    assert.equal(viaEnvoy.phase, 'Succeeded', viaEnvoy.stderr)
    assert.equal(viaPrometheus.code, viaEnvoy.code)
  })

  it('faulted canary: both providers roll back, on the comparison with the stable', async () => {
    await runGw(['sandbox', 'fault', 'app-service-canary', '--error-rate', '0.2'], env)
    try {
      const viaPrometheus = await canary(['--prometheus-url', prometheus.url])
      await world.kubectl(['delete', 'virtualservice', 'app-service', '-n', 'default'])
      await world.kubectl(['apply', '-f', canaryWorldFile])
      const viaEnvoy = await canary(['--provider', 'envoy'])
      for (const run of [viaPrometheus, viaEnvoy]) {
        assert.equal(run.phase, 'RolledBack', run.stderr)
        assert.equal(run.code, 1)
        assert.equal(run.looks[0]!.evaluation.gates.find((g: Json) => g.gate === 'error-rate-vs-stable').verdict, 'fail')
      }
    } finally {
      await runGw(['sandbox', 'fault', 'app-service-canary', '--clear'], env)
    }
  })
})
