import assert from 'node:assert/strict'
import path from 'node:path'
import {test} from 'node:test'
import Doctor from '../../commands/doctor.ts'
import {ExitCode} from '../../src/errors.ts'
import {KubeApiError} from '../../src/kube/api-errors.ts'
import {defaultFakeResources, FakeKube} from '../helpers/fake-kube.ts'
import {fakeContext, runCommand} from '../helpers/fake-context.ts'
import {doctorFixtures, readObjects} from '../helpers/doctor-fixtures.ts'
import {repoRoot} from '../helpers/paths.ts'

const resources = [...defaultFakeResources, {group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition', name: 'customresourcedefinitions', namespaced: false}]

function cluster(extra: object[] = []): FakeKube {
  return new FakeKube([...readObjects(path.join(doctorFixtures, 'base.yaml')), ...(extra as never[])], resources)
}

const brokenVs = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: {name: 'shop', namespace: 'default'},
  spec: {hosts: ['httpbin.example.com'], gateways: ['httpbin-gateway'], http: [{route: [{destination: {host: 'shop-backend'}}]}]},
}

test('-o json is the DESIGN.md contract: summary {errors, warnings, infos, checks} and findings {code, level, istio?, resource, message, hint}', async () => {
  const result = await runCommand(Doctor, ['--skip-envoy', '-o', 'json'], fakeContext({kube: cluster([brokenVs]), now: new Date()}))
  assert.equal(result.exitCode, ExitCode.jobFailed)
  const report = JSON.parse(result.stdout) as Record<string, unknown>
  assert.deepEqual(Object.keys(report), ['summary', 'findings', 'skipped'])
  assert.deepEqual(report.summary, {errors: 1, warnings: 0, infos: 0, checks: 14})
  assert.deepEqual(report.findings, [
    {
      code: 'DestinationHostNotFound',
      level: 'error',
      istio: 'IST0101',
      resource: {kind: 'VirtualService', namespace: 'default', name: 'shop'},
      message: '/spec/http/0/route/0/destination sends to shop-backend, but Service default/shop-backend does not exist: requests get 503',
      hint: 'kubectl -n default get svc   # fix the host in /spec/http/0/route/0/destination/host or create the Service',
      gateway: 'default/httpbin-gateway',
    },
  ])
  assert.equal((report.skipped as {check: string; reason: string}[]).every((s) => s.reason === '--skip-envoy'), true)
  assert.equal((report.skipped as unknown[]).length, 8, 'the eight live checks')
  assert.doesNotMatch(result.stdout, /GATEWAY|LEVEL/, 'no table in JSON')
})

test('the table groups findings by gateway, each with a fix command; --fail-on none exits 0', async () => {
  const result = await runCommand(Doctor, ['--skip-envoy', '--fail-on', 'none'], fakeContext({kube: cluster([brokenVs]), now: new Date()}))
  assert.equal(result.exitCode, 0)
  assert.match(result.stdout, /^GATEWAY default\/httpbin-gateway\n {2}LEVEL +CODE +RESOURCE +MESSAGE\n {2}error +DestinationHostNotFound +VirtualService\/default\/shop /m)
  assert.match(result.stdout, /^ {4}1\. kubectl -n default get svc/m)
  assert.match(result.stdout, /^1 errors, 0 warnings, 0 infos from 14 checks \(8 skipped\)$/m)
  assert.match(result.stderr, /^\* Read the cluster/m, 'progress as plain lines on stderr without a TTY')
})

test('a healthy cluster exits 0 and says so; a warning fails only with --fail-on warning', async () => {
  const ok = await runCommand(Doctor, ['--skip-envoy'], fakeContext({kube: cluster(), now: new Date()}))
  assert.equal(ok.exitCode, 0)
  assert.match(ok.stdout, /^No problems found\.$/m)
  const noAddress = {...readObjects(path.join(doctorFixtures, 'cases', 'ingress-service-no-address.yaml'))[0]}
  const kube = cluster()
  kube.add(noAddress as never)
  assert.equal((await runCommand(Doctor, ['--skip-envoy'], fakeContext({kube, now: new Date()}))).exitCode, 0)
  assert.equal((await runCommand(Doctor, ['--skip-envoy', '--fail-on', 'warning'], fakeContext({kube, now: new Date()}))).exitCode, 1)
})

test('a kind doctor may not list (403) makes its checks skipped with the reason, not a failure', async () => {
  const kube = cluster()
  kube.failNext('list', 'Pod', new KubeApiError('pods is forbidden', ExitCode.cluster, 403, 'Forbidden', [], {verb: 'list', resource: 'pods'}))
  const result = await runCommand(Doctor, ['--skip-envoy', '-o', 'json', '--fail-on', 'none'], fakeContext({kube, now: new Date()}))
  assert.equal(result.exitCode, 0, result.stderr)
  const report = JSON.parse(result.stdout) as {skipped: {check: string; reason: string}[]}
  const gatewaySelector = report.skipped.find((s) => s.check === 'gateway-selector')
  assert.equal(gatewaySelector?.reason, 'Pod: forbidden: cannot list pods at the cluster scope')
})

test('--gateway keeps only that gateway\'s findings', async () => {
  const other = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'Gateway',
    metadata: {name: 'typo', namespace: 'default'},
    spec: {selector: {istio: 'nope'}, servers: [{port: {number: 80, name: 'http', protocol: 'HTTP'}, hosts: ['a.example.com']}]},
  }
  const result = await runCommand(Doctor, ['--skip-envoy', '-o', 'json', '--gateway', 'typo'], fakeContext({kube: cluster([brokenVs, other]), now: new Date()}))
  const report = JSON.parse(result.stdout) as {findings: {code: string}[]}
  assert.deepEqual(report.findings.map((f) => f.code), ['GatewaySelectorNoMatch'])
})

test('--config-dump analyses a saved dump with no cluster: Envoy checks run, the trace follows its route table; a broken file is exit 2', async () => {
  const sample = path.join(repoRoot, '..', 'shared', 'reference', 'envoy-samples', 'describe__testdata__describe__http_config.json')
  const kube = new FakeKube([], resources)
  const result = await runCommand(Doctor, ['--config-dump', sample, '--host', 'bookinfo.example.com', '--path', '/productpage', '-o', 'json'], fakeContext({kube, now: new Date()}))
  // istioctl's trimmed fixture routes to a cluster its CDS section lacks: offline, that is what can be said.
  assert.equal(result.exitCode, ExitCode.jobFailed, result.stderr)
  assert.deepEqual(kube.calls, [], 'no cluster access')
  const report = JSON.parse(result.stdout) as {trace: {live: {clusters: string[]; hops: {step: string; detail: string}[]}}; summary: {checks: number}; findings: {code: string; message: string}[]}
  assert.deepEqual(report.findings.map((f) => f.code), ['EnvoyClusterNoHealthyEndpoints'])
  assert.match(report.findings[0]!.message, /outbound\|9080\|\|productpage\.default\.svc\.cluster\.local, which Envoy does not have: requests get 503 NC/)
  assert.deepEqual(report.trace.live.clusters, ['outbound|9080||productpage.default.svc.cluster.local'])
  assert.match(report.trace.live.hops.find((h) => h.step === 'route')?.detail ?? '', /from default\/bookinfo$/)
  assert.ok(report.summary.checks >= 3)
  const broken = await runCommand(Doctor, ['--config-dump', path.join(repoRoot, 'package.json')], fakeContext({kube, now: new Date()}))
  assert.equal(broken.exitCode, ExitCode.usage)
  assert.match(broken.stderr, /package\.json is not an Envoy config_dump/)
})
