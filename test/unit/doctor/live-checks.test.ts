import assert from 'node:assert/strict'
import path from 'node:path'
import {describe, it} from 'node:test'
import {doctorChecks} from '../../../plugins/doctor-checks/index.ts'
import {runChecks} from '../../../src/doctor/check.ts'
import {buildReport} from '../../../src/doctor/doctor.ts'
import type {GatewayProxy} from '../../../src/doctor/live.ts'
import type {EnvoyConfig} from '../../../src/envoy/config-dump.ts'
import {counterDeltas, type Sample} from '../../../src/metrics/exposition.ts'
import {snapshotFromObjects} from '../../../src/snapshot/snapshot.ts'
import {doctorFixtures, readObjects} from '../../helpers/doctor-fixtures.ts'
import {selfSignedCert} from '../../helpers/test-certs.ts'

const cert = selfSignedCert('httpbin.example.com', 90).cert
const clusters = ['outbound|8000|v1|httpbin.default.svc.cluster.local', 'outbound|8000|v2|httpbin.default.svc.cluster.local', 'outbound|8000||httpbin.default.svc.cluster.local']

/** What istiod programs into a gateway pod for the base fixture world (test/fixtures/doctor/base.yaml). */
function healthyConfig(): EnvoyConfig {
  const vhost = {name: 'httpbin.example.com:80', domains: ['httpbin.example.com'], routes: [{match: {prefix: '/status', caseSensitive: true, headers: [], queryParameters: []}, action: {kind: 'weighted' as const, clusters: [{name: clusters[0]!, weight: 90}, {name: clusters[1]!, weight: 10}]}}, {match: {prefix: '/', caseSensitive: true, headers: [], queryParameters: []}, action: {kind: 'cluster' as const, cluster: clusters[2]!}}]}
  return {
    listeners: [
      {name: '0.0.0.0_8080', address: '0.0.0.0', port: 8080, state: 'active', filterChains: [{serverNames: [], routeConfigName: 'http.8080', sdsSecrets: []}]},
      {name: '0.0.0.0_8443', address: '0.0.0.0', port: 8443, state: 'active', filterChains: [{serverNames: ['httpbin.example.com'], routeConfigName: 'https.443.https.httpbin-gateway.default', sdsSecrets: ['kubernetes://httpbin-credential']}]},
    ],
    routeConfigs: [
      {name: 'http.8080', state: 'active', virtualHosts: [vhost]},
      {name: 'https.443.https.httpbin-gateway.default', state: 'active', virtualHosts: [{...vhost, name: 'httpbin.example.com:443'}]},
    ],
    clusters: clusters.map((name) => ({name, state: 'active' as const, type: 'EDS'})),
    secrets: [{name: 'kubernetes://httpbin-credential', state: 'active', kind: 'certificate', certificatePem: cert}],
  }
}

function proxy(name: string, change: (p: GatewayProxy) => void = () => undefined): GatewayProxy {
  const p: GatewayProxy = {
    pod: {namespace: 'istio-system', name, labels: {app: 'istio-ingressgateway', istio: 'ingressgateway'}},
    gateways: ['default/httpbin-gateway'],
    configGroup: 'istio-system|default/httpbin-gateway',
    serverState: 'LIVE',
    config: healthyConfig(),
    configSource: 'full',
    clusters: clusters.map((c) => ({name: c, hosts: [{address: '10.0.0.5:80', healthy: true, flags: []}]})),
    stats: [],
    raw: {},
  }
  change(p)
  return p
}

const requests = (destination: string, code: number, flags: string, value: number): Sample => ({name: 'istio_requests_total', labels: {reporter: 'source', destination_service: destination, response_code: String(code), response_flags: flags}, value})

async function liveCodes(proxies: GatewayProxy[], istiod: Sample[] = []): Promise<string[]> {
  const snapshot = snapshotFromObjects(readObjects(path.join(doctorFixtures, 'base.yaml')), {now: new Date()})
  snapshot.set('GatewayProxy', {status: 'ok', items: proxies})
  snapshot.set('IstiodMetric', {status: 'ok', items: istiod})
  const run = await runChecks(doctorChecks.filter((c) => c.layer === 'live'), snapshot)
  assert.deepEqual(run.skipped, [])
  return [...new Set(run.findings.map((f) => f.code))].sort()
}

describe('live checks on what Envoy has (synthetic gateway pods over the base fixture world)', () => {
  const cases: [string, GatewayProxy[], string[], Sample[]?][] = [
    ['a pod with exactly what the resources ask for', [proxy('gw-a'), proxy('gw-b')], []],
    ['admin port not readable', [proxy('gw-a', (p) => Object.assign(p, {config: undefined, unreachable: {reason: 'timeout', message: 'did not answer within 5s'}}))], ['EnvoyAdminUnreachable']],
    ['server not LIVE', [proxy('gw-a', (p) => (p.serverState = 'PRE_INITIALIZING'))], ['EnvoyNotLive']],
    ['the HTTPS listener only warming', [proxy('gw-a', (p) => (p.config!.listeners[1]!.state = 'warming'))], ['EnvoyListenerMissing']],
    ['a bound host missing from the route table (stale config)', [proxy('gw-a', (p) => (p.config!.routeConfigs[0]!.virtualHosts = []))], ['EnvoyRouteMissing']],
    ['the credential warming in SDS', [proxy('gw-a', (p) => (p.config!.secrets[0]!.state = 'warming'))], ['EnvoySecretMissing']],
    ['a routed cluster with no healthy endpoint', [proxy('gw-a', (p) => (p.clusters![0]!.hosts[0]!.healthy = false))], ['EnvoyClusterNoHealthyEndpoints']],
    ['a routed cluster Envoy does not have (503 NC)', [proxy('gw-a', (p) => (p.config!.clusters = p.config!.clusters.slice(1)))], ['EnvoyClusterNoHealthyEndpoints']],
    ['rejected LDS updates', [proxy('gw-a', (p) => p.stats!.push({name: 'envoy_listener_manager_lds_update_rejected', labels: {}, value: 2}))], ['EnvoyConfigRejected']],
    ['istiod rejected a Gateway server', [proxy('gw-a')], ['EnvoyConfigRejected'], [{name: 'pilot_total_rejected_configs', labels: {type: 'gateway', name: 'default/httpbin-gateway'}, value: 1}]],
    [
      'a destination failing 30% through the gateway, and requests with no route',
      [proxy('gw-a', (p) => p.stats!.push(requests('httpbin.default.svc.cluster.local', 200, '-', 70), requests('httpbin.default.svc.cluster.local', 503, 'UH', 30), requests('unknown', 404, 'NR', 5)))],
      ['EnvoyHighErrorRate', 'EnvoyNoRouteResponses'],
    ],
    ['a few failures below the share or the minimum count are not flagged', [proxy('gw-a', (p) => p.stats!.push(requests('httpbin.default.svc.cluster.local', 200, '-', 990), requests('httpbin.default.svc.cluster.local', 500, '-', 10)))], []],
  ]
  for (const [name, proxies, expected, istiod] of cases) {
    it(`${name}: ${expected.join(', ') || 'nothing'}`, async () => assert.deepEqual(await liveCodes(proxies, istiod), expected))
  }

  it('traffic is judged on the window when it saw enough requests, else on the counters since Envoy started', async () => {
    const httpbin = 'httpbin.default.svc.cluster.local'
    const messages = async (stats: Sample[], recent: Sample[] | undefined) => {
      const snapshot = snapshotFromObjects(readObjects(path.join(doctorFixtures, 'base.yaml')), {now: new Date()})
      const items = [proxy('gw-a', (p) => Object.assign(p, {stats, recentStats: recent && {windowMs: 1000, samples: recent}}))]
      snapshot.set('GatewayProxy', {status: 'ok', items})
      snapshot.set('IstiodMetric', {status: 'ok', items: []})
      const run = await runChecks(doctorChecks.filter((c) => c.id === 'envoy-traffic'), snapshot)
      return run.findings.map((f) => f.message)
    }
    // Up for weeks, failing half its requests for the last second: 0.7 % since Envoy started.
    const weeks = [requests(httpbin, 200, '-', 10000), requests(httpbin, 500, '-', 70)]
    assert.deepEqual(await messages(weeks, [requests(httpbin, 200, '-', 20), requests(httpbin, 500, '-', 20)]), [
      `${httpbin}: 50.0% of 40 requests through this gateway failed in the last 1.0s (500 -: 20)`,
    ])
    assert.deepEqual(await messages(weeks, undefined), [], 'with one read, the fault is lost in the counters')
    // Failing since Envoy started, healthy now: the window says so.
    const fixed = [requests(httpbin, 200, '-', 700), requests(httpbin, 503, 'UH', 300)]
    assert.deepEqual(await messages(fixed, [requests(httpbin, 200, '-', 50), requests(httpbin, 503, 'UH', 0)]), [])
    // A quiet window (under 20 requests) leaves the counters since Envoy started, said as such.
    assert.deepEqual(await messages(fixed, [requests(httpbin, 200, '-', 3)]), [`${httpbin}: 30.0% of 1000 requests through this gateway failed since Envoy started (503 UH: 300)`])
    // No route: the window's count when it saw enough traffic.
    assert.deepEqual(await messages([requests(httpbin, 200, '-', 1000), requests('unknown', 404, 'NR', 9)], [requests(httpbin, 200, '-', 30), requests('unknown', 404, 'NR', 0)]), [])
  })

  it("a shared gateway pod's traffic finding goes under the Gateway that routes to that destination", async () => {
    // Every Istio Gateway selects the same ingress pods; app-gateway sorts first, httpbin-gateway routes to httpbin.
    const appGateway = {apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: {name: 'app-gateway', namespace: 'default', creationTimestamp: '2025-01-01T00:00:00Z'}, spec: {selector: {istio: 'ingressgateway'}, servers: [{port: {number: 80, name: 'http', protocol: 'HTTP'}, hosts: ['app.example.com']}]}}
    const snapshot = snapshotFromObjects([...readObjects(path.join(doctorFixtures, 'base.yaml')), appGateway], {now: new Date()})
    const httpbin = 'httpbin.default.svc.cluster.local'
    const shared = (name: string) => proxy(name, (p) => Object.assign(p, {gateways: ['default/app-gateway', 'default/httpbin-gateway'], stats: [requests(httpbin, 200, '-', 60), requests(httpbin, 500, '-', 40)]}))
    snapshot.set('GatewayProxy', {status: 'ok', items: [shared('gw-a')]})
    snapshot.set('IstiodMetric', {status: 'ok', items: []})
    const run = await runChecks(doctorChecks.filter((c) => c.id === 'envoy-traffic'), snapshot)
    const report = buildReport(run.findings, run.skipped, run.ran, snapshot, {})
    assert.deepEqual(report.findings.map((f) => [f.code, f.gateway]), [['EnvoyHighErrorRate', 'default/httpbin-gateway']])
    assert.equal('about' in report.findings[0]!, false, 'not part of the -o json shape')
    assert.equal(buildReport(run.findings, run.skipped, run.ran, snapshot, {gateway: 'httpbin-gateway'}).findings.length, 1)
    assert.equal(buildReport(run.findings, run.skipped, run.ran, snapshot, {gateway: 'app-gateway'}).findings.length, 0)
  })

  it('counter deltas: per series, and a counter that went down restarted (its value is the delta)', () => {
    const before = [requests('a', 200, '-', 10), requests('b', 200, '-', 50)]
    const after = [requests('a', 200, '-', 25), requests('b', 200, '-', 4), requests('c', 500, '-', 2)]
    assert.deepEqual(counterDeltas(after, before).map((s) => s.value), [15, 4, 2])
  })

  it('pods sharing one config are judged once, the finding naming how many', async () => {
    const shared = healthyConfig()
    shared.routeConfigs[0]!.virtualHosts = []
    const snapshot = snapshotFromObjects(readObjects(path.join(doctorFixtures, 'base.yaml')), {now: new Date()})
    snapshot.set('GatewayProxy', {status: 'ok', items: [proxy('gw-a', (p) => (p.config = shared)), proxy('gw-b', (p) => Object.assign(p, {config: shared, configSource: 'shared'}))]})
    snapshot.set('IstiodMetric', {status: 'ok', items: []})
    const run = await runChecks(doctorChecks.filter((c) => c.layer === 'live'), snapshot)
    assert.equal(run.findings.length, 1)
    assert.match(run.findings[0]!.message, /\(same config on 2 pods\)$/)
  })
})
