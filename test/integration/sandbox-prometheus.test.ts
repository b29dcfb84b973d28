import assert from 'node:assert/strict'
import {spawn, type ChildProcess} from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'
import {skipUnlessInstalled} from '../helpers/paths.ts'
import {after, before, describe, it} from 'node:test'
import {createKubeClient} from '../../src/kube/connect.ts'
import {scrapeConfig, startScrapeServer, type ScrapeServer} from '../../src/sandbox/mesh/scrape-server.ts'
import {seed000, seedObject} from '../helpers/fake-cluster-state.ts'
import {startMeshSandbox, type MeshTestSandbox} from '../helpers/sandbox-harness.ts'

const prometheusBin = ['/usr/bin/prometheus', '/usr/local/bin/prometheus'].find((p) => fs.existsSync(p))

async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

describe('a real Prometheus scrapes the sandbox mesh', {skip: skipUnlessInstalled(prometheusBin, 'prometheus (apt-get install prometheus)')}, () => {
  let dir: string
  let harness: MeshTestSandbox
  let scrape: ScrapeServer
  let prometheus: ChildProcess
  let promUrl: string
  let promLog = ''

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-prom-'))
    // Real time here: Prometheus computes rates over wall-clock scrapes, so the sandbox's own traffic timer runs.
    harness = await startMeshSandbox({tickMs: 200, requestsPerSecond: 20})
    const kube = createKubeClient({selection: {kubeconfig: harness.kubeconfig, env: {}}, requestTimeoutMs: 0})
    for (const o of [seedObject(seed000, 'Gateway', 'httpbin-gateway'), seedObject(seed000, 'VirtualService', 'httpbin-vs')]) await kube.apply(o as never, {fieldManager: 'test'})
    await kube.patch({apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'httpbin'}, {metadata: {annotations: {'sandbox.kubectl-gw.io/fault': JSON.stringify({errorRate: 0.25, latencyMs: 0})}}}, 'merge')
    kube.close()
    scrape = await startScrapeServer(harness.mesh)
    const port = await freePort()
    promUrl = `http://127.0.0.1:${port}`
    const config = path.join(dir, 'prometheus.yml')
    fs.writeFileSync(config, `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n${scrapeConfig(scrape.url, 1)}`)
    prometheus = spawn(prometheusBin!, [`--config.file=${config}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.retention.time=1h'], {stdio: ['ignore', 'pipe', 'pipe']})
    prometheus.stderr!.on('data', (chunk) => (promLog += String(chunk)))
  })

  after(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus.once('exit', resolve))
      prometheus.kill('SIGTERM')
      await exited
    }
    await scrape?.close()
    await harness?.close()
    if (dir) fs.rmSync(dir, {recursive: true, force: true})
  })

  it('answers a PromQL success-rate query with the simulated fault rate', async () => {
    const query = 'sum(rate(istio_requests_total{reporter="source",destination_service_name="httpbin",response_code!~"5.."}[5s])) / sum(rate(istio_requests_total{reporter="source",destination_service_name="httpbin"}[5s]))'
    let value: number | undefined
    // Bounded: Prometheus needs two scrapes in the window before rate() has an answer.
    for (let attempt = 0; attempt < 60 && value === undefined; attempt++) {
      try {
        const response = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(query)}`)
        const body = (await response.json()) as {status: string; data: {result: {value: [number, string]}[]}}
        if (body.status === 'success' && body.data.result.length > 0) value = Number(body.data.result[0]!.value[1])
      } catch {
        // not listening yet
      }
      if (value === undefined || Number.isNaN(value)) {
        value = undefined
        await delay(500)
      }
    }
    assert.ok(value !== undefined, `Prometheus gave no answer; its log:\n${promLog.slice(-2000)}`)
    assert.ok(value > 0.6 && value < 0.9, `success rate ${value} reflects the 25% fault`)
    const targets = (await (await fetch(`${promUrl}/api/v1/targets`)).json()) as {data: {activeTargets: {health: string}[]}}
    assert.equal(targets.data.activeTargets[0]!.health, 'up')
  })
})
