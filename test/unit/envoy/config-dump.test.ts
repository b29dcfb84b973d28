import assert from 'node:assert/strict'
import {existsSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'
import {parseConfigDump} from '../../../src/envoy/config-dump.ts'
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
})
