import assert from 'node:assert/strict'
import {X509Certificate} from 'node:crypto'
import {readdir, stat, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {describe, it} from 'node:test'
import {parseAllDocuments} from 'yaml'
import Scaffold from '../../commands/scaffold.ts'
import type {Secret} from '../../src/certs/secrets.ts'
import type {KubeClient} from '../../src/kube/client.ts'
import type {KubeObject} from '../../src/kube/objects.ts'
import {istioCluster, type FakeKube} from '../helpers/fake-kube.ts'
import {fakeContext, runCommand} from '../helpers/fake-context.ts'
import {useTempDir} from '../helpers/temp-dir.ts'

async function run(argv: string[], kube: KubeClient = istioCluster()) {
  return runCommand(Scaffold, argv, fakeContext({kube, namespace: 'default'}))
}

function pem(secret: Secret | undefined, field: string): string {
  const value = secret?.data?.[field]
  assert.ok(value, `secret ${secret?.metadata.name} has ${field}`)
  return Buffer.from(value, 'base64').toString('utf8')
}

function secretIn(kube: FakeKube, namespace: string, name: string): Secret | undefined {
  return kube.find<Secret>('Secret', namespace, name)
}

const web = ['web', '--host', 'web.example.com', '--host', '*.apps.example.com', '--service', 'httpbin', '--tls', 'simple', '--generate-cert']

describe('kubectl gw scaffold --generate-cert', () => {
  const tempDir = useTempDir('gw-scaffold-cert-')

  it('issues <NAME>-credential for every host into the gateway workload namespace, not the Gateway\'s; a second run reuses it and changes nothing', async () => {
    const kube = istioCluster()
    const first = await run(web, kube)
    assert.equal(first.exitCode, 0, first.stderr)
    assert.equal(
      first.stdout,
      'secret/web-credential-ca created\nsecret/web-credential created\ngateway.networking.istio.io/web-gateway created\nvirtualservice.networking.istio.io/web created\n',
    )
    assert.equal(first.stderr, 'Warning: --host *.apps.example.com: wildcard host "*.apps.example.com" accepts every matching name: requests for hosts no VirtualService serves get 404\n', 'no "does not exist yet" warning')
    assert.equal(secretIn(kube, 'default', 'web-credential'), undefined, 'not next to the Gateway')
    const server = secretIn(kube, 'istio-system', 'web-credential')
    assert.equal(server?.type, 'kubernetes.io/tls')
    assert.equal(server?.data?.['ca.crt'], undefined, 'SIMPLE carries no client CA')
    const cert = new X509Certificate(pem(server, 'tls.crt'))
    const ca = new X509Certificate(pem(secretIn(kube, 'istio-system', 'web-credential-ca'), 'tls.crt'))
    assert.equal(cert.subjectAltName, 'DNS:web.example.com, DNS:*.apps.example.com')
    assert.ok(cert.checkIssued(ca) && cert.verify(ca.publicKey), 'signed by the CA kept in web-credential-ca')
    assert.ok(cert.checkHost('shop.apps.example.com'), 'the wildcard SAN covers a subdomain')
    assert.ok(cert.checkPrivateKey((await import('node:crypto')).createPrivateKey(pem(server, 'tls.key'))))
    const gateway = kube.find<KubeObject & {spec: {servers: {tls?: {mode: string; credentialName: string}}[]}}>('Gateway', 'default', 'web-gateway')
    assert.deepEqual(gateway?.spec.servers[0]?.tls, {mode: 'SIMPLE', credentialName: 'web-credential'})

    const stored = kube.storedWrites().length
    const second = await run(web, kube)
    assert.equal(second.exitCode, 0, second.stderr)
    assert.equal(second.stdout, 'gateway.networking.istio.io/web-gateway unchanged\nvirtualservice.networking.istio.io/web unchanged\n')
    assert.match(second.stderr, /^Note: secret istio-system\/web-credential exists: reused, not regenerated \(renew it with kubectl gw certs rotate web-credential -n istio-system\)$/m)
    assert.equal(kube.storedWrites().filter((o) => o.kind === 'Secret').length, 2, 'no secret written again')
    assert.equal(kube.storedWrites().length, stored + 2, 'only the unchanged Gateway and VirtualService were applied')
    assert.deepEqual(secretIn(kube, 'istio-system', 'web-credential'), server, 'the same certificate and resourceVersion')
  })

  it('MUTUAL gets ca.crt (the CA that signed the client certificate), with --credential naming the secret', async () => {
    const kube = istioCluster()
    const result = await run(['secure', '--host', 'secure.example.com', '--service', 'httpbin', '--tls', 'mutual', '--credential', 'secure-tls', '--generate-cert', '-o', 'json'], kube)
    assert.equal(result.exitCode, 0, result.stderr)
    const json = JSON.parse(result.stdout) as {objects: {kind: string; name: string; namespace: string}[]; credentials: unknown[]}
    assert.deepEqual(json.objects.filter((o) => o.kind === 'Secret').map((o) => `${o.namespace}/${o.name}`), ['istio-system/secure-tls-ca', 'istio-system/secure-tls', 'istio-system/secure-tls-client'])
    assert.deepEqual(json.credentials, [{namespace: 'istio-system', name: 'secure-tls', action: 'generated', hosts: ['secure.example.com'], mutual: true}])
    const server = secretIn(kube, 'istio-system', 'secure-tls')
    const ca = new X509Certificate(pem(server, 'ca.crt'))
    assert.equal(pem(server, 'ca.crt'), pem(secretIn(kube, 'istio-system', 'secure-tls-ca'), 'tls.crt'))
    const client = new X509Certificate(pem(secretIn(kube, 'istio-system', 'secure-tls-client'), 'tls.crt'))
    assert.ok(client.checkIssued(ca) && client.verify(ca.publicKey), 'clients are verified against ca.crt')
    assert.doesNotMatch(result.stdout, /PRIVATE KEY/, '-o json hides private keys')
    assert.match(result.stdout, /REDACTED \(private key hidden; pass --show-secrets to print it\)/)
  })

  it('an existing credential secret is reused, never regenerated, wherever it came from', async () => {
    const kube = istioCluster()
    const before = secretIn(kube, 'istio-system', 'httpbin-credential')
    const result = await run(['httpbin', '--host', 'httpbin.example.com', '--service', 'httpbin', '--tls', 'simple', '--credential', 'httpbin-credential', '--generate-cert'], kube)
    assert.equal(result.exitCode, 0, result.stderr)
    assert.doesNotMatch(result.stdout, /secret/)
    assert.match(result.stderr, /Note: secret istio-system\/httpbin-credential exists: reused, not regenerated/)
    assert.deepEqual(secretIn(kube, 'istio-system', 'httpbin-credential'), before)
  })

  it('-o yaml is what kubectl apply -f - accepts: secrets with private keys are left out with a note unless --show-secrets; a client dry run asks no cluster and uses istio-system', async () => {
    const noCluster = new Proxy({} as KubeClient, {get: () => () => Promise.reject(new Error('no cluster in a client dry run'))})
    const hidden = await run([...web, '--dry-run=client', '-o', 'yaml'], noCluster)
    assert.equal(hidden.exitCode, 0, hidden.stderr)
    const objects = parseAllDocuments(hidden.stdout).map((d) => d.toJS() as Secret)
    assert.deepEqual(objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`), ['Gateway default/web-gateway', 'VirtualService default/web'])
    assert.doesNotMatch(hidden.stdout, /PRIVATE KEY|REDACTED/)
    assert.match(hidden.stderr, /^Note: -o yaml leaves out 2 secrets with private keys \(istio-system\/web-credential-ca, istio-system\/web-credential\); pass --show-secrets to include them$/m)
    const shown = await run([...web, '--dry-run=client', '-o', 'yaml', '--show-secrets'], noCluster)
    const secret = parseAllDocuments(shown.stdout)[1]?.toJS() as Secret
    assert.match(Buffer.from(secret.data?.['tls.key'] ?? '', 'base64').toString(), /^-----BEGIN PRIVATE KEY-----/)
    assert.match(Buffer.from(secret.data?.['tls.crt'] ?? '', 'base64').toString(), /^-----BEGIN CERTIFICATE-----/)
    // Every data value is base64, as the API server demands of a Secret.
    for (const doc of parseAllDocuments(shown.stdout).map((d) => d.toJS() as Secret)) for (const value of Object.values(doc.data ?? {})) assert.match(value, /^[A-Za-z0-9+/]+=*$/)
  })

  it('--dry-run=server validates the secrets with the rest and stores nothing; --diff shows them without keys', async () => {
    const kube = istioCluster()
    const dry = await run([...web, '--dry-run=server'], kube)
    assert.equal(dry.exitCode, 0, dry.stderr)
    assert.match(dry.stdout, /^secret\/web-credential created \(server dry run\)$/m)
    assert.deepEqual(kube.storedWrites(), [])
    assert.deepEqual(kube.writes.map((w) => `${w.ref.kind}/${w.ref.name} ${w.dryRun ? 'dry run' : 'STORED'}`), [
      'Secret/web-credential-ca dry run',
      'Secret/web-credential dry run',
      'Gateway/web-gateway dry run',
      'VirtualService/web dry run',
    ])
    assert.equal(secretIn(kube, 'istio-system', 'web-credential'), undefined)
    const diff = await run([...web, '--diff'], kube)
    assert.equal(diff.exitCode, 1, `new objects are differences: ${diff.stderr}`)
    assert.match(diff.stdout, /^\+\+\+ scaffold Secret istio-system\/web-credential$/m)
    assert.match(diff.stdout, /^\+\s+tls\.key: REDACTED/m)
    assert.doesNotMatch(diff.stdout, /PRIVATE KEY|LS0tLS1CRUdJTiBQUklWQVRF/)
    assert.deepEqual(kube.storedWrites(), [])
  })

  it('--out-dir writes the secrets 0600 beside the other objects', async () => {
    const dir = path.join(tempDir(), 'out')
    const result = await run([...web, '--dry-run=client', '--out-dir', dir])
    assert.equal(result.exitCode, 0, result.stderr)
    assert.deepEqual((await readdir(dir)).sort(), ['gateway-web-gateway.yaml', 'secret-web-credential-ca.yaml', 'secret-web-credential.yaml', 'virtualservice-web.yaml'])
    assert.equal((await stat(path.join(dir, 'secret-web-credential.yaml'))).mode & 0o777, 0o600)
    assert.equal((await stat(path.join(dir, 'secret-web-credential-ca.yaml'))).mode & 0o777, 0o600)
    assert.equal((await stat(path.join(dir, 'gateway-web-gateway.yaml'))).mode & 0o777, 0o644)
  })

  it('bad combinations exit 2 naming the flag or line, and nothing is written', async () => {
    const base = ['web', '--host', 'web.example.com', '--service', 'httpbin', '--generate-cert']
    for (const [argv, pattern] of [
      [base, /^error: --generate-cert needs --tls simple or --tls mutual \(got --tls none\)/],
      [[...base, '--tls', 'none'], /--generate-cert needs --tls simple or --tls mutual \(got --tls none\)/],
      [[...base, '--tls', 'passthrough'], /--generate-cert needs --tls simple or --tls mutual \(got --tls passthrough\)/],
      [['cnn', '--egress', 'edition.cnn.com', '--tls', 'simple', '--generate-cert'], /--generate-cert issues the ingress Gateway's certificate: it needs --host/],
      [[...base, '--tls', 'simple', '--route', '/shop=nope:80'], /--route \/shop=nope:80: Service default\/nope not found/],
    ] as [string[], RegExp][]) {
      const kube = istioCluster()
      const result = await run(argv, kube)
      assert.equal(result.exitCode, 2, argv.join(' '))
      assert.match(result.stderr, pattern)
      assert.deepEqual(kube.writes, [], argv.join(' '))
    }
    const file = path.join(tempDir(), 'plain.yaml')
    await writeFile(file, 'name: plain\ngateway:\n  hosts: [plain.example.com]\n  generateCert: true\nvirtualServices:\n  - routes:\n      - to: httpbin\n')
    const kube = istioCluster()
    const spec = await run(['-f', file], kube)
    assert.equal(spec.exitCode, 2)
    assert.match(spec.stderr, new RegExp(`${file}:4: a certificate is generated only for TLS SIMPLE or MUTUAL, and TLS is none`))
    assert.deepEqual(kube.writes, [])
  })

  it('with --api gateway-api the credential goes to the Gateway\'s namespace, where Istio deploys its gateway pods', async () => {
    const result = await run(['shop', '--host', 'shop.example.com', '--service', 'httpbin.default:8000', '--api', 'gateway-api', '--tls', 'simple', '--generate-cert', '-n', 'shop', '--dry-run=server', '-o', 'json'])
    assert.equal(result.exitCode, 0, result.stderr)
    const json = JSON.parse(result.stdout) as {objects: {kind: string; namespace: string; name: string}[]}
    assert.deepEqual(json.objects.map((o) => `${o.kind} ${o.namespace}/${o.name}`).slice(0, 3), ['Secret shop/shop-credential-ca', 'Secret shop/shop-credential', 'Gateway shop/shop-gateway'])
  })

  it('the spec file: generateCert with the default credential name', async () => {
    const file = path.join(tempDir(), 'shop.yaml')
    await writeFile(file, 'name: shop\ngateway:\n  hosts: [shop.example.com]\n  tls: simple\n  generateCert: true\nvirtualServices:\n  - routes:\n      - to: httpbin\n')
    const kube = istioCluster()
    const result = await run(['-f', file], kube)
    assert.equal(result.exitCode, 0, result.stderr)
    assert.match(result.stdout, /^secret\/shop-credential created$/m)
    assert.ok(secretIn(kube, 'istio-system', 'shop-credential'))
  })
})
