import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import Version from '../../commands/version.ts'
import {FakeKube} from '../helpers/fake-kube.ts'
import {fakeContext, runCommand} from '../helpers/fake-context.ts'
import {ClusterError} from '../../src/errors.ts'

const istiod = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {name: 'istiod', namespace: 'istio-system', labels: {app: 'istiod'}},
  spec: {template: {spec: {containers: [{name: 'discovery', image: 'docker.io/istio/pilot:1.28.1'}]}}},
}

describe('kubectl gw version', () => {
  it('--client prints only the client and never touches the cluster', async () => {
    const touched: string[] = []
    const kube = new Proxy(new FakeKube(), {
      get: (target, property) => {
        if (property !== 'close') touched.push(String(property))
        return Reflect.get(target, property)
      },
    })
    const {stdout, exitCode} = await runCommand(Version, ['--client'], fakeContext({kube}))
    assert.deepEqual(touched, [])
    assert.equal(exitCode, 0)
    assert.match(stdout, /^Client Version: \d+\.\d+\.\d+ \(node v\d+/)
    assert.doesNotMatch(stdout, /Server Version/)
  })

  it('reports Kubernetes, Istio (from the istiod image tag) and served APIs', async () => {
    const {stdout, exitCode} = await runCommand(Version, [], fakeContext({kube: new FakeKube([istiod])}))
    assert.equal(exitCode, 0)
    assert.match(stdout, /Server Version: v1\.32\.0/)
    assert.match(stdout, /Istio Version: 1\.28\.1 \(istio-system\/istiod, from image tag\)/)
    assert.match(stdout, /networking\.istio\.io\/v1, networking\.istio\.io\/v1beta1, networking\.istio\.io\/v1alpha3/)
    assert.match(stdout, /Gateway API: gateway\.networking\.k8s\.io\/v1/)
  })

  it('-o json is the documented contract', async () => {
    const {stdout} = await runCommand(Version, ['-o', 'json'], fakeContext({kube: new FakeKube([istiod])}))
    const info = JSON.parse(stdout)
    assert.deepEqual(Object.keys(info), ['client', 'server'])
    assert.deepEqual(Object.keys(info.client), ['version', 'node', 'platform'])
    assert.deepEqual(info.server, {
      kubernetes: 'v1.32.0',
      context: 'fake',
      server: 'https://fake.invalid',
      istio: {version: '1.28.1', source: 'image tag', istiod: {namespace: 'istio-system', name: 'istiod'}},
      networkingIstioVersions: ['v1', 'v1beta1', 'v1alpha3'],
      gatewayApiVersions: ['v1'],
    })
  })

  it('says why Istio was not detected', async () => {
    const {stdout} = await runCommand(Version, [], fakeContext({kube: new FakeKube([])}))
    assert.match(stdout, /Istio Version: not detected \(no istiod Deployment found \(label app=istiod\)\)/)
  })

  it('an unreachable cluster is one line and exit 3', async () => {
    const kube = new FakeKube()
    kube.serverVersion = async () => {
      throw new ClusterError('The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?')
    }
    const {stdout, stderr, exitCode} = await runCommand(Version, [], fakeContext({kube}))
    assert.equal(exitCode, 3)
    assert.equal(stdout, '')
    assert.equal(stderr.trim().split('\n').length, 1)
    assert.match(stderr, /^error: The connection to the server 127\.0\.0\.1:1 was refused/)
  })

  it('an unknown output format is a usage error (exit 2)', async () => {
    const {stderr, exitCode} = await runCommand(Version, ['--client', '-o', 'xml'])
    assert.equal(exitCode, 2)
    assert.match(stderr, /error: Expected --output=xml to be one of: table, wide, yaml, json/)
  })
})
