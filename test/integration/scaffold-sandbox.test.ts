import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'
import {after, before, describe, it} from 'node:test'
import {stringify} from 'yaml'
import {createSimulatedMesh} from '../../src/sandbox/mesh/index.ts'
import {sandboxKubeconfig, startSandbox, type RunningSandbox} from '../../src/sandbox/sandbox.ts'
import {gwBin, skipUnlessInstalled} from '../helpers/paths.ts'
import {fixturesDir} from '../helpers/scaffold-fixtures.ts'
import {selfSignedCert, tlsSecret} from '../helpers/test-certs.ts'

const run = promisify(execFile)
const kubectlBin = '/usr/bin/kubectl'

interface RouteConfig {
  name: string
  virtual_hosts: {name: string; routes: {match: Record<string, unknown>; route?: {cluster?: string; weighted_clusters?: {clusters: {name: string; weight: number}[]}}}[]}[]
}

describe('kubectl gw scaffold against the sandbox', {skip: skipUnlessInstalled(kubectlBin, 'kubectl')}, () => {
  let dir: string
  let sandbox: RunningSandbox
  let kubeconfig: string
  const scaffoldArgs = ['scaffold', 'api', '--host', 'api.example.com', '--route', 'exact:/health=health-service', '--service', 'api-service', '--subsets', 'v1,v2', '--weights', 'v1=90,v2=10', '--timeout', '30s']

  const gw = async (...args: string[]) => run(gwBin, [...args, '--kubeconfig', kubeconfig], {env: {...process.env, CI: 'true'}})
  const kubectl = async (...args: string[]) => (await run(kubectlBin, ['--kubeconfig', kubeconfig, ...args], {maxBuffer: 64 * 1024 * 1024})).stdout

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-scaffold-it-'))
    sandbox = await startSandbox({
      stateDir: path.join(dir, 'state'),
      port: 0,
      world: 'demo',
      istioVersion: '1.28',
      // No traffic is needed: the timer is never armed.
      meshFactory: (state) => createSimulatedMesh(state, {timer: {setInterval: () => 0, clearInterval: () => undefined}}),
    })
    kubeconfig = path.join(dir, 'kubeconfig')
    fs.writeFileSync(kubeconfig, sandboxKubeconfig(sandbox), {mode: 0o600})
  })

  after(async () => {
    await sandbox?.close()
    if (dir) fs.rmSync(dir, {recursive: true, force: true})
  })

  it('applies, detecting ports and subset labels; a second run leaves everything unchanged', async () => {
    const first = await gw(...scaffoldArgs)
    assert.equal(
      first.stdout,
      'gateway.networking.istio.io/api-gateway created\nvirtualservice.networking.istio.io/api created\ndestinationrule.networking.istio.io/api-service created\n',
    )
    const second = await gw(...scaffoldArgs)
    assert.equal(second.stdout, first.stdout.replaceAll('created', 'unchanged'))
    const dr = JSON.parse(await kubectl('get', 'destinationrules.networking.istio.io', 'api-service', '-n', 'default', '-o', 'json'))
    assert.deepEqual(dr.spec.subsets.map((s: {labels: Record<string, string>}) => s.labels), [{version: 'v1'}, {version: 'v2'}])
    const diff = await gw(...scaffoldArgs, '--diff')
    assert.equal(diff.stdout, '', 'nothing would change')
  })

  it("puts the listener and the routes into the gateway's config_dump", async () => {
    const pods = JSON.parse(await kubectl('get', 'pods', '-n', 'istio-system', '-l', 'istio=ingressgateway', '-o', 'json'))
    const pod = pods.items.map((p: {metadata: {name: string}}) => p.metadata.name).sort()[0]
    const dump = JSON.parse(await kubectl('get', '--raw', `/api/v1/namespaces/istio-system/pods/${pod}:15000/proxy/config_dump`))
    const listeners = dump.configs.find((c: {'@type': string}) => c['@type'].endsWith('.ListenersConfigDump')).dynamic_listeners.map((l: {name: string}) => l.name)
    assert.ok(listeners.includes('0.0.0.0_8080'), `listeners: ${listeners.join(', ')}`)
    const routes: RouteConfig[] = dump.configs.find((c: {'@type': string}) => c['@type'].endsWith('.RoutesConfigDump')).dynamic_route_configs.map((r: {route_config: RouteConfig}) => r.route_config)
    const vhost = routes.find((r) => r.name === 'http.8080')?.virtual_hosts.find((v) => v.name === 'api.example.com:80')
    assert.ok(vhost, 'a virtual host for api.example.com on port 80')
    assert.equal(vhost.routes[0]?.route?.cluster, 'outbound|8080||health-service.default.svc.cluster.local')
    assert.deepEqual(vhost.routes[1]?.route?.weighted_clusters?.clusters.map((c) => `${c.name}=${c.weight}`), [
      'outbound|8080|v1|api-service.default.svc.cluster.local=90',
      'outbound|8080|v2|api-service.default.svc.cluster.local=10',
    ])
  })

  it('the server accepts the seed production spec, the egress pattern and Gateway API objects (server dry run)', async () => {
    const production = await gw('scaffold', '-f', path.join(fixturesDir, 'production-ingress.yaml'), '--dry-run=server')
    assert.match(production.stdout, /^gateway\.networking\.istio\.io\/production-gateway created \(server dry run\)$/m)
    assert.match(production.stdout, /^destinationrule\.networking\.istio\.io\/api-service-destinationrule created \(server dry run\)$/m)
    assert.match(production.stderr, /Warning: .*production-ingress\.yaml:\d+: secret istio-system\/mycompany-tls-credential does not exist yet/)
    const egress = await gw('scaffold', 'cnn', '--egress', 'edition.cnn.com', '--tls', 'passthrough', '--dry-run=server')
    assert.equal(egress.stdout.split('\n').filter(Boolean).length, 4, egress.stdout)
    const gatewayApi = await gw('scaffold', 'web', '--host', 'www.example.com', '--service', 'web-frontend', '--api', 'gateway-api', '--dry-run=server')
    assert.equal(gatewayApi.stdout, 'gateway.gateway.networking.k8s.io/web-gateway created (server dry run)\nhttproute.gateway.networking.k8s.io/web created (server dry run)\n')
    const stored = JSON.parse(await kubectl('get', 'gateways.networking.istio.io', '-A', '-o', 'json'))
    assert.deepEqual(stored.items.map((g: {metadata: {name: string}}) => g.metadata.name), ['api-gateway'], 'dry runs stored nothing')
  })

  it('warns about a credential next to the Gateway, which Envoy then never gets; fixed once it is in istio-system', async () => {
    const cert = selfSignedCert('shop.example.com')
    const secretFile = (namespace: string) => {
      const file = path.join(dir, `secret-${namespace}.yaml`)
      fs.writeFileSync(file, stringify(tlsSecret('shop-cert', namespace, cert)))
      return file
    }
    await kubectl('apply', '-f', secretFile('default'))
    const args = ['scaffold', 'shop', '--host', 'shop.example.com', '--service', 'web-frontend', '--tls', 'simple', '--credential', 'shop-cert']
    const applied = await gw(...args)
    assert.match(applied.stderr, /Warning: --credential: secret shop-cert is in namespace default, but must be in istio-system/)
    const pods = JSON.parse(await kubectl('get', 'pods', '-n', 'istio-system', '-l', 'istio=ingressgateway', '-o', 'json'))
    const pod = pods.items.map((p: {metadata: {name: string}}) => p.metadata.name).sort()[0]
    const activeSecrets = async () => {
      const dump = JSON.parse(await kubectl('get', '--raw', `/api/v1/namespaces/istio-system/pods/${pod}:15000/proxy/config_dump?mask=dynamic_active_secrets`))
      const secrets = dump.configs.find((c: {'@type': string}) => c['@type'].endsWith('.SecretsConfigDump'))
      return ((secrets?.dynamic_active_secrets ?? []) as {name: string}[]).map((x) => x.name)
    }
    assert.ok(!(await activeSecrets()).includes('kubernetes://shop-cert'))
    await kubectl('apply', '-f', secretFile('istio-system'))
    const again = await gw(...args)
    assert.doesNotMatch(again.stderr, /Warning/)
    assert.ok((await activeSecrets()).includes('kubernetes://shop-cert'))
  })
})
