import assert from 'node:assert/strict'
import {existsSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'
import {configFromDocument, parseConfigDump} from '../../../src/envoy/config-dump.ts'
import {UsageError} from '../../../src/errors.ts'
import {repoRoot} from '../../helpers/paths.ts'

const samples = path.join(repoRoot, '..', 'shared', 'reference', 'envoy-samples')
const golden = path.join(repoRoot, 'test', 'golden', 'envoy')
const read = (name: string) => parseConfigDump(readFileSync(path.join(samples, name)), name)

describe('config_dump parser (goldens from istio/istio fixtures in ../shared/reference/envoy-samples)', () => {
  const files = readdirSync(samples).filter((f) => f.endsWith('.json'))
  it('has the four samples', () => assert.equal(files.length, 4))
  for (const file of files) {
    it(`${file} matches its golden model`, () => {
      const model = JSON.parse(JSON.stringify(read(file)))
      const goldenFile = path.join(golden, file)
      if (process.env.UPDATE_GOLDEN === '1' || !existsSync(goldenFile)) writeFileSync(goldenFile, `${JSON.stringify(model, null, 2)}\n`)
      assert.deepEqual(model, JSON.parse(readFileSync(goldenFile, 'utf8')))
    })
  }

  it('the ingress gateway HTTP dump: route config http.8080, vhost *:80, routes to the productpage cluster from the bookinfo VirtualService', () => {
    const config = read('describe__testdata__describe__http_config.json')
    const route = config.routeConfigs.find((r) => r.name === 'http.8080')
    assert.ok(route)
    assert.deepEqual(route.virtualHosts.map((v) => [v.name, v.domains]), [['*:80', ['*']]])
    const first = route.virtualHosts[0]!.routes[0]!
    assert.deepEqual(first.action, {kind: 'cluster', cluster: 'outbound|9080||productpage.default.svc.cluster.local'})
    assert.equal(first.istioConfig, '/apis/networking.istio.io/v1alpha3/namespaces/default/virtual-service/bookinfo')
    assert.equal(first.match.path, '/productpage')
  })

  it('the HTTPS route config is named https.<port>.<portName>.<gateway>.<namespace>', () => {
    assert.deepEqual(read('describe__testdata__describe__tls_config.json').routeConfigs.map((r) => r.name), ['https.443.https.bookinfo-gateway.default'])
  })

  it('secrets: active ones with their certificate, warming ones marked warming', () => {
    const secrets = read('writer__envoy__configdump__testdata__secret__istio__config_dump.json').secrets
    assert.deepEqual(secrets.map((s) => [s.name, s.state, s.kind]), [['default', 'active', 'certificate'], ['ROOTCA', 'active', 'validation'], ['configmap://some/thing', 'warming', 'unknown']])
    assert.match(secrets[0]!.certificatePem ?? '', /^-----BEGIN CERTIFICATE-----/)
  })

  it('a dump with every section: static and internal listeners, clusters, bootstrap Istio version', () => {
    const config = read('proxyconfig__testdata__config_dump.json')
    assert.equal(config.istioVersion, '1.21.0-1226')
    assert.deepEqual(config.listeners.map((l) => [l.name, l.port, l.state]), [['', 15021, 'static'], ['main_internal', undefined, 'active']])
    assert.ok(config.clusters.length > 0)
  })

  it('a file that is not a config_dump is a usage error naming it, not a crash', () => {
    assert.throws(() => parseConfigDump('{"nope": 1}', 'dump.json'), (e: Error) => e instanceof UsageError && /dump\.json is not an Envoy config_dump/.test(e.message))
    assert.throws(() => parseConfigDump('{garbage', 'dump.json'), (e: Error) => e instanceof UsageError && /dump\.json is not JSON/.test(e.message))
  })

  it('reading a dump a virtual host at a time gives the model one JSON.parse of the whole dump gives', () => {
    for (const file of files) {
      const text = readFileSync(path.join(samples, file), 'utf8')
      assert.deepEqual(parseConfigDump(text, file), configFromDocument(JSON.parse(text), file), file)
    }
    // Strings holding quotes, backslashes and brackets, non-ASCII text, static and dynamic route configs out of order.
    const dump = {
      configs: [
        {
          dynamic_route_configs: [{version_info: 'v"2\\', route_config: {virtual_hosts: [{name: 'a]}{[', domains: ['ü.example.com', '\\"'], routes: [{match: {prefix: '/{"x"}'}, route: {cluster: 'c\\'}}]}], name: 'http.8080'}}],
          '@type': 'type.googleapis.com/envoy.admin.v3.RoutesConfigDump',
          static_route_configs: [{route_config: {name: 'static', virtual_hosts: []}}, 7],
        },
        {'@type': 'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump', bootstrap: {node: {id: 'router~1', metadata: {ISTIO_VERSION: '1.28'}}}},
        'not a section',
      ],
    }
    const [routes, ...rest] = dump.configs as [Record<string, unknown>, ...unknown[]]
    const typeFirst = {configs: [{'@type': routes['@type'], ...routes}, ...rest]}
    for (const text of [JSON.stringify(dump), JSON.stringify(typeFirst), JSON.stringify(typeFirst, null, 2)]) {
      const model = parseConfigDump(Buffer.from(text), 'dump.json')
      assert.deepEqual(model, configFromDocument(JSON.parse(text), 'dump.json'))
      assert.deepEqual(model.routeConfigs.map((r) => [r.name, r.versionInfo, r.virtualHosts.map((v) => [v.name, v.domains])]), [['static', undefined, []], ['', undefined, []], ['http.8080', 'v"2\\', [['a]}{[', ['ü.example.com', '\\"']]]]])
    }
    assert.throws(() => parseConfigDump(`${JSON.stringify(dump)} trailing`, 'dump.json'), (e: Error) => e instanceof UsageError && /dump\.json is not JSON/.test(e.message))
  })
})
