import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, it} from 'node:test'
import {bundleEntries, writeBundle} from '../../../src/doctor/bundle.ts'
import {buildReport} from '../../../src/doctor/doctor.ts'
import {mermaidGraph} from '../../../src/doctor/graph.ts'
import type {GatewayProxy} from '../../../src/doctor/live.ts'
import {traceRequest} from '../../../src/doctor/trace.ts'
import {parseConfigDump} from '../../../src/envoy/config-dump.ts'
import {chooseVirtualHost} from '../../../src/istio/hosts.ts'
import type {KubeObject} from '../../../src/kube/objects.ts'
import {snapshotFromObjects} from '../../../src/snapshot/snapshot.ts'
import {doctorFixtures, readObjects} from '../../helpers/doctor-fixtures.ts'

const base = () => readObjects(path.join(doctorFixtures, 'base.yaml'))
const request = (host: string, requestPath = '/', headers: Record<string, string> = {}) => ({host, path: requestPath, headers})
const world = (extra: KubeObject[] = []) => snapshotFromObjects([...base().filter((o) => !extra.some((e) => e.kind === o.kind && e.metadata.name === o.metadata.name && e.metadata.namespace === o.metadata.namespace)), ...extra], {now: new Date()})

/** A gateway pod whose Envoy routes httpbin.example.com to `cluster` (what a stale pod might still have). */
function proxyRouting(cluster: string): GatewayProxy {
  const dump = {
    configs: [
      {'@type': 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump', dynamic_active_clusters: [{cluster: {name: cluster, type: 'EDS'}}]},
      {
        '@type': 'type.googleapis.com/envoy.admin.v3.RoutesConfigDump',
        dynamic_route_configs: [{version_info: 'v7', route_config: {name: 'http.8080', virtual_hosts: [{name: 'httpbin.example.com:80', domains: ['httpbin.example.com'], routes: [{match: {prefix: '/'}, route: {cluster}}]}]}}],
      },
    ],
  }
  return {
    pod: {namespace: 'istio-system', name: 'istio-ingressgateway-5c8d-aaaaa', labels: {app: 'istio-ingressgateway', istio: 'ingressgateway'}},
    gateways: ['default/httpbin-gateway'],
    configGroup: 'g',
    config: parseConfigDump(JSON.stringify(dump), 'dump'),
    configSource: 'full',
    clusters: [{name: cluster, hosts: [{address: '10.0.0.5:80', healthy: true, flags: []}]}],
    raw: {},
  }
}

describe('doctor --host trace', () => {
  it('follows Gateway server, virtual host, first matching route, weighted destinations, clusters and ready endpoints', () => {
    const trace = traceRequest(world(), request('httpbin.example.com', '/status/418'))
    assert.equal(trace.resources.brokenAt, undefined)
    assert.deepEqual(trace.resources.hops.map((h) => h.step), ['gateway-server', 'virtual-host', 'route', 'destination', 'cluster', 'endpoints', 'destination', 'cluster', 'endpoints'])
    assert.match(trace.resources.hops[0]!.detail, /^Gateway default\/httpbin-gateway port 80 HTTP/)
    assert.match(trace.resources.hops[2]!.detail, /^default\/httpbin \/spec\/http\/0 /)
    assert.deepEqual(trace.resources.clusters, ['outbound|8000|v1|httpbin.default.svc.cluster.local', 'outbound|8000|v2|httpbin.default.svc.cluster.local'])
  })

  it('a path no specific route matches falls to the catch-all; the regex is a full match', () => {
    assert.match(traceRequest(world(), request('httpbin.example.com', '/v1')).resources.hops[2]!.detail, /\/spec\/http\/1 /)
    assert.match(traceRequest(world(), request('httpbin.example.com', '/v1/x')).resources.hops[2]!.detail, /\/spec\/http\/0 /)
  })

  it("Istio's order: an older VirtualService's catch-all does not shadow a newer one's specific route for the same host", () => {
    const newer: KubeObject = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: {name: 'httpbin-admin', namespace: 'default', creationTimestamp: '2026-06-01T00:00:00Z'},
      spec: {hosts: ['httpbin.example.com'], gateways: ['httpbin-gateway'], http: [{match: [{uri: {prefix: '/admin'}, headers: {'x-admin': {exact: 'yes'}}}], route: [{destination: {host: 'httpbin', subset: 'v2'}}]}]},
    }
    const trace = traceRequest(world([newer]), request('httpbin.example.com', '/admin', {'x-admin': 'yes'}))
    assert.match(trace.resources.hops[2]!.detail, /^default\/httpbin-admin \/spec\/http\/0/)
    assert.match(traceRequest(world([newer]), request('httpbin.example.com', '/admin')).resources.hops[2]!.detail, /^default\/httpbin \/spec\/http\/1/, 'without the header the catch-all answers')
  })

  it('a host no Gateway accepts breaks at the first hop', () => {
    const trace = traceRequest(world(), request('nope.example.org'))
    assert.equal(trace.resources.brokenAt, 'gateway-server')
    assert.match(trace.resources.hops[0]!.detail, /404 NR/)
  })

  it('a subset that selects no pod breaks at the endpoints', () => {
    const rule: KubeObject = {apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: {name: 'httpbin', namespace: 'default'}, spec: {host: 'httpbin', subsets: [{name: 'v1', labels: {version: 'gone'}}, {name: 'v2', labels: {version: 'v2'}}]}}
    const trace = traceRequest(world([rule]), request('httpbin.example.com', '/status/1'))
    assert.equal(trace.resources.brokenAt, 'endpoints')
  })

  it("says where the resources and the pod's live route table disagree", () => {
    const snapshot = world()
    snapshot.set('GatewayProxy', {status: 'ok', items: [proxyRouting('outbound|8000||httpbin.default.svc.cluster.local')]})
    const agreeing = traceRequest(snapshot, request('httpbin.example.com', '/anything'))
    assert.equal(agreeing.disagreement, undefined)
    assert.deepEqual(agreeing.live?.clusters, ['outbound|8000||httpbin.default.svc.cluster.local'])
    snapshot.set('GatewayProxy', {status: 'ok', items: [proxyRouting('outbound|8000||old-httpbin.default.svc.cluster.local')]})
    const stale = traceRequest(snapshot, request('httpbin.example.com', '/anything'))
    assert.match(stale.disagreement ?? '', /resources send this request to outbound\|8000\|\|httpbin\.default\.svc\.cluster\.local, Envoy on istio-system\/istio-ingressgateway-5c8d-aaaaa to outbound\|8000\|\|old-httpbin/)
  })

  it('a destination at weight 0 beside others gets no traffic: not compared with Envoy, and its missing pods break nothing', () => {
    // A canary before its first step: v2 at 0, its subset selecting no pod; istiod leaves it out of the route.
    const rule: KubeObject = {apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: {name: 'httpbin', namespace: 'default'}, spec: {host: 'httpbin', subsets: [{name: 'v1', labels: {version: 'v1'}}, {name: 'v2', labels: {version: 'not-yet'}}]}}
    const route: KubeObject = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: {name: 'httpbin', namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z'},
      spec: {hosts: ['httpbin.example.com'], gateways: ['httpbin-gateway'], http: [{route: [{destination: {host: 'httpbin', subset: 'v1', port: {number: 8000}}, weight: 100}, {destination: {host: 'httpbin', subset: 'v2', port: {number: 8000}}, weight: 0}]}]},
    }
    const snapshot = world([rule, route])
    snapshot.set('GatewayProxy', {status: 'ok', items: [proxyRouting('outbound|8000|v1|httpbin.default.svc.cluster.local')]})
    const trace = traceRequest(snapshot, request('httpbin.example.com', '/anything'))
    assert.equal(trace.resources.brokenAt, undefined)
    assert.deepEqual(trace.resources.clusters, ['outbound|8000|v1|httpbin.default.svc.cluster.local'])
    assert.match(trace.resources.hops.at(-1)!.detail, /^httpbin subset v2 weight 0: gets no traffic/)
    assert.equal(trace.disagreement, undefined)
  })

  it('a host only a Gateway API listener takes: attached HTTPRoutes, the first match in Istio\'s order, backends', () => {
    const gatewayApi: KubeObject[] = [
      {apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: {name: 'web', namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z'}, spec: {gatewayClassName: 'istio', listeners: [{name: 'http', port: 80, protocol: 'HTTP', hostname: 'web.example.com'}]}},
      {apiVersion: 'v1', kind: 'Pod', metadata: {name: 'web-istio-aaaaa', namespace: 'default', labels: {'gateway.networking.k8s.io/gateway-name': 'web'}}, status: {phase: 'Running', conditions: [{type: 'Ready', status: 'True'}]}},
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: {name: 'web', namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z'},
        spec: {
          parentRefs: [{name: 'web'}],
          hostnames: ['web.example.com'],
          rules: [
            // In the order written, the long prefix comes first; Istio puts the Exact match before it.
            {matches: [{path: {type: 'PathPrefix', value: '/status/teapot/long'}}], backendRefs: [{name: 'nowhere', port: 80}]},
            {matches: [{path: {type: 'Exact', value: '/status/teapot/long'}}], backendRefs: [{name: 'httpbin', port: 8000, weight: 100}, {name: 'gone', port: 80, weight: 0}]},
            {backendRefs: [{name: 'httpbin', port: 8000}]},
          ],
        },
      },
    ]
    const exact = traceRequest(world(gatewayApi), request('web.example.com', '/status/teapot/long'))
    assert.equal(exact.resources.brokenAt, undefined, JSON.stringify(exact.resources.hops))
    assert.match(exact.resources.hops[0]!.detail, /^Gateway API Gateway default\/web listener http port 80 HTTP$/)
    assert.match(exact.resources.hops[2]!.detail, /^default\/web \/spec\/rules\/1 /)
    assert.deepEqual(exact.resources.clusters, ['outbound|8000||httpbin.default.svc.cluster.local'])
    assert.match(exact.resources.hops.find((h) => h.detail.startsWith('default/gone'))!.detail, /weight 0: gets no traffic/)
    // Segment-wise prefixes: /status/teapot/longer is not under /status/teapot/long; the rule without matches is PathPrefix /.
    assert.match(traceRequest(world(gatewayApi), request('web.example.com', '/status/teapot/longer')).resources.hops[2]!.detail, /\/spec\/rules\/2 /)
    const prefixed = traceRequest(world(gatewayApi), request('web.example.com', '/status/teapot/long/x'))
    assert.match(prefixed.resources.hops[2]!.detail, /\/spec\/rules\/0 /)
    assert.equal(prefixed.resources.brokenAt, 'destination', 'its backend Service does not exist')
    assert.equal(traceRequest(world(gatewayApi), request('other.example.com')).resources.brokenAt, 'gateway-server')
  })

  it('an httpsRedirect server answers 301 and the trace follows it to the HTTPS server, on the resources and in Envoy', () => {
    const redirecting: KubeObject = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'Gateway',
      metadata: {name: 'httpbin-gateway', namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z'},
      spec: {
        selector: {istio: 'ingressgateway'},
        servers: [
          {port: {number: 80, name: 'http', protocol: 'HTTP'}, hosts: ['httpbin.example.com'], tls: {httpsRedirect: true}},
          {port: {number: 443, name: 'https', protocol: 'HTTPS'}, hosts: ['httpbin.example.com'], tls: {mode: 'SIMPLE', credentialName: 'httpbin-credential'}},
        ],
      },
    }
    const trace = traceRequest(world([redirecting]), request('httpbin.example.com', '/status/418'))
    assert.deepEqual(trace.resources.hops.slice(0, 4).map((h) => h.step), ['gateway-server', 'virtual-host', 'route', 'gateway-server'])
    assert.match(trace.resources.hops[2]!.detail, /tls\.httpsRedirect: 301 to https:\/\/httpbin\.example\.com\/status\/418/)
    assert.match(trace.resources.hops[3]!.detail, /^Gateway default\/httpbin-gateway port 443 HTTPS/)
    assert.match(trace.resources.hops[4]!.detail, /route https\.443\.https\.httpbin-gateway\.default/)
    assert.equal(trace.resources.clusters.length, 2, 'the HTTPS route reaches the weighted destinations')

    const dump = {
      configs: [
        {
          '@type': 'type.googleapis.com/envoy.admin.v3.RoutesConfigDump',
          dynamic_route_configs: [{version_info: 'v1', route_config: {name: 'http.8080', virtual_hosts: [{name: 'httpbin.example.com:80', domains: ['httpbin.example.com'], require_tls: 'ALL', routes: [{match: {prefix: '/'}, route: {cluster: 'outbound|80||httpbin.default.svc.cluster.local'}}]}]}}],
        },
      ],
    }
    const plainOnly = {...proxyRouting('outbound|80||httpbin.default.svc.cluster.local'), config: parseConfigDump(JSON.stringify(dump), 'dump')}
    const offlineSnapshot = snapshotFromObjects([], {now: new Date(), absent: ['Gateway']})
    offlineSnapshot.set('GatewayProxy', {status: 'ok', items: [plainOnly]})
    const offline = traceRequest(offlineSnapshot, request('httpbin.example.com'))
    const live = offline.live ?? assert.fail('an Envoy side')
    assert.match(live.hops.at(-1)!.detail, /require_tls ALL: a plain-HTTP request gets 301/)
    assert.deepEqual(live.clusters, [])
  })

  it("Envoy's virtual host order: exact, then the longest suffix wildcard, then prefix wildcard, then *", () => {
    const vhosts = [{domains: ['*']}, {domains: ['*.example.com']}, {domains: ['*.api.example.com']}, {domains: ['shop.*']}, {domains: ['a.api.example.com']}]
    assert.equal(chooseVirtualHost(vhosts, 'a.api.example.com:443'), vhosts[4])
    assert.equal(chooseVirtualHost(vhosts, 'b.api.example.com'), vhosts[2])
    assert.equal(chooseVirtualHost(vhosts, 'shop.example.com'), vhosts[1])
    assert.equal(chooseVirtualHost(vhosts, 'shop.local'), vhosts[3])
    assert.equal(chooseVirtualHost(vhosts, 'other.org'), vhosts[0])
  })
})

describe('doctor --graph mermaid and --bundle', () => {
  it('draws Gateway -> VirtualService -> Service -> pods and marks what is missing', () => {
    const vs: KubeObject = {apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: {name: 'shop', namespace: 'default'}, spec: {hosts: ['httpbin.example.com'], gateways: ['missing-gw'], http: [{route: [{destination: {host: 'shop-backend'}}]}]}}
    const graph = mermaidGraph(world([vs]))
    assert.match(graph, /^flowchart LR\n/)
    assert.match(graph, /gw_default_httpbin_gateway --> vs_default_httpbin\n/)
    assert.match(graph, /vs_default_httpbin --> svc_default_httpbin\n {2}svc_default_httpbin --> pods_default_httpbin\n/)
    assert.match(graph, /gw_default_missing_gw -\. "missing" \.-> vs_default_shop/)
    assert.match(graph, /vs_default_shop -\. missing \.-> svc_default_shop_backend/)
    assert.match(graph, /class .*gw_default_missing_gw.*svc_default_shop_backend.* broken|class .*svc_default_shop_backend.*gw_default_missing_gw.* broken|class gw_default_missing_gw,svc_default_shop_backend broken/)
  })

  it('writes a tar.gz with the report, resources without Secret values, and the Envoy dumps', async () => {
    const snapshot = world()
    const proxy = proxyRouting('outbound|8000||httpbin.default.svc.cluster.local')
    proxy.raw = {configDump: Buffer.from('{"configs": []}'), stats: Buffer.from('istio_requests_total{reporter="source"} 3\n')}
    snapshot.set('GatewayProxy', {status: 'ok', items: [proxy]})
    const report = buildReport([], [], 22, snapshot, {})
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gw-bundle-'))
    const file = path.join(dir, 'doctor.tar.gz')
    await writeBundle(file, bundleEntries(report, snapshot), new Date())
    const listing = execFileSync('tar', ['tzf', file], {encoding: 'utf8'}).trim().split('\n')
    assert.ok(listing.includes('kubectl-gw-doctor/report.json'))
    assert.ok(listing.includes('kubectl-gw-doctor/resources/secrets.json'))
    assert.ok(listing.includes('kubectl-gw-doctor/envoy/istio-system/istio-ingressgateway-5c8d-aaaaa/config_dump.json'))
    assert.ok(listing.includes('kubectl-gw-doctor/envoy/istio-system/istio-ingressgateway-5c8d-aaaaa/stats.prom'))
    const secrets = JSON.parse(execFileSync('tar', ['xzOf', file, 'kubectl-gw-doctor/resources/secrets.json'], {encoding: 'utf8'})) as {items: {data: Record<string, string>}[]}
    assert.deepEqual(secrets.items[0]?.data, {'tls.crt': 'REDACTED', 'tls.key': 'REDACTED'})
    const everything = execFileSync('tar', ['xzOf', file], {encoding: 'utf8'})
    assert.doesNotMatch(everything, /LS0tLS1CRUdJTi|BEGIN (EC |RSA )?PRIVATE KEY/, 'no key material, base64 or PEM')
    assert.equal(JSON.parse(readFileSync(file).length > 0 ? execFileSync('tar', ['xzOf', file, 'kubectl-gw-doctor/report.json'], {encoding: 'utf8'}) : '{}').summary.checks, 22)
  })
})
