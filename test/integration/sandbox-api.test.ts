import assert from 'node:assert/strict'
import https from 'node:https'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'
import {createKubeClient} from '../../src/kube/connect.ts'
import {applyObjects} from '../../src/kube/apply.ts'
import type {KubeClient} from '../../src/kube/client.ts'
import type {KubeObject} from '../../src/kube/objects.ts'
import type {SimulatedMesh} from '../../src/sandbox/mesh-contract.ts'
import {SandboxApiServer} from '../../src/sandbox/api/server.ts'
import {ObjectStore} from '../../src/sandbox/api/store.ts'
import {startTestSandbox, type TestSandbox} from '../helpers/sandbox.ts'

const virtualService = (name: string, hosts: string[]): KubeObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: {name, namespace: 'default'},
  spec: {hosts, gateways: ['httpbin-gateway'], http: [{route: [{destination: {host: 'httpbin', port: {number: 80}}}]}]},
})

describe("kubectl-gw's own kube layer against the sandbox", () => {
  let t: TestSandbox
  let kube: KubeClient
  before(async () => {
    t = await startTestSandbox({world: 'empty'})
    kube = createKubeClient({selection: {kubeconfig: t.kubeconfig, env: {}}, requestTimeoutMs: 10_000})
  })
  after(async () => {
    kube.close()
    await t.close()
  })

  it('lists with pagination', async () => {
    for (let i = 0; i < 25; i++) await kube.create(virtualService(`page-${String(i).padStart(2, '0')}`, [`p${i}.example.com`]))
    const all = await kube.list('networking.istio.io/v1', 'VirtualService', {namespace: 'default', pageSize: 7})
    assert.equal(all.length, 25)
    assert.deepEqual(all.map((o) => o.metadata.name), [...all.map((o) => o.metadata.name)].sort(), 'stable order across pages')
    const selected = await kube.list('v1', 'Pod', {labelSelector: 'istio in (ingressgateway,egressgateway)'})
    assert.equal(selected.length, 3)
  })

  it('applies twice through applyObjects: created, then unchanged', async () => {
    const objects = [virtualService('tool-vs', ['tool.example.com'])]
    const first = await applyObjects(kube, objects)
    assert.equal(first[0]!.action, 'created')
    const second = await applyObjects(kube, objects)
    assert.equal(second[0]!.action, 'unchanged')
    const third = await applyObjects(kube, [virtualService('tool-vs', ['tool2.example.com'])])
    assert.equal(third[0]!.action, 'configured')
  })

  it('refuses a guarded update with a stale resourceVersion (409), and update() retries it', async () => {
    const current = (await kube.get({apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', namespace: 'default', name: 'tool-vs'}))!
    await kube.patch({apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', namespace: 'default', name: 'tool-vs'}, {metadata: {labels: {bumped: 'yes'}}}, 'merge')
    await assert.rejects(kube.replace(current), (error: {status?: number}) => error.status === 409)
    const updated = await kube.update<KubeObject>({apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', namespace: 'default', name: 'tool-vs'}, (vs) => ({...vs, spec: {...(vs.spec as object), hosts: ['updated.example.com']}}))
    assert.deepEqual((updated.spec as {hosts: string[]}).hosts, ['updated.example.com'])
  })

  it('streams watch events from a resourceVersion', async () => {
    const list = JSON.parse((await kube.getRaw('/apis/networking.istio.io/v1/namespaces/default/virtualservices', {verb: 'list', resource: 'virtualservices'}, {limit: 1})).toString()) as {metadata: {resourceVersion: string}}
    const events: {type: string; object: KubeObject}[] = []
    const done = new Promise<void>((resolve, reject) => {
      const request = https.get(`${t.sandbox.url}/apis/networking.istio.io/v1/namespaces/default/virtualservices?watch=1&resourceVersion=${list.metadata.resourceVersion}&fieldSelector=metadata.name%3Dwatched`, {ca: t.sandbox.pki.caCertPem, headers: {Authorization: `Bearer ${t.sandbox.token}`}}, (response) => {
        let buffer = ''
        response.on('data', (chunk) => {
          buffer += chunk
          for (let newline = buffer.indexOf('\n'); newline >= 0; newline = buffer.indexOf('\n')) {
            events.push(JSON.parse(buffer.slice(0, newline)))
            buffer = buffer.slice(newline + 1)
            if (events.length === 3) {
              request.destroy()
              resolve()
            }
          }
        })
      })
      request.on('error', (error) => (events.length === 3 ? undefined : reject(error)))
    })
    const ref = {apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', namespace: 'default', name: 'watched'}
    await kube.create(virtualService('watched', ['w.example.com']))
    await kube.patch(ref, {spec: {hosts: ['w2.example.com']}}, 'merge')
    await kube.delete(ref)
    await done
    assert.deepEqual(events.map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED'])
    assert.equal(events[1]!.object.apiVersion, 'networking.istio.io/v1')
  })

  it('ends the initial state of a WatchList with an initial-events-end bookmark', async () => {
    const events = await new Promise<{type: string; object: KubeObject}[]>((resolve, reject) => {
      const seen: {type: string; object: KubeObject}[] = []
      const request = https.get(`${t.sandbox.url}/api/v1/namespaces/istio-system/pods?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&labelSelector=istio%3Dingressgateway`, {ca: t.sandbox.pki.caCertPem, headers: {Authorization: `Bearer ${t.sandbox.token}`}}, (response) => {
        let buffer = ''
        response.on('data', (chunk) => {
          buffer += chunk
          for (let newline = buffer.indexOf('\n'); newline >= 0; newline = buffer.indexOf('\n')) {
            const event = JSON.parse(buffer.slice(0, newline)) as {type: string; object: KubeObject}
            buffer = buffer.slice(newline + 1)
            seen.push(event)
            if (event.type === 'BOOKMARK') {
              request.destroy()
              resolve(seen)
            }
          }
        })
      })
      request.on('error', (error) => (seen.at(-1)?.type === 'BOOKMARK' ? undefined : reject(error)))
    })
    assert.deepEqual(events.map((e) => e.type), ['ADDED', 'ADDED', 'BOOKMARK'])
    assert.equal(events[2]!.object.metadata.annotations?.['k8s.io/initial-events-end'], 'true')
  })

  it('serves only the Istio versions of the simulated release', async () => {
    const old = await startTestSandbox({world: 'empty', istioVersion: '1.21'})
    try {
      const groups = await old.kubectl(['api-versions'])
      assert.match(groups.stdout, /networking.istio.io\/v1beta1/)
      assert.doesNotMatch(groups.stdout, /networking.istio.io\/v1\n/)
      const image = await old.kubectl(['get', 'deploy', 'istiod', '-n', 'istio-system', '-o', 'jsonpath={.spec.template.spec.containers[0].image}'])
      assert.equal(image.stdout, 'docker.io/istio/pilot:1.21.0')
    } finally {
      await old.close()
    }
  })
})

describe('sandbox state', () => {
  it('survives close and restart (atomic state file)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gw-sandbox-state-'))
    try {
      const first = await startTestSandbox({world: 'empty', dir})
      await first.kubectl(['create', 'configmap', 'kept', '--from-literal=a=b'])
      const uid = (await first.kubectl(['get', 'cm', 'kept', '-o', 'jsonpath={.metadata.uid}'])).stdout
      await first.close()
      const saved = JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')) as {objects: {object: {metadata: {name: string}}}[]}
      assert.ok(saved.objects.some((o) => o.object.metadata.name === 'kept'))
      const second = await startTestSandbox({world: 'empty', dir})
      try {
        assert.equal((await second.kubectl(['get', 'cm', 'kept', '-o', 'jsonpath={.metadata.uid}'])).stdout, uid)
        const pods = await second.kubectl(['get', 'pods', '-n', 'istio-system', '-o', 'name'])
        assert.equal(pods.stdout.trim().split('\n').length, 4, 'no duplicate pods after restart')
      } finally {
        await second.close()
      }
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})

describe('the mesh seam', () => {
  it('routes the pod proxy to mesh.handlePodRequest and the service proxy to an endpoint pod', async () => {
    const seen: {pod: string; port: number; path: string}[] = []
    const mesh: SimulatedMesh = {
      handlePodRequest: async (request) => {
        seen.push({pod: request.pod, port: request.port, path: request.path})
        return request.port === 15000 ? {status: 200, headers: {'content-type': 'application/json'}, body: '{"state":"LIVE"}'} : undefined
      },
      scrape: () => 'istio_requests_total 1\n',
      start: () => undefined,
      stop: () => undefined,
    }
    const t = await startTestSandbox({world: 'empty'})
    const server = new SandboxApiServer({port: 0, token: 'seam-token', pki: t.sandbox.pki, store: t.sandbox.server.store as ObjectStore, meshFactory: () => mesh})
    const port = await server.listen()
    try {
      const get = (p: string) =>
        new Promise<{status: number; body: string}>((resolve, reject) => {
          https.get(`https://127.0.0.1:${port}${p}`, {ca: t.sandbox.pki.caCertPem, headers: {Authorization: 'Bearer seam-token'}}, (response) => {
            let body = ''
            response.on('data', (c) => (body += c))
            response.on('end', () => resolve({status: response.statusCode ?? 0, body}))
          }).on('error', reject)
        })
      const pod = t.sandbox.server.store.list('', 'Pod', 'istio-system').find((p) => p.metadata.labels?.istio === 'ingressgateway')!
      const admin = await get(`/api/v1/namespaces/istio-system/pods/${pod.metadata.name}:15000/proxy/server_info`)
      assert.equal(admin.status, 200)
      assert.equal(admin.body, '{"state":"LIVE"}')
      const refused = await get(`/api/v1/namespaces/istio-system/pods/${pod.metadata.name}:9999/proxy/`)
      assert.equal(refused.status, 503)
      assert.match(refused.body, /connection refused/)
      const viaService = await get('/api/v1/namespaces/istio-system/services/istio-ingressgateway:status-port/proxy/healthz/ready')
      assert.equal(viaService.status, 503, 'the mock refuses 15021')
      const gatewayPods = t.sandbox.server.store.list('', 'Pod', 'istio-system').filter((p) => p.metadata.labels?.istio === 'ingressgateway').map((p) => p.metadata.name)
      const last = seen.at(-1)!
      assert.equal(gatewayPods.length, 2)
      assert.ok(gatewayPods.includes(last.pod), `the service proxy reached an ingress gateway pod (${last.pod}; endpoints: ${gatewayPods.join(', ')})`)
      assert.deepEqual({port: last.port, path: last.path}, {port: 15021, path: '/healthz/ready'})
      assert.equal((await get('/metrics')).body, 'istio_requests_total 1\n')
    } finally {
      await server.close()
      await t.close()
    }
  })
})
