import assert from 'node:assert/strict'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {after, before, describe, it} from 'node:test'
import {WebSocketServer} from 'ws'
import {createEnvoyAdmin, EnvoyAdminError} from '../../../src/envoy/admin.ts'
import {createPortForward, parseHttpResponse} from '../../../src/envoy/port-forward.ts'
import {ExitCode} from '../../../src/errors.ts'
import {KubeApiError} from '../../../src/kube/api-errors.ts'
import {FakeKube} from '../../helpers/fake-kube.ts'

/**
 * A fake API server speaking the channel WebSocket port-forward protocol (v4.channel.k8s.io) on
 * 127.0.0.1: each stream first carries its port (2 bytes), stream 0 is data, stream 1 errors.
 * Behind it, a fake Envoy admin answering one HTTP request per connection.
 */
function fakePortForwardServer(answer: (path: string) => string): {server: Server; requests: {url: string; auth?: string; adminPath?: string}[]} {
  const requests: {url: string; auth?: string; adminPath?: string}[] = []
  const server = createServer((_, res) => res.writeHead(404).end())
  const wss = new WebSocketServer({server, handleProtocols: (protocols) => (protocols.has('v4.channel.k8s.io') ? 'v4.channel.k8s.io' : false)})
  wss.on('connection', (socket, request) => {
    const record: {url: string; auth?: string; adminPath?: string} = {url: request.url ?? '', auth: request.headers.authorization}
    requests.push(record)
    const port = Number(new URL(request.url ?? '', 'http://x').searchParams.get('ports'))
    const portBytes = Buffer.from([port & 0xff, port >> 8])
    socket.send(Buffer.concat([Buffer.from([0]), portBytes]))
    socket.send(Buffer.concat([Buffer.from([1]), portBytes]))
    let received = ''
    socket.on('message', (data: Buffer) => {
      if (data[0] !== 0) return
      received += data.subarray(1).toString()
      if (!received.includes('\r\n\r\n')) return
      record.adminPath = received.split(' ')[1]
      const reply = answer(record.adminPath ?? '')
      // Chunked, as Envoy's admin answers large bodies.
      const body = Buffer.from(reply)
      const half = Math.floor(body.length / 2)
      socket.send(Buffer.concat([Buffer.from([0]), Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n${half.toString(16)}\r\n`), body.subarray(0, half), Buffer.from(`\r\n${(body.length - half).toString(16)}\r\n`), body.subarray(half), Buffer.from('\r\n0\r\n\r\n')]))
    })
  })
  return {server, requests}
}

describe('Envoy admin through a WebSocket port-forward when pods/proxy is forbidden', () => {
  let fake: ReturnType<typeof fakePortForwardServer>
  let url: string

  before(async () => {
    fake = fakePortForwardServer((path) => JSON.stringify({state: 'LIVE', path}))
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`
  })
  after(() => new Promise<void>((resolve) => fake.server.close(() => resolve())))

  it('the door falls back to client-node PortForward on a 403 and returns the admin body', async () => {
    const kube = new FakeKube()
    kube.connectionInfo = {contextName: 'fake', clusterName: 'fake', userName: 'fake', server: url, namespace: 'default', token: 'pf-token', insecureSkipTlsVerify: true}
    kube.rawHandlers.set('/api/v1/namespaces/istio-system/pods/gw-1:15000/proxy/server_info', () => {
      throw new KubeApiError('pods "gw-1" is forbidden: cannot get resource "pods/proxy"', ExitCode.cluster, 403, 'Forbidden', [], {verb: 'get', resource: 'pods', subresource: 'proxy'})
    })
    const envoy = createEnvoyAdmin(kube, {timeoutMs: 5000, portForward: () => createPortForward(kube)})
    const body = JSON.parse((await envoy.get({namespace: 'istio-system', name: 'gw-1'}, 'server_info')).toString()) as {state: string; path: string}
    assert.deepEqual(body, {state: 'LIVE', path: '/server_info'})
    assert.equal(envoy.route, 'port-forward')
    assert.equal(fake.requests.at(-1)?.url, '/api/v1/namespaces/istio-system/pods/gw-1/portforward?ports=15000')
    assert.equal(fake.requests.at(-1)?.auth, 'Bearer pf-token')
  })

  it('a port-forward that cannot connect is an EnvoyAdminError (a finding), not a crash', async () => {
    const kube = new FakeKube()
    kube.connectionInfo = {contextName: 'fake', clusterName: 'fake', userName: 'fake', server: 'http://127.0.0.1:1', namespace: 'default', insecureSkipTlsVerify: true}
    const forward = await createPortForward(kube)
    const envoy = createEnvoyAdmin(kube, {timeoutMs: 2000, portForward: async () => forward})
    kube.rawHandlers.set('/api/v1/namespaces/istio-system/pods/gw-2:15000/proxy/ready', () => {
      throw new KubeApiError('forbidden', ExitCode.cluster, 403, 'Forbidden', [], {verb: 'get', resource: 'pods', subresource: 'proxy'})
    })
    await assert.rejects(envoy.get({namespace: 'istio-system', name: 'gw-2'}, 'ready'), (e: Error) => e instanceof EnvoyAdminError && e.reason === 'unreachable')
  })

  it('reads HTTP/1.1 responses by Content-Length or chunked, and waits for more when incomplete', () => {
    assert.equal(parseHttpResponse(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel')), undefined)
    assert.deepEqual(parseHttpResponse(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello')), {status: 200, body: Buffer.from('hello')})
    assert.deepEqual(parseHttpResponse(Buffer.from('HTTP/1.1 503 x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n')), {status: 503, body: Buffer.from('abcde')})
  })
})
