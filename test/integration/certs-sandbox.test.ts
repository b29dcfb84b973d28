import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {X509Certificate} from 'node:crypto'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'
import type {InspectReport} from '../../src/certs/inspect.ts'
import {createKubeClient} from '../../src/kube/connect.ts'
import type {KubeClient} from '../../src/kube/client.ts'
import {gwBin, requireBuiltCli} from '../helpers/paths.ts'

interface Run {
  code: number
  stdout: string
  stderr: string
}


/**
 * certs create / inspect / rotate as a user runs them: the built executable, against a sandbox
 * started with `sandbox up --detach`, through the kubeconfig the sandbox wrote.
 */
describe('certs against the sandbox, through the real kubeconfig', () => {
  // Not useTempDir: the sandbox must be stopped before its state dir (with its pid file) goes.
  let dir = ''
  const tempDir = () => dir
  const env = () => ({...process.env, KUBECTL_GW_SANDBOX_DIR: path.join(tempDir(), 'sandbox'), KUBECONFIG: '', NO_COLOR: '1'})
  const kubeconfig = () => path.join(tempDir(), 'sandbox', 'kubeconfig')
  let kube: KubeClient | undefined

  function gw(args: string[]): Promise<Run> {
    return new Promise((resolve) => {
      execFile(gwBin, args, {env: env(), timeout: 60_000}, (error, stdout, stderr) => {
        resolve({code: error ? Number((error as {code?: number}).code ?? 1) : 0, stdout, stderr})
      })
    })
  }

  before(async () => {
    requireBuiltCli()
    dir = await mkdtemp(path.join(tmpdir(), 'gw-certs-sandbox-'))
    const up = await gw(['sandbox', 'up', '--detach'])
    assert.equal(up.code, 0, `sandbox up: ${up.stderr}`)
    kube = createKubeClient({selection: {kubeconfig: kubeconfig(), env: {}}, requestTimeoutMs: 10_000})
    // The Gateways that will read the credentials: one in default (secret must still be in istio-system).
    await kube.create({
      apiVersion: 'networking.istio.io/v1',
      kind: 'Gateway',
      metadata: {name: 'certs-test', namespace: 'default'},
      spec: {
        selector: {istio: 'ingressgateway'},
        servers: [
          {port: {number: 443, name: 'https', protocol: 'HTTPS'}, hosts: ['httpbin.example.com', 'api.example.com'], tls: {mode: 'MUTUAL', credentialName: 'httpbin-credential'}},
          {port: {number: 8443, name: 'https-shop', protocol: 'HTTPS'}, hosts: ['shop.example.com'], tls: {mode: 'SIMPLE', credentialName: 'shop-credential'}},
        ],
      },
    })
  })

  after(async () => {
    kube?.close()
    const down = await gw(['sandbox', 'down'])
    const status = await gw(['sandbox', 'status', '-o', 'json'])
    await rm(dir, {recursive: true, force: true})
    assert.equal(down.code, 0, `sandbox down: ${down.stderr}`)
    assert.match(down.stdout + down.stderr, /stopped/)
    assert.equal((JSON.parse(status.stdout) as {running: boolean}).running, false, 'no sandbox process left behind')
  })

  it('create writes into the gateway workload namespace it detected; -n elsewhere is warned about', async () => {
    const created = await gw(['certs', 'create', 'httpbin-credential', '--host', 'httpbin.example.com', '--mutual', '--client', 'alice', '--kubeconfig', kubeconfig()])
    assert.equal(created.code, 0, created.stderr)
    assert.match(created.stdout, /secret\/httpbin-credential created in istio-system/)

    const secret = await kube?.get<{data: Record<string, string>} & import('../../src/kube/objects.ts').KubeObject>({apiVersion: 'v1', kind: 'Secret', namespace: 'istio-system', name: 'httpbin-credential'})
    const cert = new X509Certificate(Buffer.from(secret?.data['tls.crt'] ?? '', 'base64'))
    const ca = new X509Certificate(Buffer.from(secret?.data['ca.crt'] ?? '', 'base64'))
    assert.ok(cert.checkIssued(ca) && cert.verify(ca.publicKey), 'stored server certificate is signed by the stored ca.crt')

    const again = await gw(['certs', 'create', 'httpbin-credential', '--host', 'httpbin.example.com', '--kubeconfig', kubeconfig()])
    assert.equal(again.code, 1)
    assert.match(again.stderr, /refusing to overwrite/)

    const misplaced = await gw(['certs', 'create', 'shop-credential', '--host', 'shop.example.com', '-n', 'default', '--kubeconfig', kubeconfig()])
    assert.equal(misplaced.code, 0, misplaced.stderr)
    assert.match(misplaced.stderr, /Warning: the gateway workload \(istio=ingressgateway\) runs in namespace "istio-system", not "default"/)
  })

  it('inspect -A finds the host not covered and the secret in the wrong namespace, and exits 1', async () => {
    const inspected = await gw(['certs', 'inspect', '-A', '-o', 'json', '--kubeconfig', kubeconfig()])
    assert.equal(inspected.code, 1, inspected.stderr)
    const report = JSON.parse(inspected.stdout) as InspectReport
    const httpbin = report.secrets.find((s) => s.namespace === 'istio-system' && s.name === 'httpbin-credential')
    assert.deepEqual(httpbin?.findings.map((f) => f.code), ['CertificateHostMismatch'])
    assert.deepEqual(httpbin?.gateways.map((g) => [g.namespace, g.name, g.port, g.uncoveredHosts]), [['default', 'certs-test', 443, ['api.example.com']]])
    assert.equal(httpbin?.chain, 'verified')
    const shop = report.secrets.find((s) => s.name === 'shop-credential')
    assert.equal(shop?.namespace, 'default')
    assert.deepEqual(shop?.findings.map((f) => f.code), ['GatewayCredentialWrongNamespace'])
  })

  it('rotate replaces the server certificate from the same CA; inspect sees the new serial', async () => {
    const before = await gw(['certs', 'inspect', 'httpbin-credential', '-o', 'json', '--kubeconfig', kubeconfig()])
    const oldSerial = (JSON.parse(before.stdout) as InspectReport).secrets[0]?.certificate?.serial
    const rotated = await gw(['certs', 'rotate', 'httpbin-credential', '-o', 'json', '--kubeconfig', kubeconfig()])
    assert.equal(rotated.code, 0, rotated.stderr)
    const result = JSON.parse(rotated.stdout) as {old: {serial: string}; new: {serial: string}}
    assert.equal(result.old.serial, oldSerial)
    const after = await gw(['certs', 'inspect', 'httpbin-credential', '-o', 'json', '--kubeconfig', kubeconfig()])
    const secret = (JSON.parse(after.stdout) as InspectReport).secrets[0]
    assert.equal(secret?.certificate?.serial, result.new.serial)
    assert.notEqual(result.new.serial, oldSerial)
    assert.equal(secret?.chain, 'verified', 'still chains to the ca.crt clients were given')
  })
})
