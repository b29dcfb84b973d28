import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'
import {doctorChecks} from '../../plugins/doctor-checks/index.ts'
import {runDoctor, type DoctorReport} from '../../src/doctor/doctor.ts'
import {createEnvoyAdmin} from '../../src/envoy/admin.ts'
import type {KubeClient} from '../../src/kube/client.ts'
import {createKubeClient} from '../../src/kube/connect.ts'
import {faultAnnotation, formatFault} from '../../src/sandbox/fault-annotation.ts'
import {captureIo, fakeContext} from '../helpers/fake-context.ts'
import {gwBin} from '../helpers/paths.ts'
import {startMeshSandbox, type MeshTestSandbox} from '../helpers/sandbox-harness.ts'
import {selfSignedCert} from '../helpers/test-certs.ts'

const healthy = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: shop-gateway, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [shop.example.com]
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [shop.example.com]
    tls: {mode: SIMPLE, credentialName: shop-credential}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shop, namespace: default}
spec:
  hosts: [shop.example.com]
  gateways: [shop-gateway]
  http:
  - match: [{uri: {prefix: /api}}]
    route: [{destination: {host: api-service, subset: v1, port: {number: 8080}}}]
  - route: [{destination: {host: httpbin, port: {number: 80}}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: api-service, namespace: default}
spec:
  host: api-service
  subsets: [{name: v1, labels: {version: v1}}]
`

// Each broken object names the code it must make appear.
const broken = `
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: no-pods-gateway, namespace: default}
spec:
  selector: {istio: ingress-gw-typo}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: [typo.example.com]}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: odd-port-gateway, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 9443, name: http-odd, protocol: HTTP}, hosts: [odd.example.com]}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: shop-gateway-copy, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https-copy, protocol: HTTPS}
    hosts: [shop.example.com]
    tls: {mode: SIMPLE, credentialName: shop-credential}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: billing-gateway, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https-billing, protocol: HTTPS}
    hosts: [billing.example.com]
    tls: {mode: SIMPLE, credentialName: billing-credential}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: orders-gateway, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https-orders, protocol: HTTPS}
    hosts: [orders.example.com]
    tls: {mode: SIMPLE, credentialName: orders-credential}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: broken-routes, namespace: shop}
spec:
  hosts: [shop.example.com]
  gateways: [shop-gateway]
  http: [{route: [{destination: {host: httpbin.default.svc.cluster.local}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: broken-destinations, namespace: default}
spec:
  hosts: [shop.example.com, www.example.org]
  gateways: [shop-gateway]
  http:
  - match: [{uri: {prefix: /missing}}]
    route: [{destination: {host: no-such-service}}]
  - match: [{uri: {prefix: /wrong-port}}]
    route: [{destination: {host: httpbin, port: {number: 8080}}}]
  - match: [{uri: {prefix: /no-subset}}]
    route: [{destination: {host: api-service, subset: v9, port: {number: 8080}}}]
  - match: [{uri: {prefix: /canary}}]
    route: [{destination: {host: web-frontend, subset: canary, port: {number: 80}}}]
  - match: [{uri: {regex: '/(?!internal).*'}}]
    route:
    - {destination: {host: httpbin, port: {number: 80}}, weight: 0}
    - {destination: {host: web-frontend, port: {number: 80}}, weight: 0}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web-frontend, namespace: default}
spec:
  host: web-frontend
  subsets: [{name: canary, labels: {version: canary}}]
`

describe('doctor on the sandbox, with setups applied by real kubectl', () => {
  let harness: MeshTestSandbox
  let kube: KubeClient

  async function doctor(request: {trafficWindowMs?: number} = {}): Promise<DoctorReport> {
    // The clock's sleep is simulated time: waiting out the traffic window runs that much mesh traffic.
    let slept = 0
    const clock = {now: () => new Date(Date.now() + slept), sleep: async (ms: number) => void ((slept += ms), harness.mesh.runTraffic(ms / 1000))}
    const ctx = {...fakeContext({kube, envoy: createEnvoyAdmin(kube, {timeoutMs: 10_000}), io: captureIo()}), clock}
    return (await runDoctor(ctx, {skipEnvoy: false, checks: doctorChecks, ...request})).report
  }
  const codes = (report: DoctorReport) => [...new Set(report.findings.map((f) => f.code))].sort()

  async function apply(manifest: string): Promise<void> {
    const result = await harness.kubectl(['apply', '-f', '-'], manifest)
    assert.equal(result.code, 0, result.stderr)
  }

  before(async () => {
    harness = await startMeshSandbox()
    kube = createKubeClient({selection: {kubeconfig: harness.kubeconfig, env: {}}, requestTimeoutMs: 10_000})
    const cert = selfSignedCert('shop.example.com', 90)
    writeFileSync(path.join(harness.dir, 'shop.crt'), cert.cert)
    writeFileSync(path.join(harness.dir, 'shop.key'), cert.key)
    const created = await harness.kubectl(['create', 'secret', 'tls', 'shop-credential', '-n', 'istio-system', `--cert=${path.join(harness.dir, 'shop.crt')}`, `--key=${path.join(harness.dir, 'shop.key')}`])
    assert.equal(created.code, 0, created.stderr)
    // billing's credential in the Gateway's namespace: the classic mistake.
    const misplaced = await harness.kubectl(['create', 'secret', 'tls', 'billing-credential', '-n', 'default', `--cert=${path.join(harness.dir, 'shop.crt')}`, `--key=${path.join(harness.dir, 'shop.key')}`])
    assert.equal(misplaced.code, 0, misplaced.stderr)
    await apply(healthy)
  })
  after(async () => {
    kube.close()
    await harness.close()
  })

  it('a healthy setup with traffic reports no error and no warning', async () => {
    harness.mesh.runTraffic(20)
    const report = await doctor()
    assert.deepEqual(report.findings.filter((f) => f.level !== 'info'), [], JSON.stringify(report.findings, null, 2))
    assert.deepEqual(report.skipped, [])
    assert.equal(report.summary.checks, doctorChecks.length)
  })

  it('sandbox fault on a destination shows as EnvoyHighErrorRate naming it and its share', async () => {
    const annotated = await harness.kubectl(['annotate', '--overwrite', 'deployment/httpbin', '-n', 'default', `${faultAnnotation}=${formatFault({errorRate: 0.6, latencyMs: 0})}`])
    assert.equal(annotated.code, 0, annotated.stderr)
    harness.mesh.runTraffic(60)
    const report = await doctor()
    const high = report.findings.filter((f) => f.code === 'EnvoyHighErrorRate')
    assert.equal(high.length, 1, JSON.stringify(report.findings, null, 2))
    assert.match(high[0]!.message, /^httpbin\.default\.svc\.cluster\.local: \d+\.\d% of \d+ requests through this gateway failed since Envoy started \(500 /)
    assert.equal(high[0]!.gateway, 'default/shop-gateway')
    const cleared = await harness.kubectl(['annotate', 'deployment/httpbin', '-n', 'default', `${faultAnnotation}-`])
    assert.equal(cleared.code, 0, cleared.stderr)
  })

  it('a fault of the last seconds shows over the traffic window, where the counters since Envoy started hide it', async () => {
    harness.mesh.runTraffic(3600)
    const annotated = await harness.kubectl(['annotate', '--overwrite', 'deployment/httpbin', '-n', 'default', `${faultAnnotation}=${formatFault({errorRate: 0.6, latencyMs: 0})}`])
    assert.equal(annotated.code, 0, annotated.stderr)
    try {
      harness.mesh.runTraffic(2)
      const counters = await doctor()
      assert.deepEqual(counters.findings.filter((f) => f.code === 'EnvoyHighErrorRate'), [], 'two seconds of errors are lost in an hour of counters')
      const windowed = await doctor({trafficWindowMs: 3000})
      const high = windowed.findings.filter((f) => f.code === 'EnvoyHighErrorRate')
      assert.equal(high.length, 1, JSON.stringify(windowed.findings, null, 2))
      assert.match(high[0]!.message, /^httpbin\.default\.svc\.cluster\.local: [5-7]\d\.\d% of \d+ requests through this gateway failed in the last 3\.\ds \(500 /)
    } finally {
      const cleared = await harness.kubectl(['annotate', 'deployment/httpbin', '-n', 'default', `${faultAnnotation}-`])
      assert.equal(cleared.code, 0, cleared.stderr)
    }
  })

  it('broken setups make each expected code appear', async () => {
    await apply(broken)
    const report = await doctor()
    const found = codes(report)
    for (const code of [
      'GatewaySelectorNoMatch',
      'GatewayPortNotOnService',
      'GatewayHostConflict',
      'GatewayCredentialNotFound',
      'GatewayCredentialWrongNamespace',
      'VirtualServiceGatewayNotFound',
      'VirtualServiceHostNotInGateway',
      'DestinationHostNotFound',
      'DestinationPortNotFound',
      'DestinationSubsetNotFound',
      'SubsetSelectsNoPods',
      'RouteWeightsInvalid',
      'RouteRegexInvalid',
      'EnvoySecretMissing',
      'EnvoyConfigRejected',
      'EnvoyClusterNoHealthyEndpoints',
    ]) {
      assert.ok((found as string[]).includes(code), `${code} in ${found.join(', ')}`)
    }
    const conflict = report.findings.find((f) => f.code === 'GatewayHostConflict')
    assert.deepEqual(conflict?.resource, {kind: 'Gateway', namespace: 'default', name: 'shop-gateway-copy'})
    const rejected = report.findings.find((f) => f.code === 'EnvoyConfigRejected')
    assert.deepEqual(rejected?.resource, {kind: 'Gateway', namespace: 'default', name: 'shop-gateway-copy'}, 'istiod rejected the newer Gateway, as doctor predicted')
  })

  it('the CLI exits 1 with the findings as JSON, and 0 with --fail-on none', async () => {
    const run = (args: string[]) =>
      new Promise<{code: number; stdout: string}>((resolve) => {
        execFile(gwBin, ['doctor', '--kubeconfig', harness.kubeconfig, ...args], {env: {PATH: process.env.PATH, HOME: harness.dir}}, (error, stdout) => resolve({code: error ? Number(error.code) : 0, stdout}))
      })
    const failing = await run(['-o', 'json'])
    assert.equal(failing.code, 1)
    const report = JSON.parse(failing.stdout) as DoctorReport
    assert.ok(report.summary.errors > 0)
    assert.equal((await run(['--fail-on', 'none', '--skip-envoy'])).code, 0)
  })
})
