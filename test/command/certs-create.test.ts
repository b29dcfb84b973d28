import assert from 'node:assert/strict'
import {readdir, stat, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {useTempDir} from '../helpers/temp-dir.ts'
import {describe, it} from 'node:test'
import {parseAllDocuments} from 'yaml'
import CertsCreate from '../../commands/certs/create.ts'
import {FakeKube, gatewayPod} from '../helpers/fake-kube.ts'
import {fakeContext, runCommand} from '../helpers/fake-context.ts'

type Secret = {metadata: {name: string; namespace: string; labels: Record<string, string>; annotations?: Record<string, string>}; type: string; data: Record<string, string>}

const decode = (secret: Secret | undefined, field: string) => Buffer.from(secret?.data[field] ?? '', 'base64').toString()

describe('certs create (fake cluster)', () => {
  const tempDir = useTempDir('gw-certs-create-')

  it('writes the credential, its CA and client secrets into the gateway workload namespace', async () => {
    const kube = new FakeKube([gatewayPod('gateways', 'ingress-1')])
    const ctx = fakeContext({kube})
    const cmd = await runCommand(CertsCreate, ['httpbin-credential', '--host', 'httpbin.example.com', '--mutual', '--client', 'alice'], ctx)
    assert.equal(cmd.exitCode, 0, ctx.io.err())
    const server = kube.find<Secret & {apiVersion: string; kind: string}>('Secret', 'gateways', 'httpbin-credential')
    assert.ok(server, 'credential secret in the workload namespace "gateways"')
    assert.equal(server.type, 'kubernetes.io/tls')
    assert.deepEqual(Object.keys(server.data).sort(), ['ca.crt', 'tls.crt', 'tls.key'])
    assert.equal(server.metadata.labels['app.kubernetes.io/managed-by'], 'kubectl-gw')
    assert.equal(server.metadata.annotations?.['kubectl-gw.io/ca-secret'], 'httpbin-credential-ca')
    const ca = kube.find<Secret & {apiVersion: string; kind: string}>('Secret', 'gateways', 'httpbin-credential-ca')
    assert.equal(decode(ca, 'tls.crt'), decode(server, 'ca.crt'), 'the stored CA is the one in ca.crt')
    assert.ok(kube.find('Secret', 'gateways', 'httpbin-credential-client-alice'))
    assert.equal(kube.find('Secret', 'istio-system', 'httpbin-credential'), undefined)
    assert.match(ctx.io.out(), /secret\/httpbin-credential created in gateways/)
    assert.doesNotMatch(ctx.io.out(), /PRIVATE KEY/)
  })

  it('with --separate-ca-secret writes NAME-cacert with a cacert key instead of ca.crt', async () => {
    const kube = new FakeKube([gatewayPod()])
    const ctx = fakeContext({kube})
    const cmd = await runCommand(CertsCreate, ['mtls', '--host', 'secure.example.com', '--mutual', '--separate-ca-secret'], ctx)
    assert.equal(cmd.exitCode, 0, ctx.io.err())
    const server = kube.find<Secret & {apiVersion: string; kind: string}>('Secret', 'istio-system', 'mtls')
    assert.deepEqual(Object.keys(server?.data ?? {}).sort(), ['tls.crt', 'tls.key'])
    const cacert = kube.find<Secret & {apiVersion: string; kind: string}>('Secret', 'istio-system', 'mtls-cacert')
    assert.match(decode(cacert, 'cacert'), /BEGIN CERTIFICATE/)
  })

  it('refuses to overwrite an existing secret without --overwrite, and writes nothing', async () => {
    const existing = {apiVersion: 'v1', kind: 'Secret', metadata: {name: 'taken', namespace: 'istio-system'}, type: 'kubernetes.io/tls', data: {'tls.crt': 'eA=='}}
    const kube = new FakeKube([gatewayPod(), existing])
    const ctx = fakeContext({kube})
    const cmd = await runCommand(CertsCreate, ['taken', '--host', 'a.example.com'], ctx)
    assert.equal(cmd.exitCode, 1)
    assert.match(ctx.io.err(), /refusing to overwrite existing secret istio-system\/taken.*--overwrite/)
    assert.deepEqual(kube.writes, [])
  })

  it('--overwrite replaces with the resourceVersion it read (guarded), and creates the rest', async () => {
    const existing = {apiVersion: 'v1', kind: 'Secret', metadata: {name: 'taken', namespace: 'istio-system'}, type: 'kubernetes.io/tls', data: {'tls.crt': 'eA=='}}
    const kube = new FakeKube([gatewayPod(), existing])
    const version = kube.find('Secret', 'istio-system', 'taken')?.metadata.resourceVersion
    const ctx = fakeContext({kube})
    const cmd = await runCommand(CertsCreate, ['taken', '--host', 'a.example.com', '--overwrite'], ctx)
    assert.equal(cmd.exitCode, 0, ctx.io.err())
    const replace = kube.writes.find((c) => c.verb === 'replace')
    assert.equal(replace?.ref.name, 'taken')
    assert.equal(replace?.body?.metadata.resourceVersion, version)
    assert.deepEqual(kube.writes.filter((c) => c.verb === 'create').map((c) => c.ref.name), ['taken-ca'])
  })

  it('-n overrides the detected namespace with a warning that Istio will not find it there', async () => {
    const kube = new FakeKube([gatewayPod()])
    const ctx = fakeContext({kube})
    const cmd = await runCommand(CertsCreate, ['cred', '--host', 'a.example.com', '-n', 'default'], ctx)
    assert.equal(cmd.exitCode, 0)
    assert.match(ctx.io.err(), /Warning: the gateway workload \(istio=ingressgateway\) runs in namespace "istio-system", not "default"/)
    assert.ok(kube.find('Secret', 'default', 'cred'))
  })

  it('fails with exit 2 naming --selector when no gateway pod matches and no -n is given', async () => {
    const kube = new FakeKube([])
    const ctx = fakeContext({kube})
    const cmd = await runCommand(CertsCreate, ['cred', '--host', 'a.example.com'], ctx)
    assert.equal(cmd.exitCode, 2)
    assert.match(ctx.io.err(), /no gateway pods match istio=ingressgateway.*--selector/)
    assert.deepEqual(kube.writes, [])
  })

  it('--dry-run=client -o yaml prints the Secrets with keys redacted, contacts no cluster and writes no files', async () => {
    const kube = new FakeKube([gatewayPod()])
    const ctx = fakeContext({kube})
    const outDir = path.join(tempDir(), 'dry')
    const cmd = await runCommand(CertsCreate, ['dry', '--host', 'a.example.com', '--mutual', '--dry-run=client', '-o', 'yaml', '--out-dir', outDir], ctx)
    assert.equal(cmd.exitCode, 0, ctx.io.err())
    assert.deepEqual(kube.calls, [], 'no request at all')
    await assert.rejects(stat(outDir))
    const docs = parseAllDocuments(ctx.io.out()).map((d) => d.toJS() as Secret)
    assert.deepEqual(docs.map((d) => d.metadata.name), ['dry-ca', 'dry', 'dry-client'])
    assert.ok(docs.every((d) => d.metadata.namespace === 'istio-system'), 'documented offline default namespace')
    for (const doc of docs) assert.match(doc.data['tls.key'] as string, /REDACTED.*--show-secrets/)
    assert.doesNotMatch(ctx.io.out(), /PRIVATE KEY/)
  })

  it('--show-secrets prints the private keys; -o json is a v1 List', async () => {
    const ctx = fakeContext({kube: new FakeKube()})
    const cmd = await runCommand(CertsCreate, ['shown', '--host', 'a.example.com', '--dry-run=client', '-o', 'json', '--show-secrets'], ctx)
    assert.equal(cmd.exitCode, 0, ctx.io.err())
    const list = JSON.parse(ctx.io.out()) as {kind: string; items: Secret[]}
    assert.equal(list.kind, 'List')
    assert.match(decode(list.items.find((i) => i.metadata.name === 'shown'), 'tls.key'), /BEGIN PRIVATE KEY/)
  })

  it('--dry-run=server sends every write with dryRun and stores nothing', async () => {
    const kube = new FakeKube([gatewayPod()])
    const ctx = fakeContext({kube})
    const cmd = await runCommand(CertsCreate, ['srv', '--host', 'a.example.com', '--dry-run=server'], ctx)
    assert.equal(cmd.exitCode, 0, ctx.io.err())
    assert.ok(kube.writes.length === 2 && kube.writes.every((c) => c.dryRun === true))
    assert.equal(kube.find('Secret', 'istio-system', 'srv'), undefined)
  })

  it('--out-dir writes PEM files, keys 0600, and refuses to overwrite them', async () => {
    const outDir = path.join(tempDir(), 'files')
    const ctx = fakeContext({kube: new FakeKube([gatewayPod()])})
    const cmd = await runCommand(CertsCreate, ['files', '--host', 'a.example.com', '--mutual', '--client', 'bob', '--out-dir', outDir], ctx)
    assert.equal(cmd.exitCode, 0, ctx.io.err())
    assert.deepEqual((await readdir(outDir)).sort(), ['ca.crt', 'ca.key', 'client-bob.crt', 'client-bob.key', 'tls.crt', 'tls.key'])
    for (const key of ['ca.key', 'tls.key', 'client-bob.key']) assert.equal((await stat(path.join(outDir, key))).mode & 0o777, 0o600, key)
    assert.equal((await stat(path.join(outDir, 'tls.crt'))).mode & 0o777, 0o644)

    const again = fakeContext({kube: new FakeKube([gatewayPod()])})
    const second = await runCommand(CertsCreate, ['files2', '--host', 'a.example.com', '--out-dir', outDir], again)
    assert.equal(second.exitCode, 1)
    assert.match(again.io.err(), /refusing to overwrite .*tls\.crt/)
    assert.deepEqual(again.kube.writes, [], 'nothing written to the cluster either')
  })

  const badFlags: [string, string[], RegExp][] = [
    ['unknown key type', ['--key-type', 'dsa'], /--key-type/],
    ['zero days', ['--days', '0'], /--days/],
    ['non-numeric days', ['--days', 'ten'], /--days/],
    ['--client without --mutual', ['--client', 'x'], /--client.*--mutual|--mutual.*--client/],
    ['bad host', ['--host', 'bad_host!'], /--host "bad_host!"/],
    ['partial wildcard', ['--host', 'a*.example.com'], /--host "a\*\.example\.com"/],
    ['--ca-cert without --ca-key', ['--ca-cert', 'x.pem'], /--ca-key|--ca-cert/],
    ['bad --selector', ['--selector', 'nonsense'], /--selector/],
  ]
  for (const [title, extra, message] of badFlags) {
    it(`exits 2 naming the flag for ${title}, writing nothing`, async () => {
      const kube = new FakeKube([gatewayPod()])
      const ctx = fakeContext({kube})
      const cmd = await runCommand(CertsCreate, ['cred', '--host', 'ok.example.com', ...extra], ctx)
      assert.equal(cmd.exitCode, 2, ctx.io.err())
      assert.match(ctx.io.err(), message)
      assert.equal(ctx.io.err().trim().split('\n').length, 1, 'one line, no stack trace')
      assert.deepEqual(kube.writes, [])
    })
  }

  it('exits 2 naming the file for a garbage --ca-cert, writing nothing', async () => {
    const certFile = path.join(tempDir(), 'garbage.crt')
    const keyFile = path.join(tempDir(), 'garbage.key')
    await writeFile(certFile, 'this is not PEM\n')
    await writeFile(keyFile, '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n')
    const kube = new FakeKube([gatewayPod()])
    const ctx = fakeContext({kube})
    const cmd = await runCommand(CertsCreate, ['cred', '--host', 'a.example.com', '--ca-cert', certFile, '--ca-key', keyFile], ctx)
    assert.equal(cmd.exitCode, 2)
    assert.match(ctx.io.err(), new RegExp(`--ca-cert ${certFile.replaceAll('/', '\\/')}: not a PEM certificate`))
    assert.deepEqual(kube.writes, [])
  })

  it('signs with a CA given as files, records that its key stays outside the cluster', async () => {
    const outDir = path.join(tempDir(), 'ca-src')
    // A CA made by the tool itself, kept as files.
    const seeded = await runCommand(CertsCreate, ['seed', '--host', 'seed.example.com', '--out-dir', outDir], fakeContext({kube: new FakeKube([gatewayPod()])}))
    assert.equal(seeded.exitCode, 0)
    const kube = new FakeKube([gatewayPod()])
    const ctx = fakeContext({kube})
    const cmd = await runCommand(CertsCreate, ['from-files', '--host', 'b.example.com', '--ca-cert', path.join(outDir, 'ca.crt'), '--ca-key', path.join(outDir, 'ca.key')], ctx)
    assert.equal(cmd.exitCode, 0, ctx.io.err())
    const secret = kube.find<Secret & {apiVersion: string; kind: string}>('Secret', 'istio-system', 'from-files')
    assert.equal(secret?.metadata.annotations?.['kubectl-gw.io/ca-source'], 'external')
    assert.equal(kube.find('Secret', 'istio-system', 'from-files-ca'), undefined, 'a CA key given as files is not copied into the cluster')
  })

  it('--ca-secret signs with a CA already in the cluster (another credential\'s NAME-ca) and records it for rotate', async () => {
    const kube = new FakeKube([gatewayPod()])
    assert.equal((await runCommand(CertsCreate, ['first', '--host', 'one.example.com', '--mutual'], fakeContext({kube}))).exitCode, 0)
    const ctx = fakeContext({kube})
    const cmd = await runCommand(CertsCreate, ['second', '--host', 'two.example.com', '--mutual', '--ca-secret', 'first-ca'], ctx)
    assert.equal(cmd.exitCode, 0, ctx.io.err())
    const first = kube.find<Secret & {apiVersion: string; kind: string}>('Secret', 'istio-system', 'first')
    const second = kube.find<Secret & {apiVersion: string; kind: string}>('Secret', 'istio-system', 'second')
    assert.equal(decode(second, 'ca.crt'), decode(first, 'ca.crt'), 'one CA for both: a client of one is a client of the other')
    assert.equal(second?.metadata.annotations?.['kubectl-gw.io/ca-secret'], 'first-ca')
    assert.equal(kube.find('Secret', 'istio-system', 'second-ca'), undefined)
    const missing = fakeContext({kube})
    assert.equal((await runCommand(CertsCreate, ['third', '--host', 'x.example.com', '--ca-secret', 'nope'], missing)).exitCode, 2)
    assert.match(missing.io.err(), /--ca-secret nope: secret not found in namespace "istio-system"/)
  })
})
