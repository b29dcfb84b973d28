import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import {before, describe, it} from 'node:test'
import {createSimulatedMesh, type SandboxMesh} from '../../../src/sandbox/mesh/index.ts'
import {FakeClusterState, demoWorld, seed000, seedObject} from '../../helpers/fake-cluster-state.ts'
import {configDump, gatewayPods, section} from '../../helpers/mesh-probe.ts'
import {sharedDir} from '../../helpers/paths.ts'
import {selfSignedCert, tlsSecret} from '../../helpers/test-certs.ts'

/**
 * Field-by-field comparison of the sandbox's /config_dump with real Envoy captures from istio/istio
 * (reference/envoy-samples): every key the real dump has must exist in ours with the same JSON type,
 * the same @type strings, and Istio's naming. Fields the sample has that the sandbox deliberately
 * emits differently are listed with the reason.
 */

type Json = any
const samples = path.join(sharedDir, 'reference', 'envoy-samples')
const sample = (file: string): Json => JSON.parse(fs.readFileSync(path.join(samples, file), 'utf8'))

/** Keys the captures have that the sandbox does not emit, and why. */
const notModelled: Record<string, string> = {
  max_grpc_timeout: 'deprecated in Envoy 1.18; Istio >= 1.19 emits max_stream_duration instead (we do)',
  hidden_envoy_deprecated_per_filter_config: 'removed from Envoy',
}

function kind(v: unknown): string {
  return Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v
}

/** Every key in `real` exists in `ours` with the same type, recursively (arrays: the capture's first element against the closest of ours). */
function covers(ours: Json, real: Json, at: string, problems: string[]): void {
  if (kind(ours) !== kind(real)) {
    problems.push(`${at}: ${kind(ours)} where Envoy has ${kind(real)}`)
    return
  }
  if (Array.isArray(real)) {
    if (real.length === 0) return
    if (ours.length === 0) {
      problems.push(`${at}: empty where Envoy has ${real.length} element(s)`)
      return
    }
    let best: string[] | undefined
    for (const candidate of ours.slice(0, 200)) {
      const found: string[] = []
      covers(candidate, real[0], `${at}[]`, found)
      if (!best || found.length < best.length) best = found
      if (found.length === 0) break
    }
    problems.push(...best!)
    return
  }
  if (kind(real) !== 'object') return
  if (typeof real['@type'] === 'string' && ours['@type'] !== real['@type']) problems.push(`${at}.@type: ${ours['@type']} where Envoy has ${real['@type']}`)
  for (const key of Object.keys(real)) {
    if (key in notModelled) continue
    if (!(key in ours)) {
      problems.push(`${at}.${key}: missing`)
      continue
    }
    covers(ours[key], real[key], `${at}.${key}`, problems)
  }
}

function assertCovers(ours: Json, real: Json, at: string): void {
  const problems: string[] = []
  covers(ours, real, at, problems)
  assert.deepEqual(problems, [], `shape differences from the real capture:\n${problems.join('\n')}`)
}

const byType = (dump: Json, t: string) => dump.configs.find((c: Json) => c['@type'] === `type.googleapis.com/envoy.admin.v3.${t}`)

describe('sandbox config_dump compared with real Envoy captures', () => {
  let mesh: SandboxMesh
  let pod: string
  let dump: Json
  before(async () => {
    const state = new FakeClusterState()
    demoWorld(state)
    state.apply(tlsSecret('httpbin-credential', 'istio-system', selfSignedCert('httpbin.example.com')))
    const gw = seedObject(seed000, 'Gateway', 'httpbin-gateway') as Json
    gw.spec.servers[0].hosts.push('app.example.com')
    state.apply(gw)
    state.apply(seedObject(seed000, 'Gateway', 'httpbin-gateway-secure'))
    // Bound to the HTTPS server, so its route config has routes to compare with the capture's.
    state.apply({apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: {name: 'httpbin-secure', namespace: 'default'}, spec: {hosts: ['httpbin.example.com'], gateways: ['httpbin-gateway-secure'], http: [{match: [{uri: {exact: '/get'}}, {uri: {prefix: '/static'}}], route: [{destination: {host: 'httpbin', port: {number: 8000}}}]}]}})
    state.apply(seedObject(seed000, 'VirtualService', 'httpbin-vs'))
    state.apply(seedObject(seed000, 'VirtualService', 'path-based-routing'))
    state.apply(seedObject(seed000, 'VirtualService', 'canary-deployment'))
    state.apply(seedObject(seed000, 'DestinationRule', 'app-service-dr'))
    state.apply(tlsSecret('missing-ca', 'istio-system', selfSignedCert('x.example.com')))
    state.apply({apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: {name: 'mtls', namespace: 'default'}, spec: {selector: {istio: 'ingressgateway'}, servers: [{port: {number: 9443, name: 'https-m', protocol: 'HTTPS'}, hosts: ['m.example.com'], tls: {mode: 'MUTUAL', credentialName: 'missing-ca'}}]}})
    mesh = createSimulatedMesh(state, {timer: {setInterval: () => 0, clearInterval: () => undefined}})
    pod = gatewayPods(state)[0]!
    dump = await configDump(mesh, 'istio-system', pod, '?include_eds')
  })

  it('has the seven top-level dumps in Envoy order with their @types (proxyconfig capture)', () => {
    const real = sample('proxyconfig__testdata__config_dump.json')
    assert.deepEqual(dump.configs.map((c: Json) => c['@type']), real.configs.map((c: Json) => c['@type']))
  })

  it('matches the ingress gateway HTTP route config of the describe/http_config capture', () => {
    const real = byType(sample('describe__testdata__describe__http_config.json'), 'RoutesConfigDump').dynamic_route_configs[0]
    const ours = byType(dump, 'RoutesConfigDump').dynamic_route_configs.find((r: Json) => r.route_config.name === 'http.8080')
    assert.equal(real.route_config.name, 'http.8080')
    assertCovers(ours, real, 'dynamic_route_configs[http.8080]')
    assert.match(ours.version_info, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\/\d+$/, 'istiod version_info: <push time>/<push number>')
    assert.match(ours.last_updated, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    const route = ours.route_config.virtual_hosts.flatMap((v: Json) => v.routes).find((r: Json) => r.match.prefix === '/static')
    assertCovers(route, real.route_config.virtual_hosts[0].routes[1], 'route[/static]')
  })

  it('matches the subset cluster of the describe/http_config capture, DestinationRule provenance included', () => {
    const real = byType(sample('describe__testdata__describe__http_config.json'), 'ClustersConfigDump').dynamic_active_clusters[0]
    const ours = byType(dump, 'ClustersConfigDump').dynamic_active_clusters.find((c: Json) => c.cluster.name === 'outbound|80|canary|app-service.default.svc.cluster.local')
    assertCovers(ours.cluster, real.cluster, 'cluster[outbound|80|canary|app-service]')
    assert.match(real.cluster.metadata.filter_metadata.istio.config, /^\/apis\/networking\.istio\.io\/v1alpha3\/namespaces\/[^/]+\/destination-rule\/[^/]+$/)
    assert.match(ours.cluster.metadata.filter_metadata.istio.config, /^\/apis\/networking\.istio\.io\/v1alpha3\/namespaces\/default\/destination-rule\/app-service-dr$/)
  })

  it('names terminated HTTPS route configs like the describe/tls_config capture', () => {
    const real = byType(sample('describe__testdata__describe__tls_config.json'), 'RoutesConfigDump').dynamic_route_configs[0]
    const pattern = /^https\.(\d+)\.([^.]+)\.([^.]+)\.([^.]+)$/
    assert.match(real.route_config.name, pattern)
    const ours = byType(dump, 'RoutesConfigDump').dynamic_route_configs.find((r: Json) => pattern.test(r.route_config.name))
    assert.equal(ours.route_config.name, 'https.443.https.httpbin-gateway-secure.default')
    assertCovers(ours, real, 'dynamic_route_configs[https]')
  })

  it('matches the bootstrap, static/dynamic clusters, endpoints and listeners of the proxyconfig capture', () => {
    const real = sample('proxyconfig__testdata__config_dump.json')
    const bootstrap = byType(dump, 'BootstrapConfigDump')
    assertCovers(bootstrap, byType(real, 'BootstrapConfigDump'), 'BootstrapConfigDump')
    assert.match(bootstrap.bootstrap.node.id, /^router~10\.\d+\.\d+\.\d+~istio-ingressgateway-[^.]+\.istio-system~istio-system\.svc\.cluster\.local$/)
    const clusters = byType(dump, 'ClustersConfigDump')
    const realClusters = byType(real, 'ClustersConfigDump')
    assertCovers(clusters.static_clusters.find((c: Json) => c.cluster.name === 'agent'), realClusters.static_clusters[0], 'static_clusters[agent]')
    assert.equal(typeof clusters.version_info, 'string')
    const endpoints = byType(dump, 'EndpointsConfigDump')
    const realEndpoint = byType(real, 'EndpointsConfigDump').dynamic_endpoint_configs[0]
    const ours = endpoints.dynamic_endpoint_configs.find((e: Json) => e.endpoint_config.cluster_name === 'outbound|80||httpbin.default.svc.cluster.local')
    // The capture's endpoint is a waypoint's internal address; compare everything but the address kind.
    const {address: _address, ...realEndpointBody} = realEndpoint.endpoint_config.endpoints[0].lb_endpoints[0].endpoint
    const realShape = structuredClone(realEndpoint)
    realShape.endpoint_config.endpoints[0].lb_endpoints[0].endpoint = realEndpointBody
    delete realShape.endpoint_config.endpoints[0].lb_endpoints[0].metadata.filter_metadata['envoy.filters.listener.original_dst']
    assertCovers(ours, realShape, 'dynamic_endpoint_configs[httpbin]')
    assert.ok(ours.endpoint_config.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address)
    const listeners = byType(dump, 'ListenersConfigDump')
    const realListeners = byType(real, 'ListenersConfigDump')
    const ourListener = listeners.dynamic_listeners.find((l: Json) => l.name === '0.0.0.0_8080')
    const realListener = structuredClone(realListeners.dynamic_listeners[0])
    // Keep the generic parts: name, state, listener @type/name; chains differ (waypoint vs gateway).
    realListener.active_state.listener = {'@type': realListener.active_state.listener['@type'], name: realListener.active_state.listener.name}
    assertCovers(ourListener, realListener, 'dynamic_listeners[0.0.0.0_8080]')
    assertCovers(listeners.static_listeners[0], realListeners.static_listeners[0], 'static_listeners[0]')
    const hcm = ourListener.active_state.listener.filter_chains[0].filters[0]
    const realHcm = realListeners.dynamic_listeners[0].active_state.listener.filter_chains[0].filters[0]
    assert.equal(hcm.name, realHcm.name)
    assert.equal(hcm.typed_config['@type'], realHcm.typed_config['@type'])
    assert.equal(byType(dump, 'ScopedRoutesConfigDump')['@type'], byType(real, 'ScopedRoutesConfigDump')['@type'])
  })

  it('matches active and warming SDS secrets of the secret capture, private key redacted the same way', () => {
    const real = sample('writer__envoy__configdump__testdata__secret__istio__config_dump.json').configs[0]
    const ours = byType(dump, 'SecretsConfigDump')
    const active = ours.dynamic_active_secrets.find((s: Json) => s.name === 'kubernetes://httpbin-credential')
    assertCovers(active, real.dynamic_active_secrets[0], 'dynamic_active_secrets[kubernetes://httpbin-credential]')
    assert.equal(active.secret.tls_certificate.private_key.inline_bytes, real.dynamic_active_secrets[0].secret.tls_certificate.private_key.inline_bytes)
    const warming = ours.dynamic_warming_secrets.find((s: Json) => s.name === 'kubernetes://missing-ca-cacert')
    assertCovers(warming, real.dynamic_warming_secrets[0], 'dynamic_warming_secrets[kubernetes://missing-ca-cacert]')
    assert.equal(warming.version_info, real.dynamic_warming_secrets[0].version_info)
  })

  it('applies ?mask= to each dump and ?resource= per element with the element @type, as istioctl asks', async () => {
    const masked = await configDump(mesh, 'istio-system', pod, '?mask=dynamic_active_secrets,dynamic_warming_secrets')
    assert.equal(masked.configs.length, 6)
    assert.deepEqual(Object.keys(section(masked, 'SecretsConfigDump')).sort(), ['@type', 'dynamic_active_secrets', 'dynamic_warming_secrets'])
    assert.deepEqual(Object.keys(section(masked, 'ClustersConfigDump')), ['@type'])
    const resource = await configDump(mesh, 'istio-system', pod, '?resource=dynamic_active_clusters&mask=cluster.name')
    assert.equal(resource.configs[0]['@type'], 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump.DynamicCluster')
    assert.deepEqual(Object.keys(resource.configs[0]), ['@type', 'cluster'])
    assert.deepEqual(Object.keys(resource.configs[0].cluster).sort(), ['@type', 'name'])
  })
})
