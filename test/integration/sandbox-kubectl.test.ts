import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import https from 'node:https'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'
import {sharedDir} from '../helpers/paths.ts'
import {startTestSandbox, type TestSandbox} from '../helpers/sandbox.ts'

/** Every ```yaml block of seed 000, as a user would paste them. */
function seedExamples(): string {
  const text = readFileSync(path.join(sharedDir, 'seeds', '000_d870c13a5f1fb9d0.txt'), 'utf8')
  const blocks = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!)
  assert.ok(blocks.length >= 10, `seed 000 has its yaml examples (found ${blocks.length})`)
  return blocks.map((b) => `---\n${b}`).join('\n')
}

function rawRequest(t: TestSandbox, requestPath: string, headers: Record<string, string> = {}): Promise<{status: number; body: string}> {
  return new Promise((resolve, reject) => {
    const request = https.request(`${t.sandbox.url}${requestPath}`, {ca: t.sandbox.pki.caCertPem, headers}, (response) => {
      let body = ''
      response.on('data', (chunk) => (body += chunk))
      response.on('end', () => resolve({status: response.statusCode ?? 0, body}))
    })
    request.on('error', reject)
    request.end()
  })
}

describe('real kubectl against the sandbox', () => {
  let t: TestSandbox
  before(async () => {
    t = await startTestSandbox()
  })
  after(async () => {
    await t.close()
  })

  // Seed 000's "resilient-routing" VirtualService sets retries.retriableStatusCodes, a field Istio's
  // HTTPRetry does not have (crd-all.gen.yaml): a real cluster refuses it under kubectl's default
  // strict validation, so the sandbox does too; with --validate=warn it is pruned with a warning.
  const seedUnknownField = /VirtualService in version "v1beta1" cannot be handled as a VirtualService: strict decoding error: unknown field "spec\.http\[0\]\.retries\.retriableStatusCodes"/

  it('applies seed 000 client-side: every example but the one with an unknown Istio field, as a real cluster does', async () => {
    const seed = seedExamples()
    const documents = seed.split(/^---$/m).filter((d) => /^kind:/m.test(d)).length
    const strict = await t.kubectl(['apply', '-f', '-'], seed)
    assert.equal(strict.code, 1)
    assert.match(strict.stderr, seedUnknownField)
    assert.equal(strict.stderr.match(/Error from server/g)?.length, 1, strict.stderr)
    assert.equal(strict.stdout.trim().split('\n').length, documents - 1, strict.stdout)
    assert.match(strict.stdout, /gateway.networking.istio.io\/httpbin-gateway created/)
    const warned = await t.kubectl(['apply', '--validate=warn', '-f', '-'], seed)
    assert.equal(warned.code, 0, warned.stderr)
    assert.match(warned.stderr, /Warning: unknown field "spec\.http\[0\]\.retries\.retriableStatusCodes"/)
    assert.match(warned.stdout, /virtualservice.networking.istio.io\/resilient-routing created/)
    const again = await t.kubectl(['apply', '--validate=warn', '-f', '-'], seed)
    assert.equal(again.code, 0, again.stderr)
    const lines = again.stdout.trim().split('\n')
    assert.equal(lines.length, documents)
    // kubectl re-sends the pruned field from its last-applied annotation each time, so it says "configured"
    // for that one object, as it would against a real cluster; the server stores nothing new.
    assert.ok(lines.filter((l) => !l.includes('/resilient-routing ')).every((l) => l.endsWith(' unchanged')), again.stdout)
    assert.ok(lines.includes('virtualservice.networking.istio.io/resilient-routing configured'), again.stdout)
  })

  it('applies seed 000 server-side (strict refuses the same field; warn prunes it)', async () => {
    const strict = await t.kubectl(['apply', '--server-side', '-f', '-'], seedExamples())
    assert.equal(strict.code, 1)
    assert.match(strict.stderr, seedUnknownField)
    const result = await t.kubectl(['apply', '--server-side', '--validate=warn', '-f', '-'], seedExamples())
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /virtualservice.networking.istio.io\/canary-deployment serverside-applied/)
  })

  it('lists with short names, label selectors and jsonpath', async () => {
    const vs = await t.kubectl(['get', 'vs', '-o', 'jsonpath={.items[*].metadata.name}'])
    assert.equal(vs.code, 0, vs.stderr)
    assert.ok(vs.stdout.split(' ').includes('canary-deployment'))
    const canary = await t.kubectl(['get', 'pods', '-l', 'app=app-service,version in (canary)', '-o', 'jsonpath={.items[*].metadata.labels.version}'])
    assert.equal(canary.stdout, 'canary')
    const notHttpbin = await t.kubectl(['get', 'pods', '-l', 'app!=httpbin,!version', '-o', 'name'])
    assert.equal(notHttpbin.stdout.trim(), '', 'every non-httpbin pod in default has a version label')
    const running = await t.kubectl(['get', 'pods', '-n', 'istio-system', '--field-selector', 'status.phase=Running', '-l', 'istio=ingressgateway', '-o', 'name'])
    assert.equal(running.stdout.trim().split('\n').length, 2)
    const lb = await t.kubectl(['get', 'svc', 'istio-ingressgateway', '-n', 'istio-system', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}'])
    assert.match(lb.stdout, /^192\.0\.2\.\d+$/)
    const crds = await t.kubectl(['get', 'crd', '-o', 'name'])
    assert.match(crds.stdout, /customresourcedefinition.apiextensions.k8s.io\/virtualservices.networking.istio.io/)
  })

  it('patches with --type merge and --type json, bumping generation only on spec change', async () => {
    const merge = await t.kubectl(['patch', 'vs', 'api-vs', '--type', 'merge', '-p', '{"spec":{"hosts":["x.example.com"]}}'])
    assert.equal(merge.code, 0, merge.stderr)
    const json = await t.kubectl(['patch', 'vs', 'api-vs', '--type', 'json', '-p', '[{"op":"add","path":"/spec/hosts/-","value":"y.example.com"}]'])
    assert.equal(json.code, 0, json.stderr)
    const label = await t.kubectl(['label', 'vs', 'api-vs', 'team=edge'])
    assert.equal(label.code, 0, label.stderr)
    const got = await t.kubectl(['get', 'vs', 'api-vs', '-o', 'jsonpath={.spec.hosts} {.metadata.generation} {.metadata.labels.team}'])
    assert.equal(got.stdout, '["x.example.com","y.example.com"] 3 edge')
  })

  it('scales a deployment: pods follow, endpoints follow', async () => {
    const scaled = await t.kubectl(['scale', 'deployment', 'web-frontend', '--replicas=3'])
    assert.equal(scaled.code, 0, scaled.stderr)
    await t.sandbox.controllers.settled()
    const deploy = await t.kubectl(['get', 'deploy', 'web-frontend', '-o', 'jsonpath={.status.readyReplicas}/{.status.availableReplicas}'])
    assert.equal(deploy.stdout, '3/3')
    const ips = await t.kubectl(['get', 'endpoints', 'web-frontend', '-o', 'jsonpath={.subsets[0].addresses[*].ip}'])
    assert.equal(ips.stdout.split(' ').filter((ip) => /^10\.244\./.test(ip)).length, 3)
    const pod = await t.kubectl(['get', 'pods', '-l', 'app=web-frontend', '-o', 'jsonpath={.items[0].metadata.ownerReferences[0].kind} {.items[0].metadata.labels.pod-template-hash}'])
    assert.match(pod.stdout, /^ReplicaSet [a-z0-9]{10}$/)
    const events = await t.kubectl(['get', 'events', '--field-selector', 'involvedObject.kind=Deployment,involvedObject.name=web-frontend', '-o', 'jsonpath={.items[*].message}'])
    assert.match(events.stdout, /Scaled up replica set web-frontend-[a-z0-9]+ from 1 to 3/)
  })

  it('rolls a new template out as a new ReplicaSet with a revision, and undoes it', async () => {
    assert.equal((await t.kubectl(['set', 'image', 'deployment/admin-service', 'admin-service=docker.io/hashicorp/http-echo:1.1'])).code, 0)
    await t.sandbox.controllers.settled()
    const history = await t.kubectl(['rollout', 'history', 'deployment/admin-service'])
    assert.match(history.stdout, /^1\s+<none>$/m)
    assert.match(history.stdout, /^2\s+<none>$/m)
    const images = await t.kubectl(['get', 'pods', '-l', 'app=admin-service', '-o', 'jsonpath={.items[*].spec.containers[0].image}'])
    assert.equal(images.stdout, 'docker.io/hashicorp/http-echo:1.1', 'old pods are gone')
    assert.equal((await t.kubectl(['rollout', 'undo', 'deployment/admin-service'])).code, 0)
    const image = await t.kubectl(['get', 'deploy', 'admin-service', '-o', 'jsonpath={.spec.template.spec.containers[0].image}'])
    assert.equal(image.stdout, 'docker.io/hashicorp/http-echo:1.0')
  })

  it('keeps an HPA\'s target within its bounds and reports PDB disruptions', async () => {
    const manifests = [
      'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: health-service}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: health-service}\n  minReplicas: 3\n  maxReplicas: 6\n  metrics:\n  - type: Resource\n    resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}\n',
      'apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: health-service}\nspec:\n  minAvailable: 2\n  selector: {matchLabels: {app: health-service}}\n',
    ].join('---\n')
    assert.equal((await t.kubectl(['apply', '-f', '-'], manifests)).code, 0)
    await t.sandbox.controllers.settled()
    const deploy = await t.kubectl(['get', 'deploy', 'health-service', '-o', 'jsonpath={.spec.replicas} {.status.readyReplicas}'])
    assert.equal(deploy.stdout, '3 3')
    const hpa = await t.kubectl(['get', 'hpa', 'health-service', '-o', 'jsonpath={.status.desiredReplicas} {.status.conditions[?(@.type=="ScalingActive")].reason}'])
    assert.equal(hpa.stdout, '3 FailedGetResourceMetric')
    const pdb = await t.kubectl(['get', 'pdb', 'health-service', '-o', 'jsonpath={.status.currentHealthy} {.status.disruptionsAllowed}'])
    assert.equal(pdb.stdout, '3 1')
  })

  it('deletes, and reports NotFound afterwards', async () => {
    const deleted = await t.kubectl(['delete', 'vs', 'web-vs'])
    assert.match(deleted.stdout, /virtualservice.networking.istio.io "web-vs" deleted/)
    const missing = await t.kubectl(['get', 'vs', 'web-vs'])
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /NotFound.*"web-vs" not found/)
  })

  it('rejects an invalid Gateway with the field named (client- and server-side apply)', async () => {
    const bad = 'apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: bad-gw}\nspec:\n  selector: {istio: ingressgateway}\n  servers:\n  - port: {number: eighty, name: http, protocol: HTTP}\n    hosts: ["*"]\n'
    for (const args of [['apply', '-f', '-'], ['apply', '--server-side', '-f', '-']]) {
      const result = await t.kubectl(args, bad)
      assert.equal(result.code, 1)
      assert.match(result.stderr, /spec\.servers\[0\]\.port\.number/)
    }
    assert.equal((await t.kubectl(['get', 'gw', 'bad-gw'])).code, 1, 'nothing stored')
  })

  it('refuses unknown Istio fields under kubectl\'s strict field validation, naming them', async () => {
    const typo = 'apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: typo-gw}\nspec:\n  selector: {istio: ingressgateway}\n  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: ["*"]\n    tls: {httpsRedirct: true}\n'
    for (const args of [['apply', '-f', '-'], ['apply', '--server-side', '-f', '-']]) {
      const result = await t.kubectl(args, typo)
      assert.equal(result.code, 1)
      assert.match(result.stderr, /strict decoding error: unknown field "spec\.servers\[0\]\.tls\.httpsRedirct"/)
    }
    const warned = await t.kubectl(['apply', '--validate=warn', '-f', '-'], typo)
    assert.equal(warned.code, 0, warned.stderr)
    assert.match(warned.stderr, /Warning: unknown field "spec\.servers\[0\]\.tls\.httpsRedirct"/)
    const stored = await t.kubectl(['get', 'gw', 'typo-gw', '-o', 'jsonpath={.spec.servers[0].tls}'])
    assert.equal(stored.stdout, '{}', 'the unknown field was pruned, as a structural schema does')
  })

  it('refuses a stale update with 409', async () => {
    const old = await t.kubectl(['get', 'dr', 'app-service-dr', '-o', 'json'])
    await t.kubectl(['annotate', 'dr', 'app-service-dr', 'touched=yes'])
    const stale = await t.kubectl(['replace', '-f', '-'], old.stdout)
    assert.equal(stale.code, 1)
    assert.match(stale.stderr, /Conflict|the object has been modified/)
  })

  it('reports server-side apply conflicts unless --force-conflicts', async () => {
    const manifest = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: cdn-service, namespace: default}\nspec:\n  replicas: 4\n'
    const takeover = await t.kubectl(['apply', '--server-side', '--field-manager', 'team-a', '-f', '-'], manifest)
    assert.match(takeover.stderr, /conflict with "gw-sandbox" using apps\/v1: \.spec\.replicas/, 'the world builder owns replicas at first')
    assert.equal((await t.kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager', 'team-a', '-f', '-'], manifest)).code, 0)
    const conflict = await t.kubectl(['apply', '--server-side', '--field-manager', 'team-b', '-f', '-'], manifest.replace('replicas: 4', 'replicas: 5'))
    assert.equal(conflict.code, 1)
    assert.match(conflict.stderr, /conflict with "team-a" using apps\/v1: \.spec\.replicas/)
    const forced = await t.kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager', 'team-b', '-f', '-'], manifest.replace('replicas: 4', 'replicas: 5'))
    assert.equal(forced.code, 0, forced.stderr)
    const replicas = await t.kubectl(['get', 'deploy', 'cdn-service', '-o', 'jsonpath={.spec.replicas} {.metadata.managedFields[*].manager}'])
    assert.equal(replicas.stdout.split(' ')[0], '5')
    assert.ok(!replicas.stdout.includes('team-a'), 'team-a lost its only field')
  })

  it('validates a dry run and stores nothing', async () => {
    const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dry}\ndata: {a: b}\n'
    const result = await t.kubectl(['apply', '--dry-run=server', '-f', '-'], cm)
    assert.match(result.stdout, /configmap\/dry created \(server dry run\)/)
    assert.equal((await t.kubectl(['get', 'cm', 'dry'])).code, 1)
  })

  it('accepts kubectl create secret tls / generic / configmap (protobuf bodies), as seed 000 runs them', async () => {
    const pki = t.sandbox.pki
    const dir = t.dir
    const {writeFileSync} = await import('node:fs')
    writeFileSync(path.join(dir, 'tls.crt'), pki.serverCertPem)
    writeFileSync(path.join(dir, 'tls.key'), pki.serverKeyPem)
    const tls = await t.kubectl(['create', '-n', 'istio-system', 'secret', 'tls', 'httpbin-credential', `--key=${path.join(dir, 'tls.key')}`, `--cert=${path.join(dir, 'tls.crt')}`])
    assert.equal(tls.code, 0, tls.stderr)
    const generic = await t.kubectl(['create', 'secret', 'generic', 'httpbin-client-ca', `--from-file=ca.crt=${path.join(dir, 'tls.crt')}`])
    assert.equal(generic.code, 0, generic.stderr)
    const cm = await t.kubectl(['create', 'configmap', 'settings', '--from-literal=a=b'])
    assert.equal(cm.code, 0, cm.stderr)
    const secret = await t.kubectl(['get', 'secret', 'httpbin-credential', '-n', 'istio-system', '-o', 'jsonpath={.type} {.data.tls\\.crt}'])
    const [type, crt] = secret.stdout.split(' ')
    assert.equal(type, 'kubernetes.io/tls')
    assert.equal(Buffer.from(crt!, 'base64').toString(), pki.serverCertPem)
    assert.equal((await t.kubectl(['get', 'cm', 'settings', '-o', 'jsonpath={.data.a}'])).stdout, 'b')
  })

  it('answers get --raw, and 401 without the token', async () => {
    const raw = await t.kubectl(['get', '--raw', '/apis/networking.istio.io/v1'])
    assert.ok((JSON.parse(raw.stdout) as {resources: {name: string; shortNames?: string[]}[]}).resources.some((r) => r.name === 'virtualservices' && r.shortNames?.includes('vs')))
    const anonymous = await rawRequest(t, '/api/v1/namespaces/default/pods')
    assert.equal(anonymous.status, 401)
    assert.equal((JSON.parse(anonymous.body) as {reason: string}).reason, 'Unauthorized')
    const wrong = await rawRequest(t, '/api/v1/namespaces/default/pods', {Authorization: 'Bearer wrong'})
    assert.equal(wrong.status, 401)
  })

  it('answers the pod proxy with a connection-refused 503 when no mesh listens', async () => {
    const pods = await t.kubectl(['get', 'pods', '-n', 'istio-system', '-l', 'istio=ingressgateway', '-o', 'jsonpath={.items[0].metadata.name}'])
    const result = await t.kubectl(['get', '--raw', `/api/v1/namespaces/istio-system/pods/${pods.stdout}:15000/proxy/server_info`])
    assert.equal(result.code, 1)
    assert.match(result.stderr, /connection refused|ServiceUnavailable/)
  })
})
