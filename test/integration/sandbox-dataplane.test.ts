import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'
import {gwBin, requireBuiltCli} from '../helpers/paths.ts'
import {requestSeries, sumRequests} from '../helpers/mesh-probe.ts'
import {curl, kubectlPortForward, parseCurlResponse, type PortForward} from '../helpers/port-forward.ts'
import {startMeshSandbox, type MeshTestSandbox} from '../helpers/sandbox-harness.ts'

/**
 * The simulated gateway answers real clients: curl and openssl through a real kubectl port-forward
 * (kubectl 1.32 tunnels it over WebSocket) to the ingress gateway Service, after objects applied
 * with kubectl and kubectl-gw.
 */

const routing = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: shop-gateway, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [shop.example.com]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: app-service, namespace: default}
spec:
  host: app-service
  subsets:
  - {name: stable, labels: {version: stable}}
  - {name: canary, labels: {version: canary}}
---
apiVersion: v1
kind: Service
metadata: {name: nobody, namespace: default}
spec:
  selector: {app: nobody}
  ports: [{name: http, port: 80, targetPort: 80}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shop, namespace: default}
spec:
  hosts: [shop.example.com]
  gateways: [shop-gateway]
  http:
  - name: health
    match: [{uri: {exact: /healthz}}]
    directResponse: {status: 200, body: {string: ok}}
  - name: moved
    match: [{uri: {prefix: /old}}]
    redirect: {uri: /new, redirectCode: 302}
  - name: broken
    match: [{uri: {prefix: /broken}}]
    fault: {abort: {httpStatus: 418, percentage: {value: 100}}}
    route: [{destination: {host: httpbin}}]
  - name: canary
    match: [{uri: {prefix: /api/}, headers: {x-canary: {exact: "true"}}}]
    rewrite: {uri: /anything/}
    route: [{destination: {host: app-service, subset: canary}}]
  - name: stable
    match: [{uri: {prefix: /api/}}]
    rewrite: {uri: /anything/}
    route:
    - {destination: {host: app-service, subset: stable}, weight: 100}
    - {destination: {host: app-service, subset: canary}, weight: 0}
  - name: slow
    match: [{uri: {prefix: /slow}}]
    rewrite: {uri: /delay/2}
    timeout: 0.2s
    route: [{destination: {host: httpbin}}]
  - name: empty
    match: [{uri: {prefix: /empty}}]
    route: [{destination: {host: nobody}}]
  - name: default
    route: [{destination: {host: httpbin}}]
`

function run(file: string, args: string[], env: Record<string, string>): Promise<{code: number; stdout: string; stderr: string}> {
  return new Promise((resolve) => {
    const child = execFile(file, args, {env: {PATH: process.env.PATH, ...env}, timeout: 60_000}, (error, stdout, stderr) => resolve({code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr}))
    // openssl s_client reads stdin until EOF before it hangs up.
    child.stdin!.end()
  })
}

describe('the sandbox gateway answers curl and openssl through kubectl port-forward', () => {
  let sb: MeshTestSandbox
  let forward: PortForward
  let http: number
  let https: number
  const files = (name: string) => path.join(sb.dir, name)
  const gw = (args: string[]) => run(gwBin, [...args, '--kubeconfig', sb.kubeconfig], {HOME: sb.dir, CI: 'true'})
  const secretFile = async (namespace: string, name: string, key: string, file: string) => {
    const out = await sb.kubectl(['get', 'secret', name, '-n', namespace, '-o', `jsonpath={.data.${key.replace('.', '\\.')}}`])
    assert.equal(out.code, 0, out.stderr)
    writeFileSync(files(file), Buffer.from(out.stdout, 'base64'))
    return files(file)
  }
  const shop = async (pathAndQuery: string, extra: string[] = []) => parseCurlResponse((await curl(['-i', '-H', 'Host: shop.example.com', ...extra, `http://127.0.0.1:${http}${pathAndQuery}`])).stdout)

  before(async () => {
    requireBuiltCli()
    sb = await startMeshSandbox()
    const applied = await sb.kubectl(['apply', '-f', '-'], routing)
    assert.equal(applied.code, 0, applied.stderr)
    for (const args of [
      ['scaffold', 'secure', '--host', 'secure.example.com', '--service', 'httpbin', '--tls', 'simple', '--generate-cert', '--https-redirect'],
      ['scaffold', 'mtls', '--host', 'mtls.example.com', '--service', 'httpbin', '--tls', 'mutual', '--generate-cert'],
    ]) {
      const out = await gw(args)
      assert.equal(out.code, 0, out.stderr)
    }
    forward = await kubectlPortForward(sb.kubeconfig, sb.dir, ['svc/istio-ingressgateway', '-n', 'istio-system', ':80', ':443'], {ports: 2})
    http = forward.local.get(8080)!
    https = forward.local.get(8443)!
  })
  after(async () => {
    await forward?.stop()
    await sb?.close()
  })

  it('routes each request by the live route table: first match, rewrites, redirects, direct responses, subsets', async () => {
    const health = await shop('/healthz')
    assert.equal(health.status, 200)
    assert.equal(health.body, 'ok')
    assert.equal(health.headers.server, 'istio-envoy')
    const moved = await shop('/old/page?q=1')
    assert.equal(moved.status, 302)
    assert.equal(moved.headers.location, 'http://shop.example.com/new?q=1')
    const canary = JSON.parse((await shop('/api/users?id=7', ['-H', 'x-canary: true'])).body)
    assert.equal(canary.served_by.version, 'canary')
    assert.equal(canary.path, '/anything/users', 'the backend sees the rewritten path')
    assert.equal(canary.headers['X-Envoy-Original-Path'], '/api/users?id=7')
    assert.deepEqual(canary.args, {id: '7'})
    for (let i = 0; i < 4; i++) assert.equal(JSON.parse((await shop('/api/users')).body).served_by.version, 'stable', 'the 0-weight canary gets nothing')
    const fallback = JSON.parse((await shop('/headers')).body)
    assert.equal(fallback.served_by.workload, 'httpbin')
    assert.equal(fallback.headers['X-Forwarded-Proto'], 'http')
  })

  it('fails the way Envoy fails: 404 NR, fault abort, 503 UH, 504 UT', async () => {
    const unknown = parseCurlResponse((await curl(['-i', '-H', 'Host: nobody.example.com', `http://127.0.0.1:${http}/get`])).stdout)
    assert.equal(unknown.status, 404)
    assert.equal(unknown.body, '')
    const aborted = await shop('/broken')
    assert.equal(aborted.status, 418)
    assert.equal(aborted.body, 'fault filter abort')
    const empty = await shop('/empty')
    assert.equal(empty.status, 503)
    assert.equal(empty.body, 'no healthy upstream')
    const slow = await shop('/slow')
    assert.equal(slow.status, 504)
    assert.equal(slow.body, 'upstream request timeout')
  })

  it('honours `sandbox fault` at once', async () => {
    assert.equal((await gw(['sandbox', 'fault', 'httpbin', '--error-rate', '1'])).code, 0)
    const failing = await shop('/get')
    assert.equal(failing.status, 500)
    assert.equal(failing.headers['x-sandbox-version'] !== undefined, true)
    assert.equal((await gw(['sandbox', 'fault', 'httpbin', '--clear'])).code, 0)
    assert.equal((await shop('/get')).status, 200)
  })

  it('counts every request in istio_requests_total and writes the gateway access log', async () => {
    const before = sumRequests(requestSeries(sb.mesh.scrape()), {reporter: 'source', response_code: '418', response_flags: 'FI'})
    await shop('/broken?again=1')
    const afterCount = sumRequests(requestSeries(sb.mesh.scrape()), {reporter: 'source', response_code: '418', response_flags: 'FI'})
    assert.equal(afterCount, before + 1)
    const stable = sumRequests(requestSeries(sb.mesh.scrape()), {reporter: 'destination', destination_version: 'stable', destination_service: 'app-service.default.svc.cluster.local'})
    assert.ok(stable >= 4, `the destination sidecar counted the stable requests (${stable})`)
    const pods = await sb.kubectl(['get', 'pods', '-n', 'istio-system', '-l', 'istio=ingressgateway', '-o', 'name'])
    let logs = ''
    for (const pod of pods.stdout.trim().split('\n')) logs += (await sb.kubectl(['logs', '-n', 'istio-system', pod])).stdout
    assert.match(logs, /"GET \/broken\?again=1 HTTP\/1\.1" 418 FI fault_filter_abort .* "shop\.example\.com" "-" - - \S+:8080 127\.0\.0\.1:\d+ - broken/)
    assert.match(logs, /"GET \/api\/users\?id=7 HTTP\/1\.1" 200 - via_upstream .* outbound\|80\|canary\|app-service\.default\.svc\.cluster\.local .* canary\n/)
  })

  it('terminates TLS with the credential scaffold generated (SIMPLE), speaks HTTP/2 (ALPN h2, h2c), and redirects plain HTTP', async () => {
    const ca = await secretFile('istio-system', 'secure-credential-ca', 'tls.crt', 'secure-ca.crt')
    const ok = await curl(['--cacert', ca, '--resolve', `secure.example.com:${https}:127.0.0.1`, `https://secure.example.com:${https}/get`])
    assert.equal(ok.code, 0, ok.stderr)
    assert.equal(JSON.parse(ok.stdout).headers['X-Forwarded-Proto'], 'https')
    const redirect = parseCurlResponse((await curl(['-i', '-H', 'Host: secure.example.com', `http://127.0.0.1:${http}/get`])).stdout)
    assert.equal(redirect.status, 301)
    assert.equal(redirect.headers.location, 'https://secure.example.com/get')
    const h2 = await curl(['--http2', '-o', '/dev/null', '-w', '%{http_version} %{http_code}', '--cacert', ca, '--resolve', `secure.example.com:${https}:127.0.0.1`, `https://secure.example.com:${https}/get`])
    assert.equal(h2.stdout, '2 200', 'ALPN h2: HTTP/2 over TLS')
    const h2c = await curl(['--http2-prior-knowledge', '-o', '/dev/null', '-w', '%{http_version} %{http_code}', '-H', 'Host: shop.example.com', `http://127.0.0.1:${http}/healthz`])
    assert.equal(h2c.stdout, '2 200', 'HTTP/2 with prior knowledge on the plain listener')
    const s = await run('openssl', ['s_client', '-connect', `127.0.0.1:${https}`, '-servername', 'secure.example.com', '-CAfile', ca], {})
    assert.match(s.stdout, /subject=CN ?= ?secure\.example\.com/)
    assert.match(s.stdout, /Verify return code: 0 \(ok\)/)
  })

  it('MUTUAL demands a client certificate signed by the credential CA; an unknown SNI finds no filter chain', async () => {
    const ca = await secretFile('istio-system', 'mtls-credential-ca', 'tls.crt', 'mtls-ca.crt')
    const cert = await secretFile('istio-system', 'mtls-credential-client', 'tls.crt', 'client.crt')
    const key = await secretFile('istio-system', 'mtls-credential-client', 'tls.key', 'client.key')
    const target = ['--resolve', `mtls.example.com:${https}:127.0.0.1`, `https://mtls.example.com:${https}/headers`]
    const withCert = await curl(['--cacert', ca, '--cert', cert, '--key', key, ...target])
    assert.equal(withCert.code, 0, withCert.stderr)
    assert.match(JSON.parse(withCert.stdout).headers['X-Forwarded-Client-Cert'], /^Hash=[0-9a-f]{64};Subject="CN=client"/)
    // Every attempt without a certificate fails; under load kubectl may drop a connection before curl
    // reads the TLS alert, so up to three attempts are made to see Envoy's reason itself.
    const refusals: string[] = []
    for (let attempt = 0; attempt < 3 && !refusals.some((r) => r.includes('certificate required')); attempt++) {
      const withoutCert = await curl(['--cacert', ca, ...target])
      assert.notEqual(withoutCert.code, 0, 'a MUTUAL server answered a client without a certificate')
      refusals.push(withoutCert.stderr)
    }
    assert.ok(refusals.some((r) => /alert certificate required/.test(r)), refusals.join('\n'))
    const openssl = await run('openssl', ['s_client', '-connect', `127.0.0.1:${https}`, '-servername', 'mtls.example.com', '-CAfile', ca, '-cert', cert, '-key', key], {})
    assert.match(openssl.stdout, /Verify return code: 0 \(ok\)/)
    const wrongSni = await curl(['--cacert', ca, '--resolve', `other.example.com:${https}:127.0.0.1`, `https://other.example.com:${https}/get`])
    assert.equal(wrongSni.code, 35, wrongSni.stderr)
  })

  it('a credential secret in the Gateway\'s namespace instead of the gateway pods\' is never served', async () => {
    const ca = await secretFile('istio-system', 'secure-credential-ca', 'tls.crt', 'misplaced-ca.crt')
    const moved = await sb.kubectl(['get', 'secret', 'secure-credential', '-n', 'istio-system', '-o', 'json'])
    const secret = JSON.parse(moved.stdout)
    const copy = {apiVersion: 'v1', kind: 'Secret', type: secret.type, metadata: {name: 'secure-credential', namespace: 'default'}, data: secret.data}
    assert.equal((await sb.kubectl(['apply', '-f', '-'], JSON.stringify(copy))).code, 0)
    assert.equal((await sb.kubectl(['delete', 'secret', 'secure-credential', '-n', 'istio-system'])).code, 0)
    const refused = await curl(['--cacert', ca, '--resolve', `secure.example.com:${https}:127.0.0.1`, `https://secure.example.com:${https}/get`])
    assert.notEqual(refused.code, 0)
    assert.ok(sb.mesh.warnings().some((w) => w.includes('secret istio-system/secure-credential not found')), sb.mesh.warnings().join('\n'))
  })
})
