import assert from 'node:assert/strict'
import {X509Certificate} from 'node:crypto'
import {writeFile} from 'node:fs/promises'
import path from 'node:path'
import {describe, it} from 'node:test'
import {parseAllDocuments} from 'yaml'
import Scaffold from '../../commands/scaffold.ts'
import CertsRotate from '../../commands/certs/rotate.ts'
import type {Secret} from '../../src/certs/secrets.ts'
import type {KubeClient} from '../../src/kube/client.ts'
import type {KubeObject} from '../../src/kube/objects.ts'
import {istioCluster, type FakeKube} from '../helpers/fake-kube.ts'
import {fakeContext, runCommand} from '../helpers/fake-context.ts'
import {useTempDir} from '../helpers/temp-dir.ts'

async function run(argv: string[], kube: KubeClient = istioCluster()) {
  return runCommand(Scaffold, argv, fakeContext({kube, namespace: 'default'}))
}

const sans = (kube: FakeKube, name: string) => new X509Certificate(Buffer.from(kube.find<Secret>('Secret', 'istio-system', name)?.data?.['tls.crt'] ?? '', 'base64')).subjectAltName

describe('scaffold never says ok to a wrong result', () => {
  it('a reused credential that does not cover a new host is refused with the exact rotate command, which fixes it', async () => {
    const kube = istioCluster()
    const bank = ['bank', '--host', 'bank.example.com', '--service', 'httpbin', '--tls', 'mutual', '--generate-cert']
    assert.equal((await run(bank, kube)).exitCode, 0)
    const more = [...bank.slice(0, 3), '--host', 'bank2.example.com', ...bank.slice(3)]
    const refused = await run(more, kube)
    assert.equal(refused.exitCode, 2, refused.stderr)
    assert.match(refused.stderr, /secret istio-system\/bank-credential exists and its certificate does not cover bank2\.example\.com \(it names bank\.example\.com\)/)
    const command = /kubectl gw certs rotate bank-credential -n istio-system --host bank\.example\.com --host bank2\.example\.com/.exec(refused.stderr)?.[0]
    assert.ok(command, refused.stderr)
    assert.equal(sans(kube, 'bank-credential'), 'DNS:bank.example.com', 'nothing was written')
    const rotated = await runCommand(CertsRotate, command.split(' ').slice(4), fakeContext({kube}))
    assert.equal(rotated.exitCode, 0, rotated.stderr)
    const again = await run(more, kube)
    assert.equal(again.exitCode, 0, again.stderr)
    assert.equal(sans(kube, 'bank-credential'), 'DNS:bank.example.com, DNS:bank2.example.com')
  })
})

describe('scaffold --diff', () => {
  it('exits 0 with no differences, and re-ordered servers, hosts or subsets of an object we did not create are not differences', async () => {
    const kube = istioCluster()
    const argv = ['shop', '--host', 'shop.example.com', '--host', 'www.shop.example.com', '--service', 'httpbin', '--tls', 'simple', '--credential', 'httpbin-credential', '--https-redirect', '--subsets', 'v1,v2', '--weights', 'v1=90,v2=10']
    const planned = JSON.parse((await run([...argv, '--dry-run=server', '-o', 'json'], kube)).stdout) as {objects: {object: {apiVersion: string; kind: string; metadata: {name: string; namespace: string}; spec: Record<string, unknown[]>}}[]}
    for (const {object} of planned.objects) {
      const spec = {...object.spec}
      // The same objects, written by someone else with every order-free list reversed.
      if (object.kind === 'Gateway') spec.servers = [...(spec.servers as {hosts: string[]}[])].reverse().map((s) => ({...s, hosts: [...s.hosts].reverse()}))
      if (object.kind === 'DestinationRule') spec.subsets = [...spec.subsets!].reverse()
      if (object.kind === 'VirtualService') spec.hosts = [...spec.hosts!].reverse()
      kube.add({apiVersion: object.apiVersion, kind: object.kind, metadata: {name: object.metadata.name, namespace: object.metadata.namespace}, spec})
    }
    const same = await run([...argv, '--diff', '--force-conflicts'], kube)
    assert.equal(same.exitCode, 0, same.stdout + same.stderr)
    assert.equal(same.stdout, '')
    const changed = await run([...argv.slice(0, -1), 'v1=80,v2=20', '--diff', '--force-conflicts'], kube)
    assert.equal(changed.exitCode, 1, changed.stderr)
    assert.match(changed.stdout, /^\+\s+weight: 80$/m)
    const json = JSON.parse((await run([...argv.slice(0, -1), 'v1=80,v2=20', '--diff', '--force-conflicts', '-o', 'json'], kube)).stdout) as {objects: {kind: string; action: string}[]}
    assert.deepEqual(json.objects.map((o) => `${o.kind} ${o.action}`), ['Gateway unchanged', 'VirtualService configured', 'DestinationRule unchanged'])
  })
})

describe('two scaffolds on one Gateway name', () => {
  const dir = useTempDir('gw-scaffold-shared-')

  it('the second is refused when it would drop hosts another VirtualService is bound by, and says which; the same app re-run may change its hosts', async () => {
    const kube = istioCluster()
    const spec = (name: string, host: string) => `name: ${name}\ngateway:\n  name: shared\n  hosts: [${host}]\nvirtualServices:\n  - routes:\n      - to: httpbin\n`
    await writeFile(path.join(dir(), 'one.yaml'), spec('one', 'one.example.com'))
    await writeFile(path.join(dir(), 'two.yaml'), spec('two', 'two.example.com'))
    const first = await run(['-f', path.join(dir(), 'one.yaml')], kube)
    assert.equal(first.exitCode, 0, first.stderr)
    const second = await run(['-f', path.join(dir(), 'two.yaml')], kube)
    assert.equal(second.exitCode, 2, second.stderr)
    assert.match(second.stderr, /two\.yaml:4: Gateway default\/shared already serves one\.example\.com for VirtualService default\/one: this scaffold would replace its servers and leave one\.example\.com unserved/)
    assert.match(second.stderr, /gateway\.existing: true|another gateway name/)
    const gateway = kube.find<KubeObject & {spec: {servers: {hosts: string[]}[]}}>('Gateway', 'default', 'shared')
    assert.deepEqual(gateway?.spec.servers.flatMap((s) => s.hosts), ['one.example.com'], 'nothing was replaced')
    // The same application scaffolded again with another host is a change it may make.
    await writeFile(path.join(dir(), 'one.yaml'), spec('one', 'uno.example.com'))
    const changed = await run(['-f', path.join(dir(), 'one.yaml')], kube)
    assert.equal(changed.exitCode, 0, changed.stderr)
  })
})

describe('the overlapping-host warning', () => {
  const dir = useTempDir('gw-scaffold-overlap-')
  const other = (name: string, servers: unknown[], created: string): KubeObject =>
    ({apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: {name, namespace: 'default', creationTimestamp: created}, spec: {selector: {istio: 'ingressgateway'}, servers}}) as KubeObject
  const wildcardHttp = other('catch-all', [{port: {number: 80, name: 'http', protocol: 'HTTP'}, hosts: ['*']}], '2026-01-01T00:00:00Z')

  it('is not given for plain HTTP on a shared port: istiod merges those servers', async () => {
    const kube = istioCluster()
    kube.add(wildcardHttp, other('same-host-http', [{port: {number: 80, name: 'http', protocol: 'HTTP'}, hosts: ['plain.example.com']}], '2026-01-01T00:00:00Z'))
    const result = await run(['plain', '--host', 'plain.example.com', '--service', 'httpbin'], kube)
    assert.equal(result.exitCode, 0, result.stderr)
    assert.doesNotMatch(result.stderr, /also served by|dropped|drops/)
  })

  it('is given once when an older Gateway holds the same HTTPS host: istiod drops our server; a re-run of the older one says nothing', async () => {
    const kube = istioCluster()
    kube.add(wildcardHttp, other('holder', [{port: {number: 443, name: 'https', protocol: 'HTTPS'}, hosts: ['secure.example.com', 'other.example.com'], tls: {mode: 'SIMPLE', credentialName: 'httpbin-credential'}}], '2026-01-01T00:00:00Z'))
    const argv = ['secure', '--host', 'secure.example.com', '--host', 'www.secure.example.com', '--service', 'httpbin', '--tls', 'simple', '--credential', 'httpbin-credential', '--https-redirect']
    const result = await run(argv, kube)
    assert.equal(result.exitCode, 0, result.stderr)
    const warnings = result.stderr.split('\n').filter((l) => /drops/.test(l))
    assert.equal(warnings.length, 1, result.stderr)
    assert.match(warnings[0]!, /Gateway default\/holder \(created earlier, same workload\) already serves secure\.example\.com on port 443 with TLS: istiod drops this Gateway's server on port 443 \(duplicate host names\)/)
    // The wildcard HTTP Gateway never counts, and the older Gateway itself gets no warning about the newer one.
    const spec = path.join(dir(), 'holder.yaml')
    await writeFile(spec, 'name: holder\ngateway:\n  name: holder\n  hosts: [secure.example.com, other.example.com]\n  tls: simple\n  credential: httpbin-credential\nvirtualServices:\n  - routes:\n      - to: httpbin\n')
    const holder = await run(['-f', spec, '--force-conflicts'], kube)
    assert.equal(holder.exitCode, 0, holder.stderr)
    assert.doesNotMatch(holder.stderr, /drops/)
  })
})

describe('per-application flags do not change the shared gateway silently', () => {
  const noCluster = new Proxy({} as KubeClient, {get: () => () => Promise.reject(new Error('no cluster in a client dry run'))})
  type Patch = {applyTo: string; match: {routeConfiguration?: {vhost?: {domainName?: string}}}; patch: {value: {typed_config?: {value: Record<string, unknown>}; typed_per_filter_config?: Record<string, {value: Record<string, unknown>}>}}}

  it('--rate-limit with --host limits only the application\'s virtual hosts', async () => {
    const result = await run(['shop', '--host', 'shop.example.com', '--host', 'www.shop.example.com', '--service', 'httpbin', '--rate-limit', '100/s', '--dry-run=client', '-o', 'yaml'], noCluster)
    assert.equal(result.exitCode, 0, result.stderr)
    const filter = parseAllDocuments(result.stdout).map((d) => d.toJS() as KubeObject).find((o) => o.kind === 'EnvoyFilter') as KubeObject & {spec: {configPatches: Patch[]}}
    const [listener, ...hosts] = filter.spec.configPatches
    assert.equal(listener?.applyTo, 'HTTP_FILTER')
    assert.equal(listener?.patch.value.typed_config?.value.token_bucket, undefined, 'the listener-wide filter limits nothing by itself')
    assert.deepEqual(hosts.map((p) => `${p.applyTo} ${p.match.routeConfiguration?.vhost?.domainName}`), ['VIRTUAL_HOST shop.example.com', 'VIRTUAL_HOST www.shop.example.com'])
    assert.deepEqual(hosts[0]?.patch.value.typed_per_filter_config?.['envoy.filters.http.local_ratelimit']?.value.token_bucket, {max_tokens: 100, tokens_per_fill: 100, fill_interval: '1s'})
    assert.doesNotMatch(result.stderr, /shared gateway/)
  })

  it('--hpa, --pdb and a gateway-wide --rate-limit need --gateway-wide (exit 2 naming it), and are warned about with it', async () => {
    for (const extra of [['--hpa', 'min=2,max=10,cpu=70'], ['--pdb', 'min-available=1']]) {
      const refused = await run(['shop', '--host', 'shop.example.com', '--service', 'httpbin', ...extra, '--dry-run=client'], noCluster)
      assert.equal(refused.exitCode, 2, refused.stderr)
      assert.match(refused.stderr, new RegExp(`${extra[0]} changes the shared gateway workload.*--gateway-wide`))
    }
    const bare = await run(['ingress', '--rate-limit', '100/s', '--dry-run=client'], noCluster)
    assert.equal(bare.exitCode, 2, bare.stderr)
    assert.match(bare.stderr, /--rate-limit without --host limits every host of the shared gateway.*--gateway-wide/)
    const chosen = await run(['shop', '--host', 'shop.example.com', '--service', 'httpbin', '--hpa', 'min=2,max=10,cpu=70', '--gateway-wide', '--dry-run=client', '-o', 'yaml'], noCluster)
    assert.equal(chosen.exitCode, 0, chosen.stderr)
    assert.match(chosen.stderr, /Warning: --hpa: changes the shared gateway workload istio-system\/istio-ingressgateway: every Gateway on it is affected, not only shop/)
  })

  it('--rate-limit 0/s is refused', async () => {
    const zero = await run(['shop', '--host', 'shop.example.com', '--service', 'httpbin', '--rate-limit', '0/s', '--dry-run=client'], noCluster)
    assert.equal(zero.exitCode, 2, zero.stderr)
    assert.match(zero.stderr, /--rate-limit 0\/s/)
  })
})

describe('scaffold input errors keep the exit-code contract (2, naming the file line or flag)', () => {
  const dir = useTempDir('gw-scaffold-input-')

  it('a YAML alias bomb names the file and line', async () => {
    const bomb = ['name: bomb', 'a: &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdefghi'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdefghi'[i]}`).join(', ')}]`), 'gateway: {hosts: [*i]}'].join('\n')
    const file = path.join(dir(), 'bomb.yaml')
    await writeFile(file, bomb)
    const result = await run(['-f', file])
    assert.equal(result.exitCode, 2, result.stderr)
    assert.match(result.stderr, new RegExp(`${file.replaceAll('/', '\\/')}:\\d+: `))
    assert.match(result.stderr, /alias/)
  })

  it('a multi-document spec says so in our words', async () => {
    const file = path.join(dir(), 'two-docs.yaml')
    await writeFile(file, 'name: one\ngateway: {hosts: [a.example.com]}\n---\nname: two\n')
    const result = await run(['-f', file])
    assert.equal(result.exitCode, 2, result.stderr)
    assert.match(result.stderr, /two-docs\.yaml:3: a spec file holds one YAML document/)
    assert.doesNotMatch(result.stderr, /parseAllDocuments/)
  })

  it('an endless or huge input file is refused without reading it all', async () => {
    const result = await run(['-f', '/dev/zero'])
    assert.equal(result.exitCode, 2, result.stderr)
    assert.match(result.stderr, /-f \/dev\/zero: larger than 1 MiB/)
  })

  it('--out-dir pointing at a file is exit 2 naming the flag', async () => {
    const file = path.join(dir(), 'not-a-folder')
    await writeFile(file, 'x')
    const result = await run(['web', '--host', 'web.example.com', '--service', 'httpbin', '--dry-run=client', '--out-dir', file])
    assert.equal(result.exitCode, 2, result.stderr)
    assert.match(result.stderr, /--out-dir .*not-a-folder: exists and is not a folder/)
  })
})
