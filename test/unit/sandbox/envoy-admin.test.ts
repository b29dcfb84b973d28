import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {createSimulatedMesh} from '../../../src/sandbox/mesh/index.ts'
import {FakeClusterState, demoWorld, seed000, seedObject} from '../../helpers/fake-cluster-state.ts'
import {admin, gatewayPods} from '../../helpers/mesh-probe.ts'

const manual = {setInterval: () => 0, clearInterval: () => undefined}

function meshWith(istioVersion = '1.28', gatewayAnnotations: Record<string, string> = {}) {
  const state = new FakeClusterState(istioVersion)
  demoWorld(state)
  for (const pod of state.list('', 'Pod', 'istio-system')) state.apply({...pod, metadata: {...pod.metadata, annotations: gatewayAnnotations}})
  state.apply(seedObject(seed000, 'Gateway', 'httpbin-gateway'))
  state.apply(seedObject(seed000, 'VirtualService', 'httpbin-vs'))
  const mesh = createSimulatedMesh(state, {timer: manual, now: () => new Date('2026-03-01T10:00:00Z')})
  mesh.runTraffic(3)
  return {state, mesh, pod: gatewayPods(state)[0]!}
}

describe('sandbox Envoy admin endpoints', () => {
  it('keeps only Istio\'s default stats inclusion list in /stats, with server.state and the xDS reject counters', async () => {
    const {mesh, pod} = meshWith()
    const text = (await admin(mesh, 'istio-system', pod, '/stats')).body
    assert.match(text, /^server\.state: 0$/m)
    assert.match(text, /^cluster_manager\.cds\.update_rejected: 0$/m)
    assert.match(text, /^listener_manager\.lds\.update_rejected: 0$/m)
    assert.match(text, /^reporter=\.=source;\.;source_workload=\.=istio-ingressgateway;\.;.*;\.;istio_requests_total: 30$/m)
    assert.doesNotMatch(text, /^http\./m, 'http.* is outside the default inclusion list')
    assert.doesNotMatch(text, /^cluster\.outbound\|/m)
    const filtered = (await admin(mesh, 'istio-system', pod, '/stats?filter=^server\\.')).body.trim().split('\n')
    assert.ok(filtered.length > 0 && filtered.every((l) => l.startsWith('server.')))
    const json = JSON.parse((await admin(mesh, 'istio-system', pod, '/stats?format=json&filter=update_rejected')).body)
    assert.deepEqual(json.stats.map((s: {name: string}) => s.name).sort(), ['cluster_manager.cds.update_rejected', 'listener_manager.lds.update_rejected'])
  })

  it('adds http.* and cluster.* stats when proxyStatsMatcher asks, with the ";" delimiter of Istio >= 1.23', async () => {
    const config = JSON.stringify({proxyStatsMatcher: {inclusionPrefixes: ['http.', 'cluster.outbound']}})
    const {mesh, pod} = meshWith('1.28', {'proxy.istio.io/config': config})
    const text = (await admin(mesh, 'istio-system', pod, '/stats')).body
    assert.match(text, /^http\.outbound_0\.0\.0\.0_8080;\.downstream_rq_2xx: 30$/m)
    assert.match(text, /^cluster\.outbound\|80\|\|httpbin\.default\.svc\.cluster\.local;\.upstream_rq_200: 30$/m)
    const old = meshWith('1.22', {'proxy.istio.io/config': config})
    const oldText = (await admin(old.mesh, 'istio-system', old.pod, '/stats')).body
    assert.match(oldText, /^http\.outbound_0\.0\.0\.0_8080\.downstream_rq_2xx: 30$/m)
    const prom = (await admin(mesh, 'istio-system', pod, '/stats/prometheus')).body
    assert.match(prom, /^envoy_cluster_upstream_rq\{response_code="200",cluster_name="outbound\|80\|\|httpbin\.default\.svc\.cluster\.local"\} 30$/m)
  })

  it('exposes istio_requests_total and the duration histogram in Prometheus format', async () => {
    const {mesh, pod} = meshWith()
    const prom = (await admin(mesh, 'istio-system', pod, '/stats/prometheus')).body
    assert.match(prom, /^# TYPE istio_requests_total counter$/m)
    assert.match(prom, /^# TYPE istio_request_duration_milliseconds histogram$/m)
    const bucket = prom.split('\n').filter((l) => l.startsWith('istio_request_duration_milliseconds_bucket{') && l.includes('destination_workload="httpbin"'))
    assert.equal(bucket.length, 20, '19 Envoy buckets plus +Inf')
    const values = bucket.map((l) => Number(l.split(' ').pop()))
    assert.deepEqual(values, [...values].sort((a, b) => a - b), 'cumulative buckets never decrease')
    assert.equal(values.at(-1), 30)
    assert.match(prom, /^istio_request_duration_milliseconds_count\{.*destination_workload="httpbin".*\} 30$/m)
    assert.match(prom, /^envoy_server_state 0$/m)
    assert.equal(prom.match(/^# TYPE istio_requests_total /gm)!.length, 1, 'one TYPE line per family')
  })

  it('lists endpoints with health flags in /clusters (text and json) and ejects a failing host under outlier detection', async () => {
    const {state, mesh, pod} = meshWith()
    const text = (await admin(mesh, 'istio-system', pod, '/clusters')).body
    assert.match(text, /^outbound\|80\|\|httpbin\.default\.svc\.cluster\.local::10\.244\.0\.\d+:8080::health_flags::healthy$/m)
    assert.match(text, /^outbound\|80\|\|httpbin\.default\.svc\.cluster\.local::added_via_api::true$/m)
    assert.match(text, /^outbound\|80\|\|httpbin\.default\.svc\.cluster\.local::10\.244\.0\.\d+:8080::rq_total::30$/m)
    state.apply({apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: {name: 'httpbin', namespace: 'default'}, spec: {host: 'httpbin', trafficPolicy: {outlierDetection: {consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s'}}}})
    const deployment = state.get('apps', 'Deployment', 'default', 'httpbin')!
    state.apply({...deployment, metadata: {...deployment.metadata, annotations: {'sandbox.kubectl-gw.io/fault': '{"errorRate":0.9,"latencyMs":0}'}}})
    const json = JSON.parse((await admin(mesh, 'istio-system', pod, '/clusters?format=json')).body)
    const status = json.cluster_statuses.find((c: {name: string}) => c.name === 'outbound|80||httpbin.default.svc.cluster.local')
    assert.equal(status.host_statuses[0].health_status.failed_outlier_check, true)
    assert.equal(status.host_statuses[0].health_status.eds_health_status, 'HEALTHY')
    assert.match((await admin(mesh, 'istio-system', pod, '/clusters')).body, /::health_flags::\/failed_outlier_check$/m)
  })

  it('answers server_info, ready, listeners; 404 for unknown paths; nothing on ports no proxy listens on', async () => {
    const {mesh, pod} = meshWith()
    const info = JSON.parse((await admin(mesh, 'istio-system', pod, '/server_info')).body)
    assert.equal(info.state, 'LIVE')
    assert.match(info.version, /\/1\.36\.0-dev\/Clean\/RELEASE\/BoringSSL$/)
    assert.equal(info.node.id.split('~')[0], 'router')
    assert.deepEqual(await admin(mesh, 'istio-system', pod, '/ready'), {status: 200, body: 'LIVE\n'})
    assert.match((await admin(mesh, 'istio-system', pod, '/listeners')).body, /^0\.0\.0\.0_8080::0\.0\.0\.0:8080$/m)
    const listeners = JSON.parse((await admin(mesh, 'istio-system', pod, '/listeners?format=json')).body)
    assert.ok(listeners.listener_statuses.some((l: {name: string}) => l.name === '0.0.0.0_8080'))
    assert.equal((await admin(mesh, 'istio-system', pod, '/no_such_thing')).status, 404)
    assert.equal((await admin(mesh, 'istio-system', pod, '/config_dump?resource=nonsense')).status, 404)
    const request = {namespace: 'istio-system', pod, method: 'GET', path: '/', query: new URLSearchParams(), headers: {}}
    assert.equal(await mesh.handlePodRequest({...request, port: 9999}), undefined)
    const istiod = (await mesh.handlePodRequest({...request, pod: 'no-such-pod', port: 15000}))
    assert.equal(istiod, undefined)
  })

  it('serves the destination sidecar\'s view (reporter=destination) on the app pod', async () => {
    const {state, mesh} = meshWith()
    const httpbinPod = state.list('', 'Pod', 'default').find((p) => p.metadata.labels?.app === 'httpbin')!.metadata.name
    const r = await mesh.handlePodRequest({namespace: 'default', pod: httpbinPod, port: 15090, method: 'GET', path: '/stats/prometheus', query: new URLSearchParams(), headers: {}})
    assert.match(String(r!.body), /^istio_requests_total\{reporter="destination",source_workload="istio-ingressgateway",.*destination_workload="httpbin",.*destination_version="v1",.*response_code="200",.*connection_security_policy="mutual_tls"\} 60$/m)
  })
})
