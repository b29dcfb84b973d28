import assert from 'node:assert/strict'
import {X509Certificate} from 'node:crypto'
import {writeFile} from 'node:fs/promises'
import path from 'node:path'
import {describe, it} from 'node:test'
import CertsCreate from '../../commands/certs/create.ts'
import CertsInspect from '../../commands/certs/inspect.ts'
import CertsRotate from '../../commands/certs/rotate.ts'
import {FakeKube, gatewayPod} from '../helpers/fake-kube.ts'
import {fakeContext, runCommand} from '../helpers/fake-context.ts'
import {useTempDir} from '../helpers/temp-dir.ts'

type Secret = {metadata: {resourceVersion?: string; annotations?: Record<string, string>}; data: Record<string, string>}
const pem = (secret: Secret | undefined, field: string) => Buffer.from(secret?.data[field] ?? '', 'base64').toString()
const secretIn = (kube: FakeKube, name: string) => kube.find<Secret & {apiVersion: string; kind: string}>('Secret', 'istio-system', name)

describe('certs: no half-written credential, no misleading exit code', () => {
  const tempDir = useTempDir('gw-certs-trust-')

  it('--overwrite that meets a 409 after replacing the CA retries the whole credential: the server certificate is issued by the stored CA', async () => {
    const kube = new FakeKube([gatewayPod()])
    assert.equal((await runCommand(CertsCreate, ['bank', '--host', 'bank.example.com', '--mutual'], fakeContext({kube}))).exitCode, 0)
    const realReplace = kube.replace.bind(kube)
    let interfered = false
    kube.replace = async (object, options) => {
      if (!interfered && object.metadata.name === 'bank') {
        interfered = true
        // Someone touches the server secret after our CA secret was replaced.
        const current = kube.find('Secret', 'istio-system', 'bank')!
        kube.add({...current, metadata: {...current.metadata, annotations: {...current.metadata.annotations, touched: 'yes'}}})
      }
      return realReplace(object, options)
    }
    const ctx = fakeContext({kube})
    const cmd = await runCommand(CertsCreate, ['bank', '--host', 'bank.example.com', '--mutual', '--overwrite'], ctx)
    assert.ok(interfered, 'the conflict happened')
    assert.equal(cmd.exitCode, 0, ctx.io.err())
    const ca = new X509Certificate(pem(secretIn(kube, 'bank-ca'), 'tls.crt'))
    const server = new X509Certificate(pem(secretIn(kube, 'bank'), 'tls.crt'))
    assert.ok(server.checkIssued(ca) && server.verify(ca.publicKey), 'the stored CA issued the stored server certificate')
    assert.equal(pem(secretIn(kube, 'bank'), 'ca.crt'), pem(secretIn(kube, 'bank-ca'), 'tls.crt'), 'ca.crt is the stored CA')
    const client = new X509Certificate(pem(secretIn(kube, 'bank-client'), 'tls.crt'))
    assert.ok(client.verify(ca.publicKey), 'the client certificate too')
  })

  it('without --overwrite, a secret someone creates between our check and our write leaves none of ours behind', async () => {
    const kube = new FakeKube([gatewayPod()])
    const realCreate = kube.create.bind(kube)
    kube.create = async (object, options) => {
      // Someone else creates the server secret just before we do.
      if (object.metadata.name === 'race' && !kube.find('Secret', 'istio-system', 'race')) await realCreate({apiVersion: 'v1', kind: 'Secret', metadata: {name: 'race', namespace: 'istio-system'}, data: {}})
      return realCreate(object, options)
    }
    const ctx = fakeContext({kube})
    const cmd = await runCommand(CertsCreate, ['race', '--host', 'race.example.com', '--mutual'], ctx)
    assert.notEqual(cmd.exitCode, 0)
    assert.match(ctx.io.err(), /already exists|refusing/)
    assert.equal(secretIn(kube, 'race-ca'), undefined, 'the CA secret we had created is removed again')
    assert.deepEqual(secretIn(kube, 'race')?.data, {}, 'theirs is untouched')
  })

  it('--out-dir that cannot be written is refused before anything reaches the cluster (exit 2, names the flag)', async () => {
    const file = path.join(tempDir(), 'a-file')
    await writeFile(file, 'x')
    for (const outDir of [file, path.join(file, 'below')]) {
      const kube = new FakeKube([gatewayPod()])
      const ctx = fakeContext({kube})
      const cmd = await runCommand(CertsCreate, ['web', '--host', 'web.example.com', '--out-dir', outDir], ctx)
      assert.equal(cmd.exitCode, 2, ctx.io.err())
      assert.match(ctx.io.err(), new RegExp(`--out-dir ${outDir.replaceAll('/', '\\/')}: `))
      assert.doesNotMatch(ctx.io.err(), /EEXIST|ENOTDIR|EACCES/)
      assert.deepEqual(kube.writes, [], 'nothing written to the cluster')
    }
  })

  it('rotate and inspect of a secret that does not exist are bad input (exit 2), like sandbox fault of a missing workload', async () => {
    const kube = new FakeKube([gatewayPod()])
    const rotate = fakeContext({kube})
    assert.equal((await runCommand(CertsRotate, ['nope'], rotate)).exitCode, 2)
    assert.match(rotate.io.err(), /secret istio-system\/nope not found/)
    const inspect = fakeContext({kube})
    assert.equal((await runCommand(CertsInspect, ['nope', '-n', 'istio-system'], inspect)).exitCode, 2)
    assert.match(inspect.io.err(), /secret "nope" not found/)
  })

  it('the default client certificate of --mutual is NAME-client, not NAME-client-client', async () => {
    const kube = new FakeKube([gatewayPod()])
    assert.equal((await runCommand(CertsCreate, ['shop', '--host', 'shop.example.com', '--mutual'], fakeContext({kube}))).exitCode, 0)
    assert.ok(secretIn(kube, 'shop-client'))
    assert.equal(secretIn(kube, 'shop-client-client'), undefined)
    assert.equal((await runCommand(CertsCreate, ['named', '--host', 'n.example.com', '--mutual', '--client', 'alice'], fakeContext({kube}))).exitCode, 0)
    assert.ok(secretIn(kube, 'named-client-alice'))
  })

  it('rotate --host changes the SANs, from the same CA', async () => {
    const kube = new FakeKube([gatewayPod()])
    await runCommand(CertsCreate, ['bank', '--host', 'bank.example.com'], fakeContext({kube}))
    const ctx = fakeContext({kube})
    const cmd = await runCommand(CertsRotate, ['bank', '--host', 'bank.example.com', '--host', 'bank2.example.com', '-o', 'json'], ctx)
    assert.equal(cmd.exitCode, 0, ctx.io.err())
    const server = new X509Certificate(pem(secretIn(kube, 'bank'), 'tls.crt'))
    assert.equal(server.subjectAltName, 'DNS:bank.example.com, DNS:bank2.example.com')
    assert.ok(server.verify(new X509Certificate(pem(secretIn(kube, 'bank-ca'), 'tls.crt')).publicKey))
    assert.deepEqual((JSON.parse(ctx.io.out()) as {hosts: string[]}).hosts, ['bank.example.com', 'bank2.example.com'])
    const bad = fakeContext({kube})
    assert.equal((await runCommand(CertsRotate, ['bank', '--host', 'Bad_Host'], bad)).exitCode, 2)
    assert.match(bad.io.err(), /--host "Bad_Host"/)
  })
})
