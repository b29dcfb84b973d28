import assert from 'node:assert/strict'
import {execFile, spawn} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {promisify} from 'node:util'
import {skipUnlessInstalled} from '../helpers/paths.ts'
import {after, before, describe, it} from 'node:test'
import {stringify} from 'yaml'
import type {SandboxMesh} from '../../src/sandbox/mesh/index.ts'
import {startMeshSandbox, type MeshTestSandbox} from '../helpers/sandbox-harness.ts'
import {seed000, seedObject} from '../helpers/fake-cluster-state.ts'
import {requestSeries, sumRequests} from '../helpers/mesh-probe.ts'
import {selfSignedCert, tlsSecret} from '../helpers/test-certs.ts'

const run = promisify(execFile)
const kubectlBin = '/usr/bin/kubectl'

describe('sandbox mesh through the API server with real kubectl', {skip: skipUnlessInstalled(kubectlBin, 'kubectl')}, () => {
  let harness: MeshTestSandbox
  let dir: string
  let mesh: SandboxMesh
  let kubeconfig: string
  let gatewayPod: string

  const kubectl = async (...args: string[]) => (await run(kubectlBin, ['--kubeconfig', kubeconfig, ...args], {maxBuffer: 64 * 1024 * 1024})).stdout
  const raw = (pathAndQuery: string) => kubectl('get', '--raw', pathAndQuery)
  const adminPath = (p: string) => `/api/v1/namespaces/istio-system/pods/${gatewayPod}:15000/proxy/${p}`
  const applyYaml = async (...objects: Record<string, unknown>[]) => {
    const file = path.join(dir, `apply-${Math.random().toString(36).slice(2)}.yaml`)
    fs.writeFileSync(file, objects.map((o) => stringify(o)).join('---\n'))
    return kubectl('apply', '-f', file)
  }

  before(async () => {
    harness = await startMeshSandbox()
    ;({dir, mesh, kubeconfig} = harness)
    const pods = JSON.parse(await kubectl('get', 'pods', '-n', 'istio-system', '-l', 'istio=ingressgateway', '-o', 'json'))
    gatewayPod = pods.items.map((p: {metadata: {name: string}}) => p.metadata.name).sort()[0]
    assert.ok(gatewayPod, 'the demo world has ingress gateway pods')
  })

  after(async () => {
    await harness?.close()
  })

  it('shows the seed 000 listener, virtual host and cluster in config_dump via kubectl get --raw', async () => {
    await applyYaml(seedObject(seed000, 'Gateway', 'httpbin-gateway'), seedObject(seed000, 'VirtualService', 'httpbin-vs'))
    const dump = JSON.parse(await raw(adminPath('config_dump')))
    const types = dump.configs.map((c: {'@type': string}) => c['@type'].split('.').pop())
    assert.deepEqual(types, ['BootstrapConfigDump', 'ClustersConfigDump', 'ListenersConfigDump', 'ScopedRoutesConfigDump', 'RoutesConfigDump', 'SecretsConfigDump'])
    const listeners = dump.configs[2].dynamic_listeners.map((l: {name: string}) => l.name)
    assert.ok(listeners.includes('0.0.0.0_8080'))
    const http = dump.configs[4].dynamic_route_configs.find((r: any) => r.route_config.name === 'http.8080').route_config
    const vhost = http.virtual_hosts.find((v: any) => v.name === 'httpbin.example.com:80')
    assert.equal(vhost.routes[0].route.cluster, 'outbound|80||httpbin.default.svc.cluster.local')
    const clusters = dump.configs[1].dynamic_active_clusters.map((c: any) => c.cluster.name)
    assert.ok(clusters.includes('outbound|80||httpbin.default.svc.cluster.local'))
    const eps = JSON.parse(await raw(adminPath('clusters?format=json')))
    const httpbin = eps.cluster_statuses.find((c: any) => c.name === 'outbound|80||httpbin.default.svc.cluster.local')
    assert.equal(httpbin.host_statuses.length, 2, 'both httpbin pods are endpoints')
    assert.equal((await raw(adminPath('ready'))).trim(), 'LIVE')
  })

  it('grows istio_requests_total between two reads of stats/prometheus', async () => {
    const count = async () => sumRequests(requestSeries(await raw(adminPath('stats/prometheus'))), {reporter: 'source', destination_service: 'httpbin.default.svc.cluster.local'})
    const first = await count()
    mesh.runTraffic(5)
    const second = await count()
    assert.ok(second > first, `counter grew (${first} -> ${second})`)
    assert.equal(second - first, 50)
  })

  it('raises the 5xx share in the next window after a fault annotation is written through the API', async () => {
    const window = async () => {
      const before = requestSeries(await raw(adminPath('stats/prometheus')))
      mesh.runTraffic(20)
      const after = requestSeries(await raw(adminPath('stats/prometheus')))
      const filter = {reporter: 'source', destination_workload: 'httpbin'}
      const total = sumRequests(after, filter) - sumRequests(before, filter)
      const errors = sumRequests(after, {...filter, response_code: /^5/}) - sumRequests(before, {...filter, response_code: /^5/})
      return errors / total
    }
    assert.equal(await window(), 0)
    await kubectl('annotate', 'deployment', 'httpbin', '--overwrite', `sandbox.kubectl-gw.io/fault=${JSON.stringify({errorRate: 0.4, latencyMs: 0})}`)
    const share = await window()
    assert.ok(share > 0.3 && share < 0.5, `5xx share ${share}`)
    await kubectl('annotate', 'deployment', 'httpbin', 'sandbox.kubectl-gw.io/fault-')
    assert.equal(await window(), 0)
  })

  it('serves the same admin API through kubectl port-forward, as istioctl reaches it', async () => {
    const forward = spawn(kubectlBin, ['--kubeconfig', kubeconfig, 'port-forward', '-n', 'istio-system', `pod/${gatewayPod}`, ':15000', '--address', '127.0.0.1'], {stdio: ['ignore', 'pipe', 'pipe']})
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = ''
        forward.stdout!.on('data', (chunk) => {
          out += String(chunk)
          const m = /Forwarding from 127\.0\.0\.1:(\d+) -> 15000/.exec(out)
          if (m) resolve(Number(m[1]))
        })
        forward.once('exit', (code) => reject(new Error(`kubectl port-forward exited ${code}: ${out}`)))
      })
      const dump = (await (await fetch(`http://127.0.0.1:${port}/config_dump?mask=dynamic_listeners,static_listeners`)).json()) as {configs: {dynamic_listeners?: {name: string}[]}[]}
      assert.ok(dump.configs.some((c) => c.dynamic_listeners?.some((l) => l.name === '0.0.0.0_8080')))
      const info = (await (await fetch(`http://127.0.0.1:${port}/server_info`)).json()) as {state: string}
      assert.equal(info.state, 'LIVE')
    } finally {
      const exited = new Promise((resolve) => forward.once('exit', resolve))
      forward.kill('SIGTERM')
      await exited
    }
  })

  it('reports a dropped duplicate TLS Gateway server on istiod\'s monitoring port (plain HTTP ones merge)', async () => {
    const plainCopy = seedObject(seed000, 'Gateway', 'httpbin-gateway') as {metadata: {name: string}}
    plainCopy.metadata.name = 'httpbin-gateway-plain-copy'
    await applyYaml(seedObject(seed000, 'Gateway', 'httpbin-gateway-secure'))
    const copy = seedObject(seed000, 'Gateway', 'httpbin-gateway-secure') as {metadata: {name: string}}
    copy.metadata.name = 'httpbin-gateway-secure-copy' // sorts after the original: istiod breaks creation-time ties by name
    await applyYaml(copy, plainCopy)
    const istiod = JSON.parse(await kubectl('get', 'pods', '-n', 'istio-system', '-l', 'app=istiod', '-o', 'json')).items[0].metadata.name
    const metrics = await raw(`/api/v1/namespaces/istio-system/pods/${istiod}:15014/proxy/metrics`)
    assert.match(metrics, /^pilot_total_rejected_configs\{type="gateway",name="default\/httpbin-gateway-secure-copy"\} 2$/m)
    assert.doesNotMatch(metrics, /name="default\/httpbin-gateway(-secure|-plain-copy)?"\}/)
    await kubectl('delete', 'gateway', 'httpbin-gateway-secure-copy', 'httpbin-gateway-plain-copy', 'httpbin-gateway-secure')
  })

  it('removes the virtual host when the VirtualService is deleted', async () => {
    await kubectl('delete', 'virtualservice', 'httpbin-vs')
    const routes = JSON.parse(await raw(adminPath('config_dump?mask=dynamic_route_configs')))
    const http = routes.configs.find((c: any) => c.dynamic_route_configs)?.dynamic_route_configs.find((r: any) => r.route_config.name === 'http.8080').route_config
    assert.deepEqual(http.virtual_hosts.map((v: any) => v.name), ['blackhole:80'])
  })

  it('leaves kubernetes://NAME out of dynamic_active_secrets when the secret sits in the Gateway namespace', async () => {
    const cert = selfSignedCert('httpbin.example.com')
    await applyYaml(tlsSecret('httpbin-credential', 'default', cert), seedObject(seed000, 'Gateway', 'httpbin-gateway-secure'))
    const secrets = async () => JSON.parse(await raw(adminPath('config_dump?mask=dynamic_active_secrets,dynamic_warming_secrets'))).configs.find((c: any) => c['@type'].endsWith('SecretsConfigDump'))
    let dump = await secrets()
    assert.equal((dump.dynamic_active_secrets ?? []).some((s: any) => s.name === 'kubernetes://httpbin-credential'), false)
    assert.ok(dump.dynamic_warming_secrets.some((s: any) => s.name === 'kubernetes://httpbin-credential'))
    await applyYaml(tlsSecret('httpbin-credential', 'istio-system', cert))
    dump = await secrets()
    assert.ok(dump.dynamic_active_secrets.some((s: any) => s.name === 'kubernetes://httpbin-credential'))
  })
})
