import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'
import {startTestSandbox, type TestSandbox} from '../helpers/sandbox.ts'

/** The sandbox API server refuses what a real one refuses, and accepts what kubectl sends a real one. */
describe('a stricter sandbox API server, checked with real kubectl', () => {
  let sb: TestSandbox
  before(async () => {
    sb = await startTestSandbox({world: 'empty'})
  })
  after(async () => {
    await sb?.close()
  })
  const kubectl = (args: string[], input?: string) => sb.kubectl(args, input)

  it('refuses labels written as a list and non-string ConfigMap data while decoding (400)', async () => {
    const file = path.join(sb.dir, 'labels.json')
    writeFileSync(file, JSON.stringify({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'listed', labels: ['a', 'b']}}))
    const labels = await kubectl(['create', '--raw', '/api/v1/namespaces/default/configmaps', '-f', file])
    assert.notEqual(labels.code, 0)
    assert.match(labels.stderr, /cannot unmarshal array into Go struct field ObjectMeta\.metadata\.labels of type map\[string\]string/)
    const data = await kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: numbers}\ndata: {replicas: 3}\n')
    assert.notEqual(data.code, 0)
    assert.match(data.stderr, /ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap\.data of type string/)
  })

  it('refuses a changed Secret type, a change to an immutable ConfigMap, and a TLS secret without its key (422)', async () => {
    assert.equal((await kubectl(['create', 'secret', 'generic', 'plain', '--from-literal=a=b'])).code, 0)
    const retype = await kubectl(['patch', 'secret', 'plain', '-p', '{"type":"Opaque2"}'])
    assert.match(retype.stderr, /type: Invalid value: "Opaque2": field is immutable/)
    assert.equal((await kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: frozen}\nimmutable: true\ndata: {a: "1"}\n')).code, 0)
    const thaw = await kubectl(['patch', 'configmap', 'frozen', '-p', '{"data":{"a":"2"}}'])
    assert.match(thaw.stderr, /ConfigMap "frozen" is invalid: data: Forbidden: field is immutable when `immutable` is set/)
    const halfTls = await kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\nmetadata: {name: half}\ndata: {tls.crt: YQ==}\n')
    assert.match(halfTls.stderr, /Secret "half" is invalid: data\[tls\.key\]: Required value/)
  })

  it('refuses a ConfigMap over 1 MiB', async () => {
    const file = path.join(sb.dir, 'big.txt')
    writeFileSync(file, 'a'.repeat(1024 * 1024 + 1))
    const big = await kubectl(['create', 'configmap', 'big', `--from-file=${file}`])
    assert.notEqual(big.code, 0)
    assert.match(big.stderr, /ConfigMap "big" is invalid: \[\]: Too long: must have at most 1048576 bytes/)
  })

  it('accepts kubectl create deployment (protobuf) and keeps kubectl describe working', async () => {
    const created = await kubectl(['create', 'deployment', 'web', '--image=nginx', '--port=8080', '--replicas=2'])
    assert.equal(created.code, 0, created.stderr)
    const spec = JSON.parse((await kubectl(['get', 'deployment', 'web', '-o', 'jsonpath={.spec}'])).stdout)
    assert.equal(spec.replicas, 2)
    assert.deepEqual(spec.template.spec.containers[0].ports, [{containerPort: 8080}])
    assert.equal(spec.strategy.type, 'RollingUpdate')
    const described = await kubectl(['describe', 'deployment', 'web'])
    assert.equal(described.code, 0, described.stderr)
    assert.match(described.stdout, /Replicas:\s+2 desired/)
    const namespace = await kubectl(['describe', 'namespace', 'istio-system'])
    assert.equal(namespace.code, 0, namespace.stderr)
    assert.match(namespace.stdout, /Status:\s+Active/)
  })

  it('applies and creates a List, as `kubectl get -o yaml` writes it (backup and restore)', async () => {
    const backup = await kubectl(['get', 'configmaps', '-n', 'istio-system', '-o', 'yaml'])
    assert.match(backup.stdout, /^apiVersion: v1\nitems:/)
    const restore = backup.stdout.replace(/namespace: istio-system/g, 'namespace: default').replace(/^\s+(resourceVersion|uid|creationTimestamp):.*\n/gm, '')
    const applied = await kubectl(['apply', '-f', '-'], restore)
    assert.equal(applied.code, 0, applied.stderr)
    assert.match(applied.stdout, /configmap\/istio created/)
  })
})
