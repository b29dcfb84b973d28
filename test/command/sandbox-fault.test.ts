import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'
import {Config} from '@oclif/core'
import SandboxFault from '../../commands/sandbox/fault.ts'
import type {GwContext} from '../../src/context.ts'
import {createEnvoyAdmin} from '../../src/envoy/admin.ts'
import type {KubeClient} from '../../src/kube/client.ts'
import {createKubeClient} from '../../src/kube/connect.ts'
import type {SandboxMesh} from '../../src/sandbox/mesh/index.ts'
import {startMeshSandbox, type MeshTestSandbox} from '../helpers/sandbox-harness.ts'
import {requestSeries, sumRequests} from '../helpers/mesh-probe.ts'
import {repoRoot} from '../helpers/paths.ts'
import {seed000, seedObject} from '../helpers/fake-cluster-state.ts'

/** `sandbox fault` against a running sandbox: the annotation goes through the API, the mesh obeys at once. */
describe('kubectl gw sandbox fault', () => {
  let harness: MeshTestSandbox
  let mesh: SandboxMesh
  let config: Config
  let kubeconfig: string

  function context(out: string[], err: string[], kube: KubeClient = createKubeClient({selection: {kubeconfig, env: {}}, requestTimeoutMs: 0})): GwContext {
    const stream = (sink: string[]) => ({write: (t: string) => void sink.push(t), isTTY: false})
    return {kube, envoy: createEnvoyAdmin(kube), clock: {now: () => new Date(), sleep: async () => undefined}, io: {stdout: stream(out), stderr: stream(err), interactive: false, debug: () => undefined}, namespace: async () => 'default'}
  }

  async function runCommand(argv: string[], kube?: KubeClient): Promise<{code: number; out: string; err: string}> {
    const out: string[] = []
    const err: string[] = []
    const cmd = new SandboxFault(argv, config)
    cmd.injectedContext = context(out, err, kube)
    await (cmd as unknown as {_run(): Promise<unknown>})._run()
    cmd.injectedContext.kube.close()
    return {code: cmd.exitCode, out: out.join(''), err: err.join('')}
  }

  const errorShare = () => {
    const before = requestSeries(mesh.scrape())
    mesh.runTraffic(20)
    const after = requestSeries(mesh.scrape())
    const f = {reporter: 'source', destination_workload: 'httpbin'}
    const total = sumRequests(after, f) - sumRequests(before, f)
    return (sumRequests(after, {...f, response_code: /^5/}) - sumRequests(before, {...f, response_code: /^5/})) / total
  }

  before(async () => {
    config = await Config.load({root: repoRoot})
    harness = await startMeshSandbox()
    mesh = harness.mesh
    kubeconfig = harness.kubeconfig
    const kube = createKubeClient({selection: {kubeconfig, env: {}}, requestTimeoutMs: 0})
    for (const o of [seedObject(seed000, 'Gateway', 'httpbin-gateway'), seedObject(seed000, 'VirtualService', 'httpbin-vs')]) await kube.apply(o as never, {fieldManager: 'test'})
    kube.close()
  })

  after(async () => {
    await harness?.close()
  })

  it('sets an error rate that the next traffic window shows, then clears it', async () => {
    assert.equal(errorShare(), 0)
    const set = await runCommand(['httpbin', '--error-rate', '30%', '-o', 'json'])
    assert.equal(set.code, 0, set.err)
    assert.deepEqual(JSON.parse(set.out), {namespace: 'default', workload: 'httpbin', errorRate: 0.3, latencyMs: 0, cleared: false})
    const share = errorShare()
    assert.ok(share > 0.25 && share < 0.35, `5xx share ${share}`)
    const cleared = await runCommand(['httpbin', '--clear'])
    assert.equal(cleared.code, 0, cleared.err)
    assert.match(cleared.out, /^NAMESPACE\s+WORKLOAD\s+ERROR-RATE\s+LATENCY\s+STATE\ndefault\s+httpbin\s+-\s+-\s+cleared\n$/)
    assert.equal(errorShare(), 0)
  })

  it('adds latency that the duration histogram shows', async () => {
    const r = await runCommand(['httpbin', '--latency', '800ms'])
    assert.equal(r.code, 0, r.err)
    mesh.runTraffic(5)
    const slow = mesh.scrape().split('\n').find((l) => l.startsWith('istio_request_duration_milliseconds_bucket') && l.includes('reporter="source"') && l.includes('destination_workload="httpbin"') && l.includes('le="500"'))
    const all = mesh.scrape().split('\n').find((l) => l.startsWith('istio_request_duration_milliseconds_count') && l.includes('reporter="source"') && l.includes('destination_workload="httpbin"'))
    assert.ok(slow && all)
    const fast = Number(slow.split(' ').pop())
    const total = Number(all.split(' ').pop())
    assert.ok(total - fast >= 50, `at least the 50 new requests are slower than 500ms (${fast} of ${total} under 500ms)`)
    await runCommand(['httpbin', '--clear'])
  })

  it('rejects bad input with exit 2 and writes nothing', async () => {
    for (const argv of [['httpbin', '--error-rate', '1.5'], ['httpbin', '--latency', 'soon'], ['httpbin'], ['no-such-workload', '--error-rate', '0.1'], ['httpbin', '--clear', '--error-rate', '0.1']]) {
      const r = await runCommand(argv)
      assert.equal(r.code, 2, `${argv.join(' ')} -> ${r.code} ${r.err}`)
      assert.match(r.err, /^error: /)
      assert.equal(r.out, '')
    }
    const kube = createKubeClient({selection: {kubeconfig, env: {}}, requestTimeoutMs: 0})
    const deployment = await kube.get({apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'httpbin'})
    kube.close()
    assert.equal(deployment?.metadata.annotations?.['sandbox.kubectl-gw.io/fault'], undefined)
  })

  it('refuses a cluster that is not the sandbox, before writing anything', async () => {
    const writes: string[] = []
    const realCluster = {
      serverVersion: async () => ({major: '1', minor: '30', gitVersion: 'v1.30.2'}),
      get: async () => (writes.push('get'), undefined),
      patch: async () => (writes.push('patch'), undefined),
      close: () => undefined,
    } as unknown as KubeClient
    const r = await runCommand(['httpbin', '--error-rate', '0.2'], realCluster)
    assert.equal(r.code, 2)
    assert.match(r.err, /^error: the cluster is not a kubectl-gw sandbox \(server v1\.30\.2\)/)
    assert.deepEqual(writes, [])
  })
})
