import assert from 'node:assert/strict'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import {describe, it} from 'node:test'
import nock from 'nock'
import {createEnvoyAdmin, EnvoyAdminError, podProxyPath, type EnvoyPortForward} from '../../../src/envoy/admin.ts'
import {writeTestKubeconfig} from '../../helpers/kubeconfig.ts'
import {nockServer, rejection, useNockedKube} from '../../helpers/nock-kube.ts'

const server = nockServer
const pod = {namespace: 'istio-system', name: 'istio-ingressgateway-7d9f-abcde'}
const proxied = '/api/v1/namespaces/istio-system/pods/istio-ingressgateway-7d9f-abcde:15000/proxy'
const adminError = (promise: Promise<unknown>) => rejection(promise, EnvoyAdminError)

describe('Envoy admin door', () => {
  const {client} = useNockedKube()

  it('builds the pod proxy path kubectl uses, admin path and query kept', () => {
    assert.equal(podProxyPath(pod, '/config_dump'), `${proxied}/config_dump`)
    assert.equal(podProxyPath({namespace: 'a b', name: 'p'}, 'stats'), '/api/v1/namespaces/a%20b/pods/p:15000/proxy/stats')
  })

  it('returns the admin body as bytes through the pod proxy, with the query string', async () => {
    nock(server).get(`${proxied}/clusters`).query({format: 'json'}).reply(200, '{"cluster_statuses":[]}')
    const body = await createEnvoyAdmin(client()).get(pod, 'clusters?format=json')
    assert.equal(body.toString(), '{"cluster_statuses":[]}')
  })

  it('a 503 from the API server (pod not dialable) is "unreachable", exit code 3', async () => {
    nock(server).get(`${proxied}/server_info`).reply(503, {kind: 'Status', code: 503, reason: 'ServiceUnavailable', message: 'error trying to reach service: dial tcp 10.0.0.5:15000: connect: connection refused'})
    const error = await adminError(createEnvoyAdmin(client()).get(pod, 'server_info'))
    assert.equal(error.reason, 'unreachable')
    assert.equal(error.exitCode, 3)
    assert.match(error.message, /istio-system\/istio-ingressgateway-7d9f-abcde/)
  })

  it('a 403 without a port-forward fallback is "forbidden" and says which permission to check', async () => {
    nock(server).get(`${proxied}/config_dump`).reply(403, {kind: 'Status', code: 403, reason: 'Forbidden', message: 'pods "x" is forbidden: User "dev" cannot get resource "pods/proxy"'})
    const error = await adminError(createEnvoyAdmin(client()).get(pod, 'config_dump'))
    assert.equal(error.reason, 'forbidden')
    assert.match(error.hint ?? '', /kubectl auth can-i get pods\/proxy -n istio-system/)
  })

  it('a 403 on the pod proxy switches to the port-forward, loaded once, and stays there', async () => {
    nock(server).get(`${proxied}/stats/prometheus`).reply(403, {kind: 'Status', code: 403, reason: 'Forbidden', message: 'forbidden'})
    let loads = 0
    const asked: string[] = []
    const forward: EnvoyPortForward = {
      get: async (target, port, path) => {
        asked.push(`${target.name}:${port}/${path}`)
        return Buffer.from(`# via port-forward ${path}`)
      },
    }
    const envoy = createEnvoyAdmin(client(), {portForward: async () => (loads++, forward)})
    assert.equal((await envoy.get(pod, 'stats/prometheus')).toString(), '# via port-forward stats/prometheus')
    assert.equal((await envoy.get(pod, 'config_dump')).toString(), '# via port-forward config_dump')
    assert.equal(envoy.route, 'port-forward')
    assert.equal(loads, 1)
    assert.deepEqual(asked, [`${pod.name}:15000/stats/prometheus`, `${pod.name}:15000/config_dump`])
  })

  it('never has more requests in flight than its concurrency limit', async () => {
    let inFlight = 0
    let peak = 0
    const scope = nock(server)
      .get(/\/proxy\/ready$/)
      .times(6)
      .reply(async () => {
        inFlight++
        peak = Math.max(peak, inFlight)
        await new Promise((resolve) => setTimeout(resolve, 20))
        inFlight--
        return [200, 'LIVE']
      })
    const envoy = createEnvoyAdmin(client(), {concurrency: 2})
    const bodies = await Promise.all(Array.from({length: 6}, (_, i) => envoy.get({namespace: 'istio-system', name: `gw-${i}`}, 'ready')))
    assert.deepEqual(bodies.map(String), Array(6).fill('LIVE'))
    assert.equal(peak, 2)
    scope.done()
  })

  it('gives up on a pod that never answers after its own per-pod timeout, not --request-timeout', async () => {
    nock.enableNetConnect('127.0.0.1')
    const silent = http.createServer(() => undefined)
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`
      const file = writeTestKubeconfig({server: url, token: 't'})
      const started = Date.now()
      const error = await adminError(createEnvoyAdmin(client(0, file), {timeoutMs: 150}).get(pod, 'config_dump'))
      assert.equal(error.reason, 'timeout')
      assert.ok(Date.now() - started < 5000, 'returned long before any global timeout')
    } finally {
      silent.closeAllConnections()
      silent.close()
      nock.disableNetConnect()
    }
  })
})
