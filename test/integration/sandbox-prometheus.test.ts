import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'
import {createKubeClient} from '../../src/kube/connect.ts'
import {startScrapeServer, type ScrapeServer} from '../../src/sandbox/mesh/scrape-server.ts'
import {seed000, seedObject} from '../helpers/fake-cluster-state.ts'
import {prometheusSkip, startPrometheus, untilAnswered, type RunningPrometheus} from '../helpers/prometheus.ts'
import {startMeshSandbox, type MeshTestSandbox} from '../helpers/sandbox-harness.ts'

describe('a real Prometheus scrapes the sandbox mesh', {skip: prometheusSkip}, () => {
  let harness: MeshTestSandbox
  let scrape: ScrapeServer
  let prometheus: RunningPrometheus

  before(async () => {
    // Real time here: Prometheus computes rates over wall-clock scrapes, so the sandbox's own traffic timer runs.
    harness = await startMeshSandbox({tickMs: 200, requestsPerSecond: 20})
    const kube = createKubeClient({selection: {kubeconfig: harness.kubeconfig, env: {}}, requestTimeoutMs: 0})
    for (const o of [seedObject(seed000, 'Gateway', 'httpbin-gateway'), seedObject(seed000, 'VirtualService', 'httpbin-vs')]) await kube.apply(o as never, {fieldManager: 'test'})
    await kube.patch({apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'httpbin'}, {metadata: {annotations: {'sandbox.kubectl-gw.io/fault': JSON.stringify({errorRate: 0.25, latencyMs: 0})}}}, 'merge')
    kube.close()
    scrape = await startScrapeServer(harness.mesh)
    prometheus = await startPrometheus(scrape.url, 1)
  })

  after(async () => {
    await prometheus?.stop()
    await scrape?.close()
    await harness?.close()
  })

  it('answers a PromQL success-rate query with the simulated fault rate', async () => {
    const query = 'sum(rate(istio_requests_total{reporter="source",destination_service_name="httpbin",response_code!~"5.."}[5s])) / sum(rate(istio_requests_total{reporter="source",destination_service_name="httpbin"}[5s]))'
    const value = await untilAnswered(prometheus, query)
    assert.ok(value > 0.6 && value < 0.9, `success rate ${value} reflects the 25% fault`)
    const targets = (await (await fetch(`${prometheus.url}/api/v1/targets`)).json()) as {data: {activeTargets: {health: string}[]}}
    assert.equal(targets.data.activeTargets[0]!.health, 'up')
  })
})
