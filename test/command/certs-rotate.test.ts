import assert from 'node:assert/strict'
import {X509Certificate} from 'node:crypto'
import path from 'node:path'
import {describe, it} from 'node:test'
import CertsCreate from '../../commands/certs/create.ts'
import CertsRotate from '../../commands/certs/rotate.ts'
import type {RotateResult} from '../../src/certs/rotate.ts'
import {FakeKube, gatewayPod} from '../helpers/fake-kube.ts'
import {fakeContext, runCommand} from '../helpers/fake-context.ts'
import {useTempDir} from '../helpers/temp-dir.ts'

type Secret = {metadata: {resourceVersion?: string}; data: Record<string, string>}
const pem = (secret: Secret | undefined, field: string) => Buffer.from(secret?.data[field] ?? '', 'base64').toString()

describe('certs rotate (fake cluster)', () => {
  const tempDir = useTempDir('gw-certs-rotate-')

  it('re-issues from the same CA with the same SANs and key type, through a resourceVersion-guarded update', async () => {
    const kube = new FakeKube([gatewayPod()])
    const created = await runCommand(CertsCreate, ['web', '--host', 'web.example.com', '--host', '10.1.2.3', '--mutual', '--key-type', 'rsa-2048', '--days', '90'], fakeContext({kube}))
    assert.equal(created.exitCode, 0)
    const before = kube.find<Secret & {apiVersion: string; kind: string}>('Secret', 'istio-system', 'web')
    const caBefore = kube.find<Secret & {apiVersion: string; kind: string}>('Secret', 'istio-system', 'web-ca')
    const oldCert = new X509Certificate(pem(before, 'tls.crt'))
    kube.calls.length = 0

    const ctx = fakeContext({kube})
    const cmd = await runCommand(CertsRotate, ['web', '-o', 'json'], ctx)
    assert.equal(cmd.exitCode, 0, ctx.io.err())
    const replace = kube.writes.find((c) => c.verb === 'replace')
    assert.equal(replace?.body?.metadata.resourceVersion, before?.metadata.resourceVersion, 'the PUT carries the resourceVersion it read')
    assert.deepEqual(kube.writes.map((c) => c.verb), ['update', 'replace'], 'never deleted and re-created')

    const after = kube.find<Secret & {apiVersion: string; kind: string}>('Secret', 'istio-system', 'web')
    const newCert = new X509Certificate(pem(after, 'tls.crt'))
    const caCert = new X509Certificate(pem(caBefore, 'tls.crt'))
    assert.notEqual(newCert.serialNumber, oldCert.serialNumber)
    assert.equal(newCert.subjectAltName, oldCert.subjectAltName)
    assert.ok(newCert.checkIssued(caCert) && newCert.verify(caCert.publicKey), 'signed by the same CA')
    assert.equal(pem(after, 'ca.crt'), pem(before, 'ca.crt'), 'ca.crt kept')
    assert.notEqual(pem(after, 'tls.key'), pem(before, 'tls.key'), 'a new key')
    assert.equal(newCert.publicKey.asymmetricKeyDetails?.modulusLength, 2048)
    assert.deepEqual(kube.find('Secret', 'istio-system', 'web-ca'), caBefore, 'the CA secret is untouched')

    const result = JSON.parse(ctx.io.out()) as RotateResult
    assert.deepEqual(Object.keys(result), ['credential', 'namespace', 'namespaceSource', 'dryRun', 'hosts', 'keyType', 'ca', 'old', 'new', 'warnings'], 'pinned -o json shape')
    assert.deepEqual(Object.keys(result.new), ['serial', 'notBefore', 'notAfter'])
    assert.equal(result.old.serial, oldCert.serialNumber.toLowerCase())
    assert.equal(result.new.serial, newCert.serialNumber.toLowerCase())
    assert.deepEqual(result.hosts, ['web.example.com', '10.1.2.3'])
    assert.equal(result.keyType, 'rsa-2048')
    const lifetimeDays = (Date.parse(result.new.notAfter) - Date.parse(result.new.notBefore)) / 86_400_000
    assert.ok(Math.abs(lifetimeDays - 90) < 0.01, `same lifetime as before (90 days), got ${lifetimeDays}`)
  })

  it('retries on a concurrent change instead of overwriting it', async () => {
    const kube = new FakeKube([gatewayPod()])
    await runCommand(CertsCreate, ['busy', '--host', 'busy.example.com'], fakeContext({kube}))
    const realReplace = kube.replace.bind(kube)
    let conflicts = 0
    kube.replace = async (object, options) => {
      if (conflicts++ === 0) {
        // Someone else writes between our read and our write.
        const current = kube.find('Secret', 'istio-system', 'busy')
        if (current) kube.add({...current, metadata: {...current.metadata, annotations: {...current.metadata.annotations, touched: 'yes'}}})
      }
      return realReplace(object, options)
    }
    const ctx = fakeContext({kube})
    const cmd = await runCommand(CertsRotate, ['busy'], ctx)
    assert.equal(cmd.exitCode, 0, ctx.io.err())
    assert.equal(kube.find('Secret', 'istio-system', 'busy')?.metadata.annotations?.touched, 'yes', 'the concurrent change survives')
    assert.match(ctx.io.out(), /secret\/busy rotated in istio-system/)
  })

  it('a credential made from CA files needs --ca-cert/--ca-key to rotate (exit 2), and rotates with them', async () => {
    const outDir = path.join(tempDir(), 'ca')
    await runCommand(CertsCreate, ['seed', '--host', 'seed.example.com', '--out-dir', outDir], fakeContext({kube: new FakeKube([gatewayPod()])}))
    const kube = new FakeKube([gatewayPod()])
    const caFlags = ['--ca-cert', path.join(outDir, 'ca.crt'), '--ca-key', path.join(outDir, 'ca.key')]
    await runCommand(CertsCreate, ['ext', '--host', 'ext.example.com', ...caFlags], fakeContext({kube}))
    const without = fakeContext({kube})
    assert.equal((await runCommand(CertsRotate, ['ext'], without)).exitCode, 2)
    assert.match(without.io.err(), /its CA was given as files.*--ca-cert and --ca-key/)
    const withCa = fakeContext({kube})
    assert.equal((await runCommand(CertsRotate, ['ext', ...caFlags, '--days', '30'], withCa)).exitCode, 0, withCa.io.err())
  })

  it('refuses a CA that did not sign the current certificate', async () => {
    const outDir = path.join(tempDir(), 'other-ca')
    await runCommand(CertsCreate, ['other', '--host', 'other.example.com', '--out-dir', outDir], fakeContext({kube: new FakeKube([gatewayPod()])}))
    const kube = new FakeKube([gatewayPod()])
    await runCommand(CertsCreate, ['mine', '--host', 'mine.example.com'], fakeContext({kube}))
    const ctx = fakeContext({kube})
    const cmd = await runCommand(CertsRotate, ['mine', '--ca-cert', path.join(outDir, 'ca.crt'), '--ca-key', path.join(outDir, 'ca.key')], ctx)
    assert.equal(cmd.exitCode, 2)
    assert.match(ctx.io.err(), /was not issued by the CA/)
    assert.deepEqual(kube.writes.filter((c) => c.ref.name === 'mine' && c.verb === 'replace').length, 0)
  })
})
