import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'
import {curl, kubectlPortForward, parseCurlResponse} from '../helpers/port-forward.ts'
import {startMeshSandbox, type MeshTestSandbox} from '../helpers/sandbox-harness.ts'
import {selfSignedCert, tlsSecret} from '../helpers/test-certs.ts'

/**
 * Gateway API programmed as Istio 1.28 programs it, checked against ../shared/reference/gateway-api-istio.md
 * (Istio's own status texts, names and labels, from its source and its docs' status goldens).
 */

const objects = `
apiVersion: v1
kind: Namespace
metadata: {name: other}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: web, namespace: default}
spec:
  gatewayClassName: istio
  listeners:
  - {name: http, port: 80, protocol: HTTP, hostname: "*.example.com"}
  - name: https
    port: 443
    protocol: HTTPS
    hostname: secure.example.com
    tls: {mode: Terminate, certificateRefs: [{name: secure-cert, namespace: certs}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: default}
spec:
  parentRefs: [{name: web}]
  hostnames: [shop.example.com, secure.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /api}}]
    filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}}]
    backendRefs: [{name: app-service, port: 80}]
  - backendRefs: [{name: httpbin, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: strays, namespace: default}
spec:
  parentRefs: [{name: web, sectionName: grpc}]
  rules: [{backendRefs: [{name: httpbin, namespace: istio-system, port: 80}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: outsider, namespace: other}
spec:
  parentRefs: [{name: web, namespace: default, sectionName: http}]
  hostnames: [outsider.example.com]
  rules: [{backendRefs: [{name: missing, port: 80}]}]
`

type Obj = Record<string, any>
const conditions = (list: Obj[]) => list.map(({type, status, reason, message}) => ({type, status, reason, message}))

describe('Gateway API programmed as Istio does it', () => {
  let sb: MeshTestSandbox
  const get = async (args: string[]) => JSON.parse((await sb.kubectl(['get', ...args, '-o', 'json'])).stdout) as Obj
  before(async () => {
    sb = await startMeshSandbox()
    const cert = selfSignedCert('secure.example.com')
    writeFileSync(path.join(sb.dir, 'secure.crt'), cert.cert)
    assert.equal((await sb.kubectl(['create', 'namespace', 'certs'])).code, 0)
    assert.equal((await sb.kubectl(['apply', '-f', '-'], JSON.stringify(tlsSecret('secure-cert', 'certs', cert)))).code, 0)
    const applied = await sb.kubectl(['apply', '-f', '-'], objects)
    assert.equal(applied.code, 0, applied.stderr)
    await sb.sandbox.controllers.settled()
  })
  after(async () => {
    await sb?.close()
  })

  it('deploys a managed gateway with Istio\'s names and labels', async () => {
    const deployment = await get(['deployment', 'web-istio'])
    assert.deepEqual(deployment.metadata.labels, {'gateway.networking.k8s.io/gateway-name': 'web', 'gateway.istio.io/managed': 'istio.io-gateway-controller', 'gateway.networking.k8s.io/gateway-class-name': 'istio'})
    assert.equal(deployment.metadata.ownerReferences[0].kind, 'Gateway')
    assert.equal(deployment.status.readyReplicas, 1)
    const service = await get(['service', 'web-istio'])
    assert.equal(service.spec.type, 'LoadBalancer')
    assert.deepEqual(service.spec.ports.map((p: Obj) => [p.name, p.port, p.appProtocol]), [['status-port', 15021, 'tcp'], ['http', 80, 'http'], ['https', 443, 'https']])
  })

  it('writes Istio\'s Gateway status; a certificate in another namespace needs a ReferenceGrant', async () => {
    const gateway = await get(['gateways.gateway.networking.k8s.io', 'web'])
    assert.deepEqual(conditions(gateway.status.conditions), [
      {type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Resource accepted'},
      {type: 'Programmed', status: 'True', reason: 'Programmed', message: 'Resource programmed, assigned to service(s) web-istio.default.svc.cluster.local:80 and web-istio.default.svc.cluster.local:443'},
    ])
    assert.match(gateway.status.addresses[0].value, /^192\.0\.2\.\d+$/)
    const [http, https] = gateway.status.listeners as Obj[]
    assert.equal(http.attachedRoutes, 1, 'shop attaches; strays names no such listener, outsider is refused by namespace')
    assert.deepEqual(conditions(http.conditions).map((c) => `${c.type}=${c.status}/${c.reason}/${c.message}`), ['Accepted=True/Accepted/No errors found', 'Conflicted=False/NoConflicts/No errors found', 'Programmed=True/Programmed/No errors found', 'ResolvedRefs=True/ResolvedRefs/No errors found'])
    assert.deepEqual(http.supportedKinds, [{group: 'gateway.networking.k8s.io', kind: 'HTTPRoute'}, {group: 'gateway.networking.k8s.io', kind: 'GRPCRoute'}])
    const refused = Object.fromEntries(conditions(https.conditions).map((c) => [c.type, c]))
    assert.deepEqual(refused.ResolvedRefs, {type: 'ResolvedRefs', status: 'False', reason: 'RefNotPermitted', message: 'certificateRef secure-cert/certs not accessible to a Gateway in namespace "default" (missing a ReferenceGrant?)'})
    assert.deepEqual(refused.Programmed, {type: 'Programmed', status: 'False', reason: 'Invalid', message: 'Bad TLS configuration'})
  })

  it('writes HTTPRoute parents with Istio\'s reasons', async () => {
    const shop = await get(['httproute', 'shop'])
    assert.deepEqual(shop.status.parents.map((p: Obj) => [p.controllerName, conditions(p.conditions)]), [['istio.io/gateway-controller', [
      {type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Route was valid, bound to 2 parents'},
      {type: 'ResolvedRefs', status: 'True', reason: 'ResolvedRefs', message: 'All references resolved'},
    ]]])
    const strays = await get(['httproute', 'strays'])
    assert.deepEqual(conditions(strays.status.parents[0].conditions), [
      {type: 'Accepted', status: 'False', reason: 'NoMatchingParent', message: 'sectionName "grpc" not found'},
      {type: 'ResolvedRefs', status: 'False', reason: 'RefNotPermitted', message: 'backendRef httpbin/istio-system not accessible to a HTTPRoute in namespace "default" (missing a ReferenceGrant?)'},
    ])
    const outsider = await get(['httproute', 'outsider', '-n', 'other'])
    assert.deepEqual(conditions(outsider.status.parents[0].conditions), [
      {type: 'Accepted', status: 'False', reason: 'NotAllowedByListeners', message: 'hostnames matched parent hostname "*.example.com", but namespace "other" is not allowed by the parent'},
      {type: 'ResolvedRefs', status: 'False', reason: 'BackendNotFound', message: 'backend(missing.other.svc.cluster.local) not found'},
    ])
  })

  it('serves the routes through the managed gateway: whole-segment prefixes, "/" rewrites, and TLS once a ReferenceGrant allows the secret', async () => {
    const grant = `apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: gateways-read-certs, namespace: certs}
spec:
  from: [{group: gateway.networking.k8s.io, kind: Gateway, namespace: default}]
  to: [{group: "", kind: Secret}]
`
    assert.equal((await sb.kubectl(['apply', '-f', '-'], grant)).code, 0)
    await sb.sandbox.controllers.settled()
    const https = (await get(['gateways.gateway.networking.k8s.io', 'web'])).status.listeners[1]
    assert.deepEqual(conditions(https.conditions).filter((c) => c.status !== 'True' && c.type !== 'Conflicted'), [])
    const forward = await kubectlPortForward(sb.kubeconfig, sb.dir, ['svc/web-istio', ':80', ':443'], {ports: 2})
    try {
      const port = forward.local.get(80)!
      const api = JSON.parse(parseCurlResponse((await curl(['-i', '-H', 'Host: shop.example.com', `http://127.0.0.1:${port}/api/users`])).stdout).body)
      assert.equal(api.path, '/users')
      assert.match(api.served_by.workload, /^app-service-/)
      const apiv2 = JSON.parse(parseCurlResponse((await curl(['-i', '-H', 'Host: shop.example.com', `http://127.0.0.1:${port}/apiv2`])).stdout).body)
      assert.equal(apiv2.served_by.workload, 'httpbin', '/api as a Gateway API prefix does not match /apiv2')
      const tlsPort = forward.local.get(443)!
      const secure = await curl(['--cacert', path.join(sb.dir, 'secure.crt'), '--resolve', `secure.example.com:${tlsPort}:127.0.0.1`, `https://secure.example.com:${tlsPort}/get`])
      assert.equal(secure.code, 0, secure.stderr)
      assert.equal(JSON.parse(secure.stdout).headers['X-Forwarded-Proto'], 'https')
    } finally {
      await forward.stop()
    }
  })

  it('deleting the Gateway takes its managed deployment, service and pods with it', async () => {
    assert.equal((await sb.kubectl(['delete', 'gateways.gateway.networking.k8s.io', 'web'])).code, 0)
    await sb.sandbox.controllers.settled()
    const left = await sb.kubectl(['get', 'deployments,services,serviceaccounts,pods', '-l', 'gateway.networking.k8s.io/gateway-name=web', '-o', 'name'])
    assert.equal(left.stdout, '')
  })

  it('validates Gateway API objects against their CRD schema (422)', async () => {
    const bad = await sb.kubectl(['apply', '-f', '-'], 'apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: bad}\nspec: {listeners: [{name: http, port: 99999, protocol: HTTP}]}\n')
    assert.notEqual(bad.code, 0)
    assert.match(bad.stderr, /spec\.gatewayClassName: Required value/)
    assert.match(bad.stderr, /spec\.listeners\[0\]\.port: Invalid value: 99999/)
  })
})
