import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import CertsInspect from '../../commands/certs/inspect.ts'
import {issueCredential} from '../../src/certs/issue.ts'
import type {InspectReport} from '../../src/certs/inspect.ts'
import {credentialSecrets} from '../../src/certs/secrets.ts'
import type {KubeObject} from '../../src/kube/objects.ts'
import {KubeApiError} from '../../src/kube/api-errors.ts'
import {ExitCode} from '../../src/errors.ts'
import {FakeKube, gatewayPod} from '../helpers/fake-kube.ts'
import {fakeContext, runCommand} from '../helpers/fake-context.ts'

const now = new Date('2026-06-01T12:00:00Z')
const dayMs = 86_400_000

/** A credential secret issued by our own issuer at `issuedAt`, so expiry can be staged. */
async function credential(name: string, namespace: string, hosts: string[], options: {issuedAt?: Date; days?: number; mutual?: boolean} = {}): Promise<KubeObject[]> {
  const bundle = await issueCredential({hosts, keyType: 'ecdsa-p256', days: options.days ?? 365, clients: [], now: options.issuedAt ?? now})
  return credentialSecrets(name, namespace, bundle, {mutual: options.mutual ?? false, caStorage: {kind: 'store'}}).filter((s) => s.metadata.name === name)
}

function gateway(namespace: string, name: string, servers: {port: number; hosts: string[]; mode: string; credentialName: string}[]): KubeObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'Gateway',
    metadata: {namespace, name},
    spec: {
      selector: {istio: 'ingressgateway'},
      servers: servers.map((s) => ({port: {number: s.port, name: `https-${s.port}`, protocol: 'HTTPS'}, hosts: s.hosts, tls: {mode: s.mode, credentialName: s.credentialName}})),
    },
  }
}

async function world(): Promise<FakeKube> {
  const garbage: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {namespace: 'istio-system', name: 'garbage'},
    type: 'kubernetes.io/tls',
    data: {'tls.crt': Buffer.from('-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n').toString('base64'), 'tls.key': Buffer.from('nope').toString('base64')},
  }
  const opaque: KubeObject = {apiVersion: 'v1', kind: 'Secret', metadata: {namespace: 'istio-system', name: 'db-password'}, type: 'Opaque', data: {password: 'c2VjcmV0'}}
  return new FakeKube([
    gatewayPod(),
    ...(await credential('good', 'istio-system', ['web.example.com'])),
    ...(await credential('expired', 'istio-system', ['old.example.com'], {issuedAt: new Date(now.getTime() - 400 * dayMs), days: 30})),
    ...(await credential('soon', 'istio-system', ['soon.example.com'], {issuedAt: new Date(now.getTime() - 350 * dayMs)})),
    ...(await credential('mismatch', 'istio-system', ['a.example.com', '*.apps.example.com'])),
    ...(await credential('nocacert', 'istio-system', ['secure.example.com'])),
    ...(await credential('wrongns', 'default', ['shop.example.com'])),
    garbage,
    opaque,
    gateway('default', 'web', [
      {port: 443, hosts: ['web.example.com'], mode: 'SIMPLE', credentialName: 'good'},
      {port: 8443, hosts: ['other.example.org', 'x.apps.example.com', 'example.com'], mode: 'SIMPLE', credentialName: 'mismatch'},
      {port: 9443, hosts: ['secure.example.com'], mode: 'MUTUAL', credentialName: 'nocacert'},
      {port: 10443, hosts: ['shop.example.com'], mode: 'SIMPLE', credentialName: 'wrongns'},
    ]),
  ])
}

function codes(report: InspectReport, name: string): string[] {
  return report.secrets.find((s) => s.name === name)?.findings.map((f) => f.code) ?? []
}

describe('certs inspect (fake cluster)', () => {
  it('reports expired, expiring, host-mismatched, garbage and MUTUAL-without-CA secrets, and exits 1', async () => {
    const ctx = fakeContext({kube: await world(), now})
    const cmd = await runCommand(CertsInspect, ['-o', 'json'], ctx)
    assert.equal(cmd.exitCode, 1, ctx.io.err())
    const report = JSON.parse(ctx.io.out()) as InspectReport
    assert.deepEqual(
      report.secrets.map((s) => s.name),
      ['expired', 'garbage', 'good', 'mismatch', 'nocacert', 'soon'],
      'TLS secrets of the gateway workload namespace only; the Opaque password secret is not one',
    )
    assert.deepEqual(codes(report, 'good'), [])
    assert.deepEqual(codes(report, 'expired'), ['CertificateExpired'])
    assert.deepEqual(codes(report, 'soon'), ['CertificateExpiringSoon'])
    assert.deepEqual(codes(report, 'garbage'), ['GatewayCredentialInvalid', 'GatewayCredentialInvalid'])
    assert.deepEqual(codes(report, 'nocacert'), ['MutualTlsMissingCaCert'])
    const mismatch = report.secrets.find((s) => s.name === 'mismatch')
    assert.deepEqual(codes(report, 'mismatch'), ['CertificateHostMismatch'])
    assert.deepEqual(mismatch?.gateways[0]?.uncoveredHosts, ['other.example.org', 'example.com'], 'wildcard covers x.apps but not the apex or another domain')
    const good = report.secrets.find((s) => s.name === 'good')
    assert.equal(good?.keyMatches, true)
    assert.deepEqual(good?.gateways.map((g) => `${g.namespace}/${g.name}:${g.port}:${g.workloadNamespace}`), ['default/web:443:istio-system'])
    assert.equal(report.secrets.find((s) => s.name === 'expired')?.certificate?.daysLeft, -370)
    assert.deepEqual(report.summary, {secrets: 6, errors: 5, warnings: 1, infos: 0})
  })

  it('pins the -o json shape', async () => {
    const ctx = fakeContext({kube: await world(), now})
    await runCommand(CertsInspect, ['good', '-o', 'json'], ctx)
    const report = JSON.parse(ctx.io.out()) as Record<string, unknown> & InspectReport
    assert.deepEqual(Object.keys(report), ['summary', 'secrets', 'notes'])
    assert.deepEqual(Object.keys(report.summary), ['secrets', 'errors', 'warnings', 'infos'])
    const secret = report.secrets[0] as unknown as Record<string, unknown>
    assert.deepEqual(Object.keys(secret), ['namespace', 'name', 'type', 'role', 'managedByKubectlGw', 'certificate', 'chainLength', 'keyMatches', 'chain', 'gateways', 'findings'])
    assert.deepEqual(Object.keys(secret.certificate as object), ['subject', 'issuer', 'sans', 'serial', 'notBefore', 'notAfter', 'daysLeft', 'keyType', 'isCa'])
    assert.deepEqual(Object.keys((secret.gateways as object[])[0] as object), ['namespace', 'name', 'port', 'mode', 'hosts', 'uncoveredHosts', 'workloadNamespace'])
    assert.deepEqual(secret.certificate && (secret.certificate as {sans: string[]}).sans, ['DNS:web.example.com'])
    assert.equal(secret.role, 'server')
    assert.equal(secret.managedByKubectlGw, true)
  })

  it('-A finds a secret in the wrong namespace for the Gateway that references it', async () => {
    const ctx = fakeContext({kube: await world(), now})
    await runCommand(CertsInspect, ['-A', '-o', 'json'], ctx)
    const report = JSON.parse(ctx.io.out()) as InspectReport
    const wrong = report.secrets.find((s) => s.name === 'wrongns')
    assert.equal(wrong?.namespace, 'default')
    assert.deepEqual(wrong?.findings.map((f) => f.code), ['GatewayCredentialWrongNamespace'])
    assert.match(wrong?.findings[0]?.message ?? '', /reads "wrongns" from namespace "istio-system"/)
  })

  it('a MUTUAL credential with ca.crt verifies its chain and has no finding; the table shows it', async () => {
    const kube = new FakeKube([gatewayPod(), ...(await credential('mtls', 'istio-system', ['secure.example.com'], {mutual: true})), gateway('default', 'gw', [{port: 443, hosts: ['secure.example.com'], mode: 'MUTUAL', credentialName: 'mtls'}])])
    const ctx = fakeContext({kube, now})
    const cmd = await runCommand(CertsInspect, ['mtls'], ctx)
    assert.equal(cmd.exitCode, 0, ctx.io.out())
    assert.match(ctx.io.out(), /^NAME\s+ROLE\s+SUBJECT\s+SANS\s+NOT AFTER\s+DAYS\s+KEY\s+CHAIN\s+GATEWAYS\s+STATUS/m)
    assert.match(ctx.io.out(), /mtls\s+server\s+CN=secure\.example\.com\s+DNS:secure\.example\.com\s+2027-06-01\s+365\s+match\s+verified\s+default\/gw\(MUTUAL\)\s+OK/)
  })

  it('garbage in a named secret is a finding in the report, not a crash; a missing secret is bad input (exit 2)', async () => {
    const ctx = fakeContext({kube: await world(), now})
    const cmd = await runCommand(CertsInspect, ['garbage'], ctx)
    assert.equal(cmd.exitCode, 1)
    assert.match(ctx.io.out(), /error\s+\[GatewayCredentialInvalid\] \(Secret istio-system\/garbage\) tls\.crt is not a valid PEM certificate/)
    assert.doesNotMatch(ctx.io.err(), /at .*\.ts:\d+/)

    const missing = fakeContext({kube: await world(), now})
    const second = await runCommand(CertsInspect, ['absent'], missing)
    assert.equal(second.exitCode, 2)
    assert.match(missing.io.err(), /secret "absent" not found in namespace "istio-system"/)
  })

  it('a secret of the wrong type without certificate keys is a finding that says what it holds', async () => {
    const token: KubeObject = {apiVersion: 'v1', kind: 'Secret', metadata: {namespace: 'istio-system', name: 'sa-token'}, type: 'kubernetes.io/service-account-token', data: {token: 'eA=='}}
    const ctx = fakeContext({kube: new FakeKube([gatewayPod(), token]), now})
    const cmd = await runCommand(CertsInspect, ['sa-token', '-o', 'yaml'], ctx)
    assert.equal(cmd.exitCode, 1)
    assert.match(ctx.io.out(), /code: GatewayCredentialInvalid\n\s+level: error\n\s+message: "?secret has no tls\.crt or cert key \(type kubernetes\.io\/service-account-token, keys: token\)/)
  })

  it('credentialNames (RSA + ECDSA pair) and kubernetes:// references are both followed; -o wide adds issuer and serial', async () => {
    const gw = gateway('default', 'dual', [])
    ;(gw.spec as {servers: unknown[]}).servers = [{port: {number: 443, name: 'https', protocol: 'HTTPS'}, hosts: ['web.example.com'], tls: {mode: 'SIMPLE', credentialNames: ['good', 'kubernetes://good-rsa']}}]
    const rsa = (await credential('good-rsa', 'istio-system', ['web.example.com']))
    const kube = new FakeKube([gatewayPod(), ...(await credential('good', 'istio-system', ['web.example.com'])), ...rsa, gw])
    const ctx = fakeContext({kube, now})
    const cmd = await runCommand(CertsInspect, ['-o', 'wide'], ctx)
    assert.equal(cmd.exitCode, 0, ctx.io.out())
    assert.match(ctx.io.out(), /ISSUER\s+SERIAL\s+KEY TYPE\s+CA CERT/)
    assert.match(ctx.io.out(), /^good\s.*default\/dual\(SIMPLE\)\s+OK\s+CN=good CA|^good\s.*default\/dual\(SIMPLE\)/m)
    assert.match(ctx.io.out(), /^good-rsa\s.*default\/dual\(SIMPLE\)/m)
    assert.match(ctx.io.out(), /ecdsa-p256/)
  })

  it('without permission to list pods it falls back to the context namespace and says so', async () => {
    const kube = await world()
    const list = kube.list.bind(kube)
    kube.list = (async (apiVersion: string, kind: string, options?: {namespace?: string}) => {
      if (kind === 'Pod') throw new KubeApiError('pods is forbidden', ExitCode.cluster, 403, 'Forbidden', [], {verb: 'list', resource: 'pods'})
      return list(apiVersion, kind, options)
    }) as FakeKube['list']
    const ctx = fakeContext({kube, now, namespace: 'istio-system'})
    await runCommand(CertsInspect, ['good', '-o', 'json'], ctx)
    const report = JSON.parse(ctx.io.out()) as InspectReport
    assert.equal(report.secrets[0]?.name, 'good')
    assert.deepEqual(report.notes, ['cannot list pods in all namespaces (forbidden): gateway workload namespaces unknown'])
    assert.equal(report.secrets[0]?.gateways[0]?.workloadNamespace, undefined)
  })
})
