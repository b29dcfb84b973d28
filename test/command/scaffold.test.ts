import {test, before, after} from 'node:test'
import assert from 'node:assert/strict'
import {mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {parse as parseYaml, parseAllDocuments} from 'yaml'
import Scaffold from '../../commands/scaffold.ts'
import type {KubeClient} from '../../src/kube/client.ts'
import type {KubeObject} from '../../src/kube/objects.ts'
import {istioCluster} from '../helpers/fake-kube.ts'
import {fakeContext, runCommand} from '../helpers/fake-context.ts'

let scratch: string
before(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'gw-scaffold-'))
})
after(async () => rm(scratch, {recursive: true, force: true}))

async function run(argv: string[], kube: KubeClient = istioCluster()) {
  return runCommand(Scaffold, argv, fakeContext({kube, namespace: 'default'}))
}

const httpbin = ['httpbin', '--host', 'httpbin.example.com', '--service', 'httpbin']

test('applies with server-side apply, prints kubectl-style lines, and a second run changes nothing', async () => {
  const kube = istioCluster()
  const argv = [...httpbin, '--tls', 'simple', '--credential', 'httpbin-credential', '--https-redirect', '--subsets', 'v1,v2', '--weights', 'v1=90,v2=10']
  const first = await run(argv, kube)
  assert.equal(first.exitCode, 0, first.stderr)
  assert.equal(
    first.stdout,
    'gateway.networking.istio.io/httpbin-gateway created\nvirtualservice.networking.istio.io/httpbin created\ndestinationrule.networking.istio.io/httpbin created\n',
  )
  const vs = await kube.get<KubeObject & {spec: {http: {route: {destination: {port: {number: number}}}[]}[]}}>({apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', namespace: 'default', name: 'httpbin'})
  assert.equal(vs?.spec.http[0]?.route[0]?.destination.port.number, 8000, 'the only Service port is detected')
  assert.ok(vs?.metadata.managedFields?.some((f) => f.manager === 'kubectl-gw'))
  const second = await run(argv, kube)
  assert.equal(second.stdout, first.stdout.replaceAll('created', 'unchanged'))
})

test('detects the served Istio API version: v1beta1 when v1 is not served', async () => {
  const kube = istioCluster()
  kube.discoveryGroups = [{name: 'networking.istio.io', versions: ['v1beta1', 'v1alpha3']}]
  const result = await run([...httpbin, '-o', 'yaml', '--dry-run=server'], kube)
  assert.equal(result.exitCode, 0, result.stderr)
  const kinds = parseAllDocuments(result.stdout).map((d) => (d.toJS() as KubeObject).apiVersion)
  assert.deepEqual(kinds, ['networking.istio.io/v1beta1', 'networking.istio.io/v1beta1'])
})

test('a Service with several ports needs one named, and the error names the flag and the ports; nothing is written', async () => {
  const kube = istioCluster()
  const result = await run([...httpbin, '--route', '/api=api'], kube)
  assert.equal(result.exitCode, 2)
  assert.match(result.stderr, /--route \/api=api: Service default\/api has several ports \(8080 \(http\), 9090 \(grpc\)\)/)
  assert.deepEqual(kube.writes, [])
})

test('destinations must exist', async () => {
  const result = await run(['shop', '--host', 'shop.example.com', '--service', 'nope:80'])
  assert.equal(result.exitCode, 2)
  assert.match(result.stderr, /--service nope:80: Service default\/nope not found/)
})

test('subsets are detected from pod labels, and unknown ones are refused', async () => {
  const ok = await run([...httpbin, '--subsets', 'v1,v2', '--dry-run=server', '-o', 'yaml'])
  const dr = parseAllDocuments(ok.stdout).map((d) => d.toJS() as KubeObject).find((o) => o.kind === 'DestinationRule') as unknown as {spec: {subsets: unknown[]}}
  assert.deepEqual(dr.spec.subsets, [{name: 'v1', labels: {version: 'v1'}}, {name: 'v2', labels: {version: 'v2'}}])
  const bad = await run([...httpbin, '--subsets', 'v1,v3', '--weights', 'v1=50,v3=50'])
  assert.equal(bad.exitCode, 2)
  assert.match(bad.stderr, /--weights: no pod of Service default\/httpbin has a label with value "v3"/)
})

test('weights must sum to 100 on Istio before 1.15, and may not all be zero', async () => {
  const old = istioCluster()
  old.add({apiVersion: 'apps/v1', kind: 'Deployment', metadata: {namespace: 'istio-system', name: 'istiod', labels: {app: 'istiod'}}, spec: {template: {spec: {containers: [{name: 'discovery', image: 'istio/pilot:1.14.3'}]}}}})
  const sum = await run([...httpbin, '--subsets', 'v1,v2', '--weights', 'v1=60,v2=30'], old)
  assert.equal(sum.exitCode, 2)
  assert.match(sum.stderr, /weights sum to 90; this cluster's Istio \(< 1\.15\) requires them to sum to 100/)
  const zero = await run([...httpbin, '--subsets', 'v1,v2', '--weights', 'v1=0,v2=0'])
  assert.match(zero.stderr, /all weights are 0/)
})

test('regexes must be RE2: lookarounds are refused with the flag named', async () => {
  const result = await run([...httpbin, '--route', 'regex:/(?!admin).*=httpbin'])
  assert.equal(result.exitCode, 2)
  assert.match(result.stderr, /--route regex:\/\(\?!admin\)\.\*=httpbin: regex .* lookaround assertions/)
})

test('bad hosts and hosts outside the Gateway are refused', async () => {
  const wild = await run(['x', '--host', 'api.*.example.com', '--service', 'httpbin'])
  assert.equal(wild.exitCode, 2)
  assert.match(wild.stderr, /--host api\.\*\.example\.com: host "api\.\*\.example\.com": a wildcard may only be the whole left-most label/)
  const spec = path.join(scratch, 'uncovered.yaml')
  await writeFile(spec, 'name: x\ngateway:\n  hosts: [a.example.com]\nvirtualServices:\n  - hosts:\n      - b.example.com\n    routes:\n      - to: httpbin\n')
  const uncovered = await run(['-f', spec])
  assert.equal(uncovered.exitCode, 2)
  assert.match(uncovered.stderr, new RegExp(`${spec}:6: host "b\\.example\\.com" is not served by Gateway x-gateway`))
})

test('TLS needs a credential; MUTUAL needs a CA in the secret or NAME-cacert', async () => {
  const missing = await run([...httpbin, '--tls', 'simple'])
  assert.equal(missing.exitCode, 2)
  assert.match(missing.stderr, /--credential: TLS mode SIMPLE needs a credential secret/)
  const mutual = await run([...httpbin, '--tls', 'mutual', '--credential', 'httpbin-credential'])
  assert.equal(mutual.exitCode, 2)
  assert.match(mutual.stderr, /MUTUAL TLS needs a CA .* httpbin-credential-cacert/)
  const kube = istioCluster()
  kube.add({apiVersion: 'v1', kind: 'Secret', metadata: {namespace: 'istio-system', name: 'httpbin-credential-cacert'}, data: {'ca.crt': 'Y2E='}})
  const withCa = await run([...httpbin, '--tls', 'mutual', '--credential', 'httpbin-credential'], kube)
  assert.equal(withCa.exitCode, 0, withCa.stderr)
})

test('a credential next to the Gateway instead of the gateway pods is the classic mistake: warned, not written there', async () => {
  const kube = istioCluster()
  kube.add({apiVersion: 'v1', kind: 'Secret', metadata: {namespace: 'default', name: 'shop-cert'}, data: {'tls.crt': 'eA==', 'tls.key': 'eA=='}})
  const result = await run([...httpbin, '--tls', 'simple', '--credential', 'shop-cert'], kube)
  assert.equal(result.exitCode, 0)
  assert.match(result.stderr, /^Warning: --credential: secret shop-cert is in namespace default, but must be in istio-system \(the gateway workload's namespace/m)
  const absent = await run([...httpbin, '--tls', 'simple', '--credential', 'later-cert'])
  assert.match(absent.stderr, /Warning: --credential: secret istio-system\/later-cert does not exist yet/)
})

test('an HTTPS host already served by an older Gateway on the same workload and port is warned about; plain HTTP is merged, not warned', async () => {
  const kube = istioCluster()
  kube.add({apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: {namespace: 'web', name: 'older', creationTimestamp: '2026-01-01T00:00:00Z'}, spec: {selector: {istio: 'ingressgateway'}, servers: [{port: {number: 80, name: 'http', protocol: 'HTTP'}, hosts: ['*.example.com']}, {port: {number: 443, name: 'https', protocol: 'HTTPS'}, hosts: ['httpbin.example.com'], tls: {mode: 'SIMPLE', credentialName: 'httpbin-credential'}}]}})
  const plain = await run(httpbin, kube)
  assert.equal(plain.exitCode, 0)
  assert.equal(plain.stderr, '')
  const result = await run([...httpbin, '--tls', 'simple', '--credential', 'httpbin-credential'], kube)
  assert.equal(result.exitCode, 0)
  assert.match(result.stderr, /Warning: --host: Gateway web\/older \(created earlier, same workload\) already serves httpbin\.example\.com on port 443 with TLS: istiod drops this Gateway's server on port 443/)
})

test('a selector that matches no pods is refused', async () => {
  const result = await run([...httpbin, '--selector', 'istio=gateway'])
  assert.equal(result.exitCode, 2)
  assert.match(result.stderr, /--selector: no pods match the gateway selector istio=gateway/)
})

test('objects kubectl-gw did not create are not overwritten without --force-conflicts', async () => {
  const kube = istioCluster()
  kube.add({apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: {namespace: 'default', name: 'httpbin', managedFields: [{manager: 'kubectl-client-side-apply'}]}, spec: {hosts: ['httpbin.example.com']}})
  const refused = await run(httpbin, kube)
  assert.equal(refused.exitCode, 1)
  assert.match(refused.stderr, /refusing to overwrite VirtualService default\/httpbin/)
  const forced = await run([...httpbin, '--force-conflicts'], kube)
  assert.equal(forced.exitCode, 0)
  assert.match(forced.stdout, /virtualservice.networking.istio.io\/httpbin configured/)
})

test('--diff shows +/- YAML lines against the live objects and writes nothing', async () => {
  const kube = istioCluster()
  await run(httpbin, kube)
  const stored = kube.storedWrites().length
  const result = await run([...httpbin, '--timeout', '15s'], kube)
  const diff = await run([...httpbin, '--timeout', '30s', '--diff'], kube)
  assert.equal(diff.exitCode, 1, `differences exit 1, as kubectl diff does: ${diff.stderr}`)
  assert.match(diff.stdout, /^--- live VirtualService default\/httpbin$/m)
  assert.match(diff.stdout, /^-\s+timeout: 15s$/m)
  assert.match(diff.stdout, /^\+\s+timeout: 30s$/m)
  assert.doesNotMatch(diff.stdout, /Gateway default\/httpbin-gateway/, 'unchanged objects print no diff')
  assert.equal(kube.storedWrites().length, stored + 2, `only the --timeout 15s apply stored anything (${result.stdout})`)
})

test('--dry-run=server lets the server validate but stores nothing', async () => {
  const kube = istioCluster()
  const result = await run([...httpbin, '--dry-run=server'], kube)
  assert.equal(result.stdout, 'gateway.networking.istio.io/httpbin-gateway created (server dry run)\nvirtualservice.networking.istio.io/httpbin created (server dry run)\n')
  assert.deepEqual(kube.storedWrites(), [])
})

test('--dry-run=client needs no cluster and uses the documented defaults', async () => {
  const noCluster = new Proxy({} as KubeClient, {get: () => () => Promise.reject(new Error('no cluster in a client dry run'))})
  const result = await run([...httpbin, '--rate-limit', '100/s', '--hpa', 'min=2,max=10,cpu=70', '--pdb', 'min-available=1', '--gateway-wide', '--dry-run=client', '-o', 'yaml'], noCluster)
  assert.equal(result.exitCode, 0, result.stderr)
  const objects = parseAllDocuments(result.stdout).map((d) => d.toJS() as KubeObject)
  assert.deepEqual(objects.map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.namespace}/${o.metadata.name}`), [
    'networking.istio.io/v1 Gateway default/httpbin-gateway',
    'networking.istio.io/v1 VirtualService default/httpbin',
    'networking.istio.io/v1alpha3 EnvoyFilter istio-system/httpbin-ratelimit',
    'autoscaling/v2 HorizontalPodAutoscaler istio-system/istio-ingressgateway',
    'policy/v1 PodDisruptionBudget istio-system/istio-ingressgateway',
  ])
  assert.deepEqual((objects[0]?.spec as {selector: unknown}).selector, {istio: 'ingressgateway'})
})

test('--out-dir writes one YAML file per object', async () => {
  const dir = path.join(scratch, 'out')
  const result = await run([...httpbin, '--dry-run=client', '--out-dir', dir])
  assert.equal(result.exitCode, 0, result.stderr)
  assert.deepEqual((await readdir(dir)).sort(), ['gateway-httpbin-gateway.yaml', 'virtualservice-httpbin.yaml'])
  assert.equal((parseYaml(await readFile(path.join(dir, 'gateway-httpbin-gateway.yaml'), 'utf8')) as KubeObject).kind, 'Gateway')
  assert.match(result.stdout, /gateway.networking.istio.io\/httpbin-gateway written to .*gateway-httpbin-gateway.yaml/)
})

test('-o json is the documented ScaffoldResult contract', async () => {
  const result = await run([...httpbin, '--tls', 'simple', '--credential', 'missing-cert', '-o', 'json'])
  const json = JSON.parse(result.stdout)
  assert.deepEqual(Object.keys(json), ['kind', 'dryRun', 'mode', 'detected', 'networkingApiVersion', 'gatewayWorkload', 'objects', 'credentials', 'warnings'])
  assert.equal(json.kind, 'ScaffoldResult')
  assert.deepEqual({dryRun: json.dryRun, mode: json.mode, detected: json.detected, api: json.networkingApiVersion}, {dryRun: 'none', mode: 'apply', detected: true, api: 'networking.istio.io/v1'})
  assert.deepEqual(json.gatewayWorkload, {namespace: 'istio-system', selector: {istio: 'ingressgateway'}, deployment: 'istio-ingressgateway'})
  assert.deepEqual(Object.keys(json.objects[0]), ['apiVersion', 'kind', 'namespace', 'name', 'action', 'object'])
  assert.deepEqual(json.objects.map((o: {kind: string; action: string}) => `${o.kind} ${o.action}`), ['Gateway created', 'VirtualService created'])
  assert.deepEqual(Object.keys(json.warnings[0]), ['source', 'message', 'hint'])
  assert.equal(json.warnings[0].source, '--credential')
})

test('spec file errors name the file and line, every one at once, and nothing is written', async () => {
  const file = path.join(scratch, 'bad.yaml')
  await writeFile(file, ['name: shop', 'gateway:', '  hosts: [shop.example.com]', 'virtualServices:', '  - routes:', '      - match: /api', '        to: httpbin', '        timout: 30s', '      - match: regex:(a)\\1', '        to: httpbin', ''].join('\n'))
  const kube = istioCluster()
  const result = await run(['-f', file], kube)
  assert.equal(result.exitCode, 2)
  assert.match(result.stderr, new RegExp(`${file}:8: virtualServices\\[0\\]\\.routes\\[0\\]\\.timout: unknown field "timout" \\(known fields here: name, match, headers`))
  assert.deepEqual(kube.writes, [])
  const fixed = file.replace('bad', 'regex')
  await writeFile(fixed, ['name: shop', 'gateway:', '  hosts: [shop.example.com]', 'virtualServices:', '  - routes:', '      - match: regex:(a)\\1', '        to: httpbin', ''].join('\n'))
  const regex = await run(['-f', fixed], kube)
  assert.match(regex.stderr, new RegExp(`${fixed}:6: regex "\\(a\\)\\\\1": backreferences`))
  const syntax = path.join(scratch, 'syntax.yaml')
  await writeFile(syntax, 'name: shop\ngateway:\n  hosts: [a.example.com\n')
  const broken = await run(['-f', syntax])
  assert.equal(broken.exitCode, 2)
  assert.match(broken.stderr, new RegExp(`${syntax}:\\d+: invalid YAML`))
})

test('bad flag values exit 2 naming the flag', async () => {
  for (const [argv, pattern] of [
    [['--weights', 'v1=90,v2=10'], /--weights needs --subsets|need --service/],
    [['--hpa', 'min=two', '--gateway-wide'], /--hpa: min=two is not a whole number/],
    [['--pdb', 'min=1', '--gateway-wide'], /--pdb: unknown key "min"/],
    [['--rate-limit', 'fast'], /--rate-limit fast: expected COUNT\/UNIT/],
    [['--route', '/api'], /--route \/api: expected MATCH=SERVICE\[:PORT\]/],
    [['--https-redirect'], /an HTTPS redirect needs an HTTPS server/],
    [['--timeout', 'soon'], /--timeout: timeout is not in the expected form \(write a duration like 30s/],
    [['--subsets', 'v1,v2', '--weights', 'v1=150,v2=0'], /--weights: weight must be <= 100/],
  ] as [string[], RegExp][]) {
    const result = await run([...httpbin, ...argv, '--dry-run=client'])
    assert.equal(result.exitCode, 2, argv.join(' '))
    assert.match(result.stderr, pattern)
  }
})

test('--api gateway-api emits a Gateway (class istio) and an HTTPRoute, with the redirect as its own route', async () => {
  const result = await run([...httpbin, '--route', 'exact:/health=httpbin:8000', '--tls', 'simple', '--credential', 'httpbin-credential', '--https-redirect', '--timeout', '10s', '--api', 'gateway-api', '--dry-run=client', '-o', 'yaml'])
  assert.equal(result.exitCode, 0, result.stderr)
  const objects = parseAllDocuments(result.stdout).map((d) => d.toJS() as KubeObject)
  assert.deepEqual(objects.map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.name}`), [
    'gateway.networking.k8s.io/v1 Gateway httpbin-gateway',
    'gateway.networking.k8s.io/v1 HTTPRoute httpbin-gateway-https-redirect',
    'gateway.networking.k8s.io/v1 HTTPRoute httpbin',
  ])
  assert.deepEqual((objects[0]?.spec as {listeners: unknown[]}).listeners[1], {
    name: 'https', hostname: 'httpbin.example.com', port: 443, protocol: 'HTTPS',
    tls: {mode: 'Terminate', certificateRefs: [{kind: 'Secret', name: 'httpbin-credential'}]}, allowedRoutes: {namespaces: {from: 'Same'}},
  })
  assert.deepEqual((objects[2]?.spec as {rules: unknown[]}).rules[0], {matches: [{path: {type: 'Exact', value: '/health'}}], backendRefs: [{name: 'httpbin', port: 8000}], timeouts: {request: '10s'}})
  const mutual = await run([...httpbin, '--tls', 'mutual', '--credential', 'c', '--api', 'gateway-api', '--dry-run=client'])
  assert.equal(mutual.exitCode, 2)
  assert.match(mutual.stderr, /--tls: client certificate validation is not in the standard Gateway API channel/)
})

test('--egress detects the egress gateway Service and scaffolds the egress task pattern', async () => {
  const result = await run(['cnn', '--egress', 'edition.cnn.com', '--tls', 'simple', '-o', 'json', '--dry-run=server'])
  assert.equal(result.exitCode, 0, result.stderr)
  const objects = (JSON.parse(result.stdout) as {objects: {object: KubeObject}[]}).objects.map((o) => o.object)
  assert.deepEqual(objects.map((o) => `${o.kind} ${o.metadata.name}`), ['ServiceEntry cnn', 'Gateway cnn-egressgateway', 'DestinationRule cnn-egressgateway', 'VirtualService cnn-through-egress-gateway', 'DestinationRule cnn-originate-tls'])
  assert.equal((objects[2]?.spec as {host: string}).host, 'istio-egressgateway.istio-system.svc.cluster.local')
})

test('routes for an existing Gateway: it must exist, and its hosts must cover the routes', async () => {
  const file = path.join(scratch, 'existing.yaml')
  await writeFile(file, 'name: extra\ngateway:\n  name: shared-gateway\n  existing: true\nvirtualServices:\n  - hosts: [extra.example.com]\n    routes:\n      - to: httpbin\n')
  const missing = await run(['-f', file])
  assert.equal(missing.exitCode, 2)
  assert.match(missing.stderr, new RegExp(`${file}:3: Gateway default/shared-gateway not found`))
  const kube = istioCluster()
  kube.add({apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: {namespace: 'default', name: 'shared-gateway'}, spec: {selector: {istio: 'ingressgateway'}, servers: [{port: {number: 80, name: 'http', protocol: 'HTTP'}, hosts: ['*.example.com']}]}})
  const bound = await run(['-f', file, '-o', 'yaml'], kube)
  assert.equal(bound.exitCode, 0, bound.stderr)
  const vs = parseYaml(bound.stdout) as KubeObject & {spec: {gateways: string[]}}
  assert.deepEqual(vs.spec.gateways, ['shared-gateway'])
  assert.ok(vs.metadata.resourceVersion, 'the object as the server stored it')
  assert.equal(vs.metadata.managedFields, undefined, 'bookkeeping is not printed')
})

test('--weights names every subset and sums to 100, else exit 2 naming the flag', async () => {
  const kube = istioCluster()
  const missing = await run([...httpbin, '--subsets', 'v1,v2', '--weights', 'v1=80'], kube)
  assert.equal(missing.exitCode, 2, missing.stderr)
  assert.match(missing.stderr, /--weights v1=80 gives no weight to subset v2/)
  const over = await run([...httpbin, '--subsets', 'v1,v2', '--weights', 'v1=80,v2=30'], kube)
  assert.equal(over.exitCode, 2, over.stderr)
  assert.match(over.stderr, /--weights: weights sum to 110; they must sum to 100/)
  assert.deepEqual(kube.writes, [])
})
