import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'
import {createEnvoyAdmin, EnvoyAdminError} from '../../src/envoy/admin.ts'
import type {KubeClient} from '../../src/kube/client.ts'
import type {KubeObject} from '../../src/kube/objects.ts'
import {createKubeClient} from '../../src/kube/connect.ts'
import {parseExposition, sumSamples} from '../../src/metrics/exposition.ts'
import {startMeshSandbox, type MeshTestSandbox} from '../helpers/sandbox-harness.ts'

const bookinfo = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: door-gw, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [door.example.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: door-vs, namespace: default}
spec:
  hosts: [door.example.com]
  gateways: [door-gw]
  http:
  - route:
    - destination: {host: httpbin, port: {number: 80}}
`

/** The door against the sandbox's API server: the pod proxy reaches each gateway pod's simulated Envoy admin. */
describe('Envoy admin door on the sandbox', () => {
  let harness: MeshTestSandbox
  let kube: KubeClient
  let pods: {namespace: string; name: string}[]

  before(async () => {
    harness = await startMeshSandbox()
    kube = createKubeClient({selection: {kubeconfig: harness.kubeconfig, env: {}}, requestTimeoutMs: 10_000})
    const listed = await kube.list<KubeObject>('v1', 'Pod', {namespace: 'istio-system', labelSelector: 'istio=ingressgateway'})
    pods = listed.map((pod) => ({namespace: 'istio-system', name: pod.metadata.name!}))
  })
  after(async () => {
    kube.close()
    await harness.close()
  })

  it('reads config_dump and server_info of every gateway pod through the pod proxy', async () => {
    assert.equal(pods.length, 2)
    const envoy = createEnvoyAdmin(kube)
    for (const pod of pods) {
      const dump = JSON.parse((await envoy.get(pod, 'config_dump')).toString()) as {configs: {'@type': string}[]}
      assert.ok(dump.configs.some((c) => c['@type'].endsWith('ListenersConfigDump')), 'a listeners section')
      const info = JSON.parse((await envoy.get(pod, 'server_info')).toString()) as {state: string}
      assert.equal(info.state, 'LIVE')
    }
    assert.equal(envoy.route, 'pod-proxy')
  })

  it('reads the gateway stats that canary and doctor count, as Prometheus text', async () => {
    const applied = await harness.kubectl(['apply', '-f', '-'], bookinfo)
    assert.equal(applied.code, 0, applied.stderr)
    harness.mesh.runTraffic(30)
    const samples = parseExposition((await createEnvoyAdmin(kube).get(pods[0]!, 'stats/prometheus')).toString())
    assert.ok(sumSamples(samples, 'istio_requests_total', {reporter: 'source'}) > 0, 'the gateway counted requests')
  })

  it('a pod that does not exist is an EnvoyAdminError, not a crash', async () => {
    await assert.rejects(createEnvoyAdmin(kube).get({namespace: 'istio-system', name: 'no-such-pod'}, 'ready'), EnvoyAdminError)
  })
})
