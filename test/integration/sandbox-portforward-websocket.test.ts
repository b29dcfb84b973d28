import assert from 'node:assert/strict'
import {PassThrough} from 'node:stream'
import https from 'node:https'
import {after, before, describe, it} from 'node:test'
import {curl, kubectlPortForward, parseCurlResponse} from '../helpers/port-forward.ts'
import {startMeshSandbox, type MeshTestSandbox} from '../helpers/sandbox-harness.ts'

/**
 * Port-forward as Kubernetes >= 1.31 serves it: kubectl 1.31+ tunnels SPDY/3.1 in a WebSocket
 * (`SPDY/3.1+portforward.k8s.io`) and falls back to plain SPDY; @kubernetes/client-node speaks the
 * kubelet's channel protocol (`v4.channel.k8s.io`). All three reach the same gateway pod.
 */

const gateway = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ws-gateway, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [ws.example.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ws, namespace: default}
spec:
  hosts: [ws.example.com]
  gateways: [ws-gateway]
  http:
  - route: [{destination: {host: httpbin}}]
`

describe('port-forward over WebSocket and SPDY', () => {
  let sb: MeshTestSandbox
  let pod: string
  before(async () => {
    sb = await startMeshSandbox()
    assert.equal((await sb.kubectl(['apply', '-f', '-'], gateway)).code, 0)
    pod = sb.sandbox.server.store.list('', 'Pod', 'istio-system').find((p) => p.metadata.labels?.istio === 'ingressgateway')!.metadata.name
  })
  after(async () => {
    await sb?.close()
  })

  const getThrough = async (port: number) => parseCurlResponse((await curl(['-i', '-H', 'Host: ws.example.com', `http://127.0.0.1:${port}/get`])).stdout)

  it('kubectl 1.31+ upgrades to a WebSocket carrying SPDY (--v=6 shows it)', async () => {
    const forward = await kubectlPortForward(sb.kubeconfig, sb.dir, [`pod/${pod}`, '-n', 'istio-system', ':8080', '--v=6'], {ports: 1})
    try {
      const response = await getThrough(forward.local.get(8080)!)
      assert.equal(response.status, 200)
      assert.equal(JSON.parse(response.body).served_by.workload, 'httpbin')
      assert.match(forward.output(), /GET https:\/\/127\.0\.0\.1:\d+\/api\/v1\/namespaces\/istio-system\/pods\/[^/]+\/portforward 101 Switching Protocols/)
      assert.match(forward.output(), /negotiated protocol: portforward\.k8s\.io/)
    } finally {
      await forward.stop()
    }
  })

  it('plain SPDY/3.1 still works for older clients (KUBECTL_PORT_FORWARD_WEBSOCKETS=false)', async () => {
    const forward = await kubectlPortForward(sb.kubeconfig, sb.dir, [`pod/${pod}`, '-n', 'istio-system', ':8080', '--v=6'], {ports: 1, env: {KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false'}})
    try {
      assert.equal((await getThrough(forward.local.get(8080)!)).status, 200)
      assert.match(forward.output(), /POST https:\/\/127\.0\.0\.1:\d+\/api\/v1\/namespaces\/istio-system\/pods\/[^/]+\/portforward 101 Switching Protocols/)
      assert.doesNotMatch(forward.output(), /WebSocket/)
    } finally {
      await forward.stop()
    }
  })

  it('@kubernetes/client-node PortForward (v4.channel.k8s.io) reaches the gateway listener and Envoy admin', async () => {
    const k8s = await import('@kubernetes/client-node')
    const config = new k8s.KubeConfig()
    config.loadFromFile(sb.kubeconfig)
    const portForward = new k8s.PortForward(config)
    const exchange = async (port: number, request: string): Promise<string> => {
      const output = new PassThrough()
      const errors = new PassThrough()
      const input = new PassThrough()
      let received = ''
      let errorText = ''
      output.on('data', (chunk: Buffer) => (received += chunk.toString()))
      errors.on('data', (chunk: Buffer) => (errorText += chunk.toString()))
      const ws = (await portForward.portForward('istio-system', pod, [port], output, errors, input)) as {on(event: 'close', fn: () => void): void}
      const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()))
      input.write(request)
      await closed
      assert.equal(errorText, '')
      return received
    }
    const viaGateway = await exchange(8080, 'GET /headers HTTP/1.1\r\nHost: ws.example.com\r\nConnection: close\r\n\r\n')
    assert.match(viaGateway, /^HTTP\/1\.1 200 OK/)
    assert.match(viaGateway, /"X-Forwarded-Proto": "http"/)
    const admin = await exchange(15000, 'GET /ready HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')
    assert.match(admin, /^HTTP\/1\.1 200/)
    assert.match(admin, /LIVE/)
  })

  it('answers an unsupported WebSocket subprotocol with 400, naming what it supports', async () => {
    const status = await new Promise<{code: number; body: string}>((resolve, reject) => {
      const request = https.request(`${sb.sandbox.url}/api/v1/namespaces/istio-system/pods/${pod}/portforward?ports=8080`, {
        ca: sb.sandbox.pki.caCertPem,
        headers: {authorization: `Bearer ${sb.sandbox.token}`, connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-protocol': 'v5.channel.k8s.io'},
      })
      request.on('response', (response) => {
        let body = ''
        response.on('data', (c) => (body += c))
        response.on('end', () => resolve({code: response.statusCode ?? 0, body}))
      })
      request.on('upgrade', () => reject(new Error('upgraded with an unsupported protocol')))
      request.on('error', reject)
      request.end()
    })
    assert.equal(status.code, 400)
    assert.match(JSON.parse(status.body).message, /requested protocol\(s\) are not supported: \[v5\.channel\.k8s\.io\]; supports \[v4\.channel\.k8s\.io/)
  })
})
