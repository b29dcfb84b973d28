import assert from 'node:assert/strict'
import {before, describe, it} from 'node:test'
import {createSimulatedMesh} from '../../../src/sandbox/mesh/index.ts'
import {FakeClusterState, demoWorld, seed000, seedObject} from '../../helpers/fake-cluster-state.ts'
import {admin, cluster, configDump, gatewayPods, listener, requestSeries, routeConfig, section, sumRequests} from '../../helpers/mesh-probe.ts'
import {selfSignedCert, tlsSecret, type TestCert} from '../../helpers/test-certs.ts'

function world() {
  const state = new FakeClusterState()
  demoWorld(state)
  const mesh = createSimulatedMesh(state, {timer: {setInterval: () => 0, clearInterval: () => undefined}})
  return {state, mesh, pod: gatewayPods(state)[0]!}
}

const gateway = (name: string, servers: unknown[], namespace = 'default') => ({apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: {name, namespace}, spec: {selector: {istio: 'ingressgateway'}, servers}})
const httpServer = (hosts: string[], extra: Record<string, unknown> = {}) => ({port: {number: 80, name: 'http', protocol: 'HTTP'}, hosts, ...extra})
const vs = (name: string, hosts: string[], gateways: string[], http: unknown[], namespace = 'default') => ({apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: {name, namespace}, spec: {hosts, gateways, http}})
const to = (host: string, port?: number, extra: Record<string, unknown> = {}) => ({destination: {host, ...(port ? {port: {number: port}} : {}), ...extra}})

describe('sandbox istiod: gateway translation', () => {
  it('binds Gateway port 80 to the Service targetPort 8080 with Istio naming (seed 000 httpbin)', async () => {
    const {state, mesh, pod} = world()
    state.apply(seedObject(seed000, 'Gateway', 'httpbin-gateway'))
    state.apply(seedObject(seed000, 'VirtualService', 'httpbin-vs'))
    const dump = await configDump(mesh, 'istio-system', pod)
    const l = listener(dump, '0.0.0.0_8080')
    assert.ok(l?.active_state, 'listener 0.0.0.0_8080 is active')
    assert.equal(l.active_state.listener.address.socket_address.port_value, 8080)
    const hcm = l.active_state.listener.filter_chains[0].filters[0].typed_config
    assert.equal(hcm.rds.route_config_name, 'http.8080')
    assert.equal(hcm.stat_prefix, 'outbound_0.0.0.0_8080;')
    assert.equal(listener(dump, '0.0.0.0_80'), undefined)
    const rc = routeConfig(dump, 'http.8080')!
    const vhost = rc.virtual_hosts.find((v: any) => v.name === 'httpbin.example.com:80')
    assert.deepEqual(vhost.domains, ['httpbin.example.com', 'httpbin.example.com:*'])
    assert.equal(vhost.routes[0].route.cluster, 'outbound|80||httpbin.default.svc.cluster.local')
    assert.deepEqual(vhost.routes[0].match, {prefix: '/', case_sensitive: true})
    assert.equal(vhost.routes[0].metadata.filter_metadata.istio.config, '/apis/networking.istio.io/v1alpha3/namespaces/default/virtual-service/httpbin-vs')
    assert.ok(!rc.virtual_hosts.some((v: any) => v.name === 'api.example.com:80'), 'api.example.com has no VirtualService')
    const c = cluster(dump, 'outbound|80||httpbin.default.svc.cluster.local')!
    assert.equal(c.type, 'EDS')
    assert.equal(c.metadata.filter_metadata.istio.services[0].host, 'httpbin.default.svc.cluster.local')
    const eds = await configDump(mesh, 'istio-system', pod, '?include_eds')
    const cla = section(eds, 'EndpointsConfigDump').dynamic_endpoint_configs.find((e: any) => e.endpoint_config.cluster_name === 'outbound|80||httpbin.default.svc.cluster.local')
    assert.equal(cla.endpoint_config.endpoints[0].lb_endpoints.length, 1)
    assert.equal(cla.endpoint_config.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value, 8080)
  })

  it('serves a 404 blackhole vhost when nothing binds the Gateway, and traffic sees 404 NR', async () => {
    const {state, mesh, pod} = world()
    state.apply(gateway('lonely', [httpServer(['lonely.example.com'])]))
    const dump = await configDump(mesh, 'istio-system', pod)
    const rc = routeConfig(dump, 'http.8080')!
    assert.deepEqual(rc.virtual_hosts.map((v: any) => [v.name, v.domains, v.routes.length]), [['blackhole:80', ['*'], 0]])
    assert.ok(mesh.warnings().some((w) => w.includes('with no vhosts; Setting up a default 404 vhost')))
    mesh.runTraffic(5)
    const series = requestSeries((await admin(mesh, 'istio-system', pod, '/stats/prometheus')).body)
    assert.equal(sumRequests(series, {response_code: '404', response_flags: 'NR', destination_service: 'lonely.example.com'}), 50)
  })

  it('merges plain HTTP servers of two Gateways that share a host: one vhost, the first Gateway\'s routes first (istiod drops nothing)', async () => {
    const {state, mesh, pod} = world()
    state.apply(gateway('first', [httpServer(['shop.example.com'])]))
    state.apply(gateway('second', [httpServer(['shop.example.com', 'extra.example.com'])]))
    state.apply(vs('shop-first', ['shop.example.com'], ['first'], [{route: [to('httpbin', 80)]}]))
    state.apply(vs('shop-second', ['shop.example.com', 'extra.example.com'], ['second'], [{route: [to('web-frontend', 80)]}]))
    const rc = routeConfig(await configDump(mesh, 'istio-system', pod), 'http.8080')!
    const byName = new Map(rc.virtual_hosts.map((v: any) => [v.name, v]))
    assert.deepEqual([...byName.keys()].sort(), ['extra.example.com:80', 'shop.example.com:80'])
    assert.deepEqual((byName.get('shop.example.com:80') as any).routes.map((r: any) => r.route.cluster), ['outbound|80||httpbin.default.svc.cluster.local', 'outbound|80||web-frontend.default.svc.cluster.local'])
    assert.ok(!mesh.warnings().some((w) => w.includes('duplicate host names')), mesh.warnings().join('\n'))
  })

  it('drops the later of two TLS servers naming the same host on one port (duplicate host names), and counts the rejection', async () => {
    const {state, mesh, pod} = world()
    const redirect = (hosts: string[]) => httpServer(hosts, {tls: {httpsRedirect: true}})
    state.apply(gateway('first', [redirect(['shop.example.com'])]))
    state.apply(gateway('second', [redirect(['shop.example.com', 'extra.example.com'])]))
    state.apply(vs('shop-first', ['shop.example.com'], ['first'], [{route: [to('httpbin', 80)]}]))
    state.apply(vs('shop-second', ['shop.example.com', 'extra.example.com'], ['second'], [{route: [to('web-frontend', 80)]}]))
    const rc = routeConfig(await configDump(mesh, 'istio-system', pod), 'http.8080')!
    assert.deepEqual(rc.virtual_hosts.map((v: any) => v.name), ['shop.example.com:80'])
    assert.ok(mesh.warnings().some((w) => w.includes('default/second') && w.includes('duplicate host names: shop.example.com')), mesh.warnings().join('\n'))
  })

  it('binds an unqualified gateway name in the VirtualService namespace only', async () => {
    const {state, mesh, pod} = world()
    state.apply(gateway('gw', [httpServer(['*'])], 'istio-system'))
    state.apply(vs('wrong-ns', ['a.example.com'], ['gw'], [{route: [to('httpbin.default.svc.cluster.local', 80)]}], 'default'))
    state.apply(vs('qualified', ['b.example.com'], ['istio-system/gw'], [{route: [to('httpbin', 80)]}], 'default'))
    const rc = routeConfig(await configDump(mesh, 'istio-system', pod), 'http.8080')!
    assert.deepEqual(rc.virtual_hosts.map((v: any) => v.name), ['b.example.com:80'])
  })

  it('admits only VirtualServices from the namespace a server host names (ns/host, ./host)', async () => {
    const {state, mesh, pod} = world()
    state.apply(gateway('scoped', [httpServer(['default/a.example.com', './b.example.com', '*/c.example.com'])], 'istio-system'))
    for (const [name, host, ns] of [['a-default', 'a.example.com', 'default'], ['b-default', 'b.example.com', 'default'], ['b-istio', 'b.example.com', 'istio-system'], ['c-shop', 'c.example.com', 'shop']]) {
      state.apply(vs(name!, [host!], ['istio-system/scoped'], [{route: [to('httpbin.default.svc.cluster.local', 80)]}], ns))
    }
    const rc = routeConfig(await configDump(mesh, 'istio-system', pod), 'http.8080')!
    const owners = rc.virtual_hosts.map((v: any) => [v.name, v.routes[0].metadata.filter_metadata.istio.config.split('/').slice(-3).join('/')])
    assert.deepEqual(owners.sort(), [
      ['a.example.com:80', 'default/virtual-service/a-default'],
      ['b.example.com:80', 'istio-system/virtual-service/b-istio'],
      ['c.example.com:80', 'shop/virtual-service/c-shop'],
    ])
  })

  it('redirects with require_tls when httpsRedirect is set, and traffic sees 301', async () => {
    const {state, mesh, pod} = world()
    state.apply(gateway('redir', [httpServer(['secure.example.com'], {tls: {httpsRedirect: true}})]))
    const rc = routeConfig(await configDump(mesh, 'istio-system', pod), 'http.8080')!
    assert.equal(rc.virtual_hosts[0].name, 'secure.example.com:80')
    assert.equal(rc.virtual_hosts[0].require_tls, 'ALL')
    mesh.runTraffic(2)
    const series = requestSeries((await admin(mesh, 'istio-system', pod, '/stats/prometheus')).body)
    assert.equal(sumRequests(series, {response_code: '301'}), 20)
  })

  it('translates matches, rewrites, timeouts, retries and response headers (seed 000 path/advanced/resilient routing)', async () => {
    const {state, mesh, pod} = world()
    state.apply(seedObject(seed000, 'Gateway', 'httpbin-gateway'))
    const gw = seedObject(seed000, 'Gateway', 'httpbin-gateway') as any
    gw.spec.servers[0].hosts.push('app.example.com')
    state.apply(gw)
    state.apply(seedObject(seed000, 'VirtualService', 'path-based-routing'))
    state.apply(seedObject(seed000, 'VirtualService', 'advanced-routing'))
    state.apply(seedObject(seed000, 'VirtualService', 'resilient-routing'))
    state.apply(vs('headers', ['httpbin.example.com'], ['httpbin-gateway'], [{headers: {response: {add: {'x-sandbox': 'yes'}, remove: ['server']}}, route: [to('httpbin', 80)]}]))
    const rc = routeConfig(await configDump(mesh, 'istio-system', pod), 'http.8080')!
    const app = rc.virtual_hosts.find((v: any) => v.name === 'app.example.com:80')
    const matches = app.routes.map((r: any) => r.match)
    assert.ok(matches.some((m: any) => m.path === '/health'))
    assert.ok(matches.some((m: any) => m.safe_regex?.regex === '/v[0-9]+/.*'))
    assert.ok(matches.some((m: any) => m.prefix === '/api' && m.headers?.[0]?.name === 'user-agent' && m.headers[0].string_match.safe_regex.regex === '.*Mobile.*'))
    assert.ok(matches.some((m: any) => m.query_parameters?.[0]?.name === 'debug' && m.query_parameters[0].string_match.exact === 'true'))
    assert.equal(app.routes.find((r: any) => r.match.prefix === '/api' && !r.match.headers && !r.match.query_parameters).route.prefix_rewrite, '/')
    // Merged VirtualServices for one host: catch-all routes go last.
    assert.deepEqual(app.routes.at(-1).match, {prefix: '/', case_sensitive: true})
    const api = rc.virtual_hosts.find((v: any) => v.name === 'api.example.com:80')
    const resilient = api.routes[0].route
    assert.equal(resilient.timeout, '30s')
    assert.equal(resilient.retry_policy.num_retries, 3)
    assert.equal(resilient.retry_policy.per_try_timeout, '10s')
    const hb = rc.virtual_hosts.find((v: any) => v.name === 'httpbin.example.com:80').routes[0]
    assert.deepEqual(hb.response_headers_to_add, [{header: {key: 'x-sandbox', value: 'yes'}, append_action: 'APPEND_IF_EXISTS_OR_ADD'}])
    assert.deepEqual(hb.response_headers_to_remove, ['server'])
  })
})

describe('sandbox istiod: subsets, weights and upstream failures', () => {
  it('splits by live weights across subset clusters whose endpoints follow the subset labels', async () => {
    const {state, mesh, pod} = world()
    const gw = seedObject(seed000, 'Gateway', 'httpbin-gateway') as any
    gw.spec.servers[0].hosts = ['app.example.com']
    state.apply(gw)
    state.apply(seedObject(seed000, 'VirtualService', 'canary-deployment'))
    state.apply(seedObject(seed000, 'DestinationRule', 'app-service-dr'))
    const dump = await configDump(mesh, 'istio-system', pod, '?include_eds')
    const route = routeConfig(dump, 'http.8080')!.virtual_hosts[0].routes[0].route
    assert.deepEqual(route.weighted_clusters.clusters, [{name: 'outbound|80|stable|app-service.default.svc.cluster.local', weight: 90}, {name: 'outbound|80|canary|app-service.default.svc.cluster.local', weight: 10}])
    const canary = cluster(dump, 'outbound|80|canary|app-service.default.svc.cluster.local')!
    assert.equal(canary.metadata.filter_metadata.istio.subset, 'canary')
    assert.equal(canary.metadata.filter_metadata.istio.config, '/apis/networking.istio.io/v1alpha3/namespaces/default/destination-rule/app-service-dr')
    const endpoints = (name: string) => section(dump, 'EndpointsConfigDump').dynamic_endpoint_configs.find((e: any) => e.endpoint_config.cluster_name === name).endpoint_config.endpoints[0].lb_endpoints.length
    assert.equal(endpoints('outbound|80|stable|app-service.default.svc.cluster.local'), 2)
    assert.equal(endpoints('outbound|80|canary|app-service.default.svc.cluster.local'), 1)
    mesh.runTraffic(10)
    const series = requestSeries((await admin(mesh, 'istio-system', pod, '/stats/prometheus')).body)
    assert.equal(sumRequests(series, {destination_version: 'stable', response_code: '200'}), 90)
    assert.equal(sumRequests(series, {destination_version: 'canary', response_code: '200'}), 10)
    // Change the weights: the next window follows them at once.
    const changed = seedObject(seed000, 'VirtualService', 'canary-deployment') as any
    changed.spec.http[0].route[0].weight = 50
    changed.spec.http[0].route[1].weight = 50
    state.apply(changed)
    mesh.runTraffic(10)
    const after = requestSeries((await admin(mesh, 'istio-system', pod, '/stats/prometheus')).body)
    assert.equal(sumRequests(after, {destination_version: 'canary'}), 10 + 50)
  })

  it('answers 503 NC for a subset no DestinationRule defines and 503 UH for a subset selecting no pods', async () => {
    const {state, mesh, pod} = world()
    state.apply(gateway('gw', [httpServer(['app.example.com'])]))
    state.apply(vs('split', ['app.example.com'], ['gw'], [{route: [{...to('app-service', 80, {subset: 'stable'}), weight: 50}, {...to('app-service', 80, {subset: 'missing'}), weight: 50}]}]))
    state.apply({apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: {name: 'dr', namespace: 'default'}, spec: {host: 'app-service', subsets: [{name: 'stable', labels: {version: 'nothing-has-this'}}]}})
    mesh.runTraffic(10)
    const series = requestSeries((await admin(mesh, 'istio-system', pod, '/stats/prometheus')).body)
    assert.equal(sumRequests(series, {response_code: '503', response_flags: 'NC'}), 50)
    assert.equal(sumRequests(series, {response_code: '503', response_flags: 'UH', destination_service: 'app-service.default.svc.cluster.local'}), 50)
  })

  it('raises the 5xx share of a workload under a fault annotation, as the gateway and the destination see it', async () => {
    const {state, mesh, pod} = world()
    state.apply(seedObject(seed000, 'Gateway', 'httpbin-gateway'))
    state.apply(seedObject(seed000, 'VirtualService', 'httpbin-vs'))
    mesh.runTraffic(10)
    const deployment = state.get('apps', 'Deployment', 'default', 'httpbin')!
    state.apply({...deployment, metadata: {...deployment.metadata, annotations: {'sandbox.kubectl-gw.io/fault': JSON.stringify({errorRate: 0.5, latencyMs: 0})}}})
    mesh.runTraffic(10)
    const series = requestSeries(mesh.scrape())
    const gw = {reporter: 'source', destination_workload: 'httpbin', pod}
    assert.equal(sumRequests(series, {...gw, response_code: '200'}), 100 + 50)
    assert.equal(sumRequests(series, {...gw, response_code: '500'}), 50)
    assert.ok(sumRequests(series, {reporter: 'destination', destination_workload: 'httpbin', response_code: '500'}) >= 50)
  })

  it('removes the virtual host when its VirtualService is deleted', async () => {
    const {state, mesh, pod} = world()
    state.apply(seedObject(seed000, 'Gateway', 'httpbin-gateway'))
    state.apply(seedObject(seed000, 'VirtualService', 'httpbin-vs'))
    assert.ok(routeConfig(await configDump(mesh, 'istio-system', pod), 'http.8080')!.virtual_hosts.some((v: any) => v.name === 'httpbin.example.com:80'))
    state.delete('networking.istio.io/v1beta1', 'VirtualService', 'default', 'httpbin-vs')
    assert.deepEqual(routeConfig(await configDump(mesh, 'istio-system', pod), 'http.8080')!.virtual_hosts.map((v: any) => v.name), ['blackhole:80'])
  })
})

describe('sandbox istiod: TLS servers and credential secrets', () => {
  let cert: TestCert
  let ca: TestCert
  before(() => {
    cert = selfSignedCert('httpbin.example.com')
    ca = selfSignedCert('Client CA')
  })

  it('terminates SIMPLE TLS with SDS kubernetes://NAME from the gateway pod namespace, key redacted', async () => {
    const {state, mesh, pod} = world()
    state.apply(tlsSecret('httpbin-credential', 'istio-system', cert))
    state.apply(seedObject(seed000, 'Gateway', 'httpbin-gateway-secure'))
    state.apply(vs('secure', ['httpbin.example.com'], ['httpbin-gateway-secure'], [{route: [to('httpbin', 80)]}]))
    const dump = await configDump(mesh, 'istio-system', pod)
    const l = listener(dump, '0.0.0.0_8443')!
    assert.ok(l.active_state, 'HTTPS listener active')
    const chain = l.active_state.listener.filter_chains[0]
    assert.deepEqual(chain.filter_chain_match.server_names, ['httpbin.example.com'])
    assert.equal(chain.transport_socket.typed_config.common_tls_context.tls_certificate_sds_secret_configs[0].name, 'kubernetes://httpbin-credential')
    assert.equal(chain.filters[0].typed_config.rds.route_config_name, 'https.443.https.httpbin-gateway-secure.default')
    assert.ok(routeConfig(dump, 'https.443.https.httpbin-gateway-secure.default')!.virtual_hosts.some((v: any) => v.name === 'httpbin.example.com:443'))
    const secrets = section(dump, 'SecretsConfigDump')
    const active = secrets.dynamic_active_secrets.find((s: any) => s.name === 'kubernetes://httpbin-credential')
    assert.equal(active.secret.tls_certificate.private_key.inline_bytes, 'W3JlZGFjdGVkXQ==')
    assert.equal(Buffer.from(active.secret.tls_certificate.certificate_chain.inline_bytes, 'base64').toString(), cert.cert)
    assert.ok(!JSON.stringify(dump).includes(Buffer.from(cert.key).toString('base64')), 'private key never leaves the admin API')
    assert.match((await admin(mesh, 'istio-system', pod, '/stats?filter=days_until')).body, /^server\.days_until_first_cert_expiring: (29|30)$/m)
    const certs = JSON.parse((await admin(mesh, 'istio-system', pod, '/certs')).body)
    assert.equal(certs.certificates[0].cert_chain[0].subject_alt_names[0].dns, 'httpbin.example.com')
  })

  it('leaves the SDS secret warming and the listener warming when the secret is in the Gateway namespace, not the pod namespace', async () => {
    const {state, mesh, pod} = world()
    state.apply(tlsSecret('httpbin-credential', 'default', cert))
    state.apply(seedObject(seed000, 'Gateway', 'httpbin-gateway-secure'))
    const dump = await configDump(mesh, 'istio-system', pod, '?mask=dynamic_active_secrets,dynamic_warming_secrets,dynamic_listeners')
    const secrets = section(dump, 'SecretsConfigDump')
    assert.equal(secrets.dynamic_active_secrets, undefined)
    assert.deepEqual(secrets.dynamic_warming_secrets.map((s: any) => [s.name, s.version_info]), [['kubernetes://httpbin-credential', 'uninitialized']])
    const l = listener(dump, '0.0.0.0_8443')!
    assert.ok(l.warming_state && !l.active_state)
    assert.ok(listener(dump, '0.0.0.0_8080')!.active_state, 'the plain HTTP listener is unaffected')
    assert.ok(mesh.warnings().some((w) => w.includes('secret istio-system/httpbin-credential not found')))
    const ls = (await admin(mesh, 'istio-system', pod, '/listeners')).body
    assert.ok(!ls.includes('0.0.0.0_8443'))
  })

  it('takes the MUTUAL CA from ca.crt in the same secret or from NAME-cacert, and warms without either', async () => {
    const {state, mesh, pod} = world()
    state.apply(seedObject(seed000, 'Gateway', 'httpbin-gateway-mtls'))
    state.apply(tlsSecret('httpbin-credential', 'istio-system', cert))
    let secrets = section(await configDump(mesh, 'istio-system', pod), 'SecretsConfigDump')
    assert.deepEqual(secrets.dynamic_warming_secrets.map((s: any) => s.name), ['kubernetes://httpbin-credential-cacert'])
    state.apply({apiVersion: 'v1', kind: 'Secret', metadata: {name: 'httpbin-credential-cacert', namespace: 'istio-system'}, data: {'ca.crt': Buffer.from(ca.cert).toString('base64')}})
    secrets = section(await configDump(mesh, 'istio-system', pod), 'SecretsConfigDump')
    assert.deepEqual(secrets.dynamic_active_secrets.map((s: any) => s.name).sort(), ['kubernetes://httpbin-credential', 'kubernetes://httpbin-credential-cacert'])
    state.delete('v1', 'Secret', 'istio-system', 'httpbin-credential-cacert')
    state.apply(tlsSecret('httpbin-credential', 'istio-system', cert, ca.cert))
    const dump = await configDump(mesh, 'istio-system', pod)
    secrets = section(dump, 'SecretsConfigDump')
    assert.equal(secrets.dynamic_active_secrets.find((s: any) => s.name === 'kubernetes://httpbin-credential-cacert').secret.validation_context.trusted_ca.inline_bytes, Buffer.from(ca.cert).toString('base64'))
    const chain = listener(dump, '0.0.0.0_8443')!.active_state.listener.filter_chains[0]
    assert.equal(chain.transport_socket.typed_config.require_client_certificate, true)
    assert.equal(chain.transport_socket.typed_config.common_tls_context.combined_validation_context.validation_context_sds_secret_config.name, 'kubernetes://httpbin-credential-cacert')
  })

  it('never pushes an expired certificate or a secret without cert/key; generic cert/key keys work', async () => {
    const state = new FakeClusterState()
    demoWorld(state)
    // The mesh's clock is a year ahead: the 30-day certificate has expired by then.
    const later = createSimulatedMesh(state, {timer: {setInterval: () => 0, clearInterval: () => undefined}, now: () => new Date(Date.now() + 365 * 86_400_000)})
    const pod = gatewayPods(state)[0]!
    state.apply(tlsSecret('httpbin-credential', 'istio-system', cert))
    state.apply(seedObject(seed000, 'Gateway', 'httpbin-gateway-secure'))
    let secrets = section(await configDump(later, 'istio-system', pod), 'SecretsConfigDump')
    assert.deepEqual(secrets.dynamic_warming_secrets.map((x: any) => x.name), ['kubernetes://httpbin-credential'])
    assert.ok(later.warnings().some((w) => w.includes('certificate is expired or not yet valid')))
    const state2 = new FakeClusterState()
    demoWorld(state2)
    const now = createSimulatedMesh(state2, {timer: {setInterval: () => 0, clearInterval: () => undefined}})
    state2.apply(seedObject(seed000, 'Gateway', 'httpbin-gateway-secure'))
    state2.apply({apiVersion: 'v1', kind: 'Secret', metadata: {name: 'httpbin-credential', namespace: 'istio-system'}, data: {'tls.pem': Buffer.from(cert.cert).toString('base64')}})
    secrets = section(await configDump(now, 'istio-system', gatewayPods(state2)[0]!), 'SecretsConfigDump')
    assert.equal(secrets.dynamic_active_secrets, undefined)
    assert.ok(now.warnings().some((w) => w.includes("didn't have expected keys (cert and key) or (tls.crt and tls.key); found: tls.pem")))
    state2.apply({apiVersion: 'v1', kind: 'Secret', metadata: {name: 'httpbin-credential', namespace: 'istio-system'}, data: {cert: Buffer.from(cert.cert).toString('base64'), key: Buffer.from(cert.key).toString('base64')}})
    secrets = section(await configDump(now, 'istio-system', gatewayPods(state2)[0]!), 'SecretsConfigDump')
    assert.deepEqual(secrets.dynamic_active_secrets.map((x: any) => x.name), ['kubernetes://httpbin-credential'])
  })

  it('routes PASSTHROUGH by SNI through tcp_proxy, with no RDS', async () => {
    const {state, mesh, pod} = world()
    state.apply(gateway('pass', [{port: {number: 443, name: 'tls', protocol: 'TLS'}, hosts: ['db.example.com'], tls: {mode: 'PASSTHROUGH'}}]))
    state.apply({apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: {name: 'db', namespace: 'default'}, spec: {hosts: ['db.example.com'], gateways: ['pass'], tls: [{match: [{sniHosts: ['db.example.com'], port: 443}], route: [to('httpbin', 80)]}]}})
    const dump = await configDump(mesh, 'istio-system', pod)
    const chain = listener(dump, '0.0.0.0_8443')!.active_state.listener.filter_chains[0]
    assert.deepEqual(chain.filter_chain_match, {server_names: ['db.example.com'], transport_protocol: 'tls'})
    assert.equal(chain.filters[0].name, 'envoy.filters.network.tcp_proxy')
    assert.equal(chain.filters[0].typed_config.cluster, 'outbound|80||httpbin.default.svc.cluster.local')
    assert.equal((section(dump, 'RoutesConfigDump').dynamic_route_configs ?? []).filter((r: any) => r.route_config.name.startsWith('https.')).length, 0)
  })
})

describe('sandbox istiod: VirtualService fault injection and timeouts', () => {
  it('translates fault.abort/delay to the route fault filter; traffic shows FI aborts and DI delays', async () => {
    const {state, mesh, pod} = world()
    state.apply(gateway('gw', [httpServer(['chaos.example.com'])]))
    state.apply(vs('chaos', ['chaos.example.com'], ['gw'], [{fault: {abort: {httpStatus: 503, percentage: {value: 20}}, delay: {fixedDelay: '2s', percentage: {value: 50}}}, route: [to('httpbin', 80)]}]))
    const route = routeConfig(await configDump(mesh, 'istio-system', pod), 'http.8080')!.virtual_hosts[0].routes[0]
    assert.deepEqual(route.typed_per_filter_config['envoy.filters.http.fault'], {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
      delay: {fixed_delay: '2s', percentage: {numerator: 500000, denominator: 'MILLION'}},
      abort: {http_status: 503, percentage: {numerator: 200000, denominator: 'MILLION'}},
    })
    mesh.runTraffic(10)
    const series = requestSeries((await admin(mesh, 'istio-system', pod, '/stats/prometheus')).body)
    assert.equal(sumRequests(series, {response_code: '503', response_flags: 'FI'}), 20)
    assert.equal(sumRequests(series, {response_code: '200', response_flags: 'DI'}), 40)
    assert.equal(sumRequests(series, {response_code: '200', response_flags: '-'}), 40)
  })

  it('answers 504 UT when the workload is slower than the route timeout', async () => {
    const {state, mesh, pod} = world()
    state.apply(gateway('gw', [httpServer(['slow.example.com'])]))
    state.apply(vs('slow', ['slow.example.com'], ['gw'], [{timeout: '500ms', route: [to('httpbin', 80)]}]))
    const deployment = state.get('apps', 'Deployment', 'default', 'httpbin')!
    state.apply({...deployment, metadata: {...deployment.metadata, annotations: {'sandbox.kubectl-gw.io/fault': JSON.stringify({errorRate: 0, latencyMs: 900})}}})
    mesh.runTraffic(5)
    const series = requestSeries((await admin(mesh, 'istio-system', pod, '/stats/prometheus')).body)
    assert.equal(sumRequests(series, {response_code: '504', response_flags: 'UT'}), 50)
  })
})

describe('sandbox istiod: ServiceEntry destinations', () => {
  it('builds a STRICT_DNS cluster for a DNS ServiceEntry and routes to it as a healthy external host', async () => {
    const {state, mesh, pod} = world()
    state.apply({apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: {name: 'external-api', namespace: 'default'}, spec: {hosts: ['api.partner.com'], ports: [{number: 443, name: 'https', protocol: 'TLS'}, {number: 80, name: 'http', protocol: 'HTTP'}], resolution: 'DNS', location: 'MESH_EXTERNAL'}})
    state.apply(gateway('out', [httpServer(['partner.example.com'])]))
    state.apply(vs('partner', ['partner.example.com'], ['out'], [{route: [to('api.partner.com', 80)]}]))
    const c = cluster(await configDump(mesh, 'istio-system', pod), 'outbound|80||api.partner.com')!
    assert.equal(c.type, 'STRICT_DNS')
    assert.deepEqual(c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address, {address: 'api.partner.com', port_value: 80})
    mesh.runTraffic(3)
    const series = requestSeries((await admin(mesh, 'istio-system', pod, '/stats/prometheus')).body)
    assert.equal(sumRequests(series, {destination_service: 'api.partner.com', response_code: '200', destination_workload: 'unknown'}), 30)
  })
})

describe('sandbox istiod: weight edge cases and mirroring', () => {
  it('collapses a split with one non-zero weight into a plain cluster, and mirrors to a second cluster', async () => {
    const {state, mesh, pod} = world()
    state.apply(gateway('gw', [httpServer(['app.example.com'])]))
    state.apply(seedObject(seed000, 'DestinationRule', 'app-service-dr'))
    state.apply(vs('split', ['app.example.com'], ['gw'], [{route: [{...to('app-service', 80, {subset: 'stable'}), weight: 100}, {...to('app-service', 80, {subset: 'canary'}), weight: 0}], mirror: {host: 'httpbin', port: {number: 80}}, mirrorPercentage: {value: 5}}]))
    const action = routeConfig(await configDump(mesh, 'istio-system', pod), 'http.8080')!.virtual_hosts[0].routes[0].route
    assert.equal(action.cluster, 'outbound|80|stable|app-service.default.svc.cluster.local')
    assert.equal(action.weighted_clusters, undefined)
    assert.deepEqual(action.request_mirror_policies, [{cluster: 'outbound|80||httpbin.default.svc.cluster.local', runtime_fraction: {default_value: {numerator: 50000, denominator: 'MILLION'}}, trace_sampled: false}])
  })
})
