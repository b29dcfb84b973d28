import assert from 'node:assert/strict'
import http from 'node:http'
import {describe, it} from 'node:test'
import nock from 'nock'
import {createKubeClient} from '../../../src/kube/connect.ts'
import {KubeApiError} from '../../../src/kube/api-errors.ts'
import type {KubeObject} from '../../../src/kube/objects.ts'
import {ClusterError, ExitCode, GwError} from '../../../src/errors.ts'
import {writeTestKubeconfig} from '../../helpers/kubeconfig.ts'
import {nockServer, rejection as rejectionOf, useNockedKube} from '../../helpers/nock-kube.ts'

const server = nockServer

const vsResources = {
  kind: 'APIResourceList',
  groupVersion: 'networking.istio.io/v1',
  resources: [{name: 'virtualservices', kind: 'VirtualService', namespaced: true, verbs: ['get', 'list', 'create', 'patch', 'update', 'delete'], shortNames: ['vs']}],
}

function status(code: number, reason: string, message: string, causes?: {field: string; message: string}[]) {
  return {kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message, ...(causes ? {details: {causes}} : {})}
}

const vsRef = {apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', namespace: 'shop', name: 'cart'}
type Vs = KubeObject & {spec?: {hosts?: string[]}}
const vsPath = '/apis/networking.istio.io/v1/namespaces/shop/virtualservices'

const rejection = (promise: Promise<unknown>) => rejectionOf(promise, GwError)

describe('kube client over nock (the HTTP stack really is intercepted)', () => {
  const {client} = useNockedKube()

  it('sends the bearer token and reads the body through the intercepted socket', async () => {
    nock(server, {reqheaders: {authorization: 'Bearer secret-token'}})
      .get('/version')
      .reply(200, {major: '1', minor: '32', gitVersion: 'v1.32.4'})
    assert.equal((await client().serverVersion()).gitVersion, 'v1.32.4')
  })

  it('follows continue tokens when listing', async () => {
    nock(server).get('/apis/networking.istio.io/v1').reply(200, vsResources)
    nock(server)
      .get(vsPath)
      .query({limit: '500'})
      .reply(200, {items: [{metadata: {name: 'a'}}], metadata: {continue: 'page2'}})
    nock(server)
      .get(vsPath)
      .query({limit: '500', continue: 'page2'})
      .reply(200, {items: [{metadata: {name: 'b'}}], metadata: {}})
    const items = await client().list('networking.istio.io/v1', 'VirtualService', {namespace: 'shop'})
    assert.deepEqual(
      items.map((i) => [i.metadata.name, i.kind]),
      [
        ['a', 'VirtualService'],
        ['b', 'VirtualService'],
      ],
    )
  })

  it('401: says the credentials were rejected, exit 3', async () => {
    nock(server).get('/version').reply(401, status(401, 'Unauthorized', 'Unauthorized'))
    const error = await rejection(client().serverVersion())
    assert.equal(error.exitCode, ExitCode.cluster)
    assert.match(error.message, /You must be logged in to the server \(Unauthorized\)/)
  })

  it('403: names the verb and resource and how to check it, exit 3', async () => {
    nock(server).get('/apis/networking.istio.io/v1').reply(200, vsResources)
    nock(server)
      .get(vsPath)
      .query(true)
      .reply(403, status(403, 'Forbidden', 'virtualservices.networking.istio.io is forbidden: User "dev" cannot list resource "virtualservices"'))
    const error = await rejection(client().list('networking.istio.io/v1', 'VirtualService', {namespace: 'shop'}))
    assert.equal(error.exitCode, ExitCode.cluster)
    assert.match(error.message, /cannot list virtualservices\.networking\.istio\.io in namespace "shop"/)
    assert.equal(error.hint, 'check with: kubectl auth can-i list virtualservices.networking.istio.io -n shop')
  })

  it('404 on get is "absent", not an error', async () => {
    nock(server).get('/apis/networking.istio.io/v1').reply(200, vsResources)
    nock(server).get(`${vsPath}/cart`).reply(404, status(404, 'NotFound', 'virtualservices.networking.istio.io "cart" not found'))
    assert.equal(await client().get(vsRef), undefined)
  })

  it('a kind the server does not serve is a usage error naming it', async () => {
    nock(server).get('/apis/networking.istio.io/v1').reply(404, status(404, 'NotFound', 'the server could not find the requested resource'))
    const error = await rejection(client().list('networking.istio.io/v1', 'VirtualService'))
    assert.equal(error.exitCode, ExitCode.usage)
    assert.match(error.message, /doesn't have a resource type "VirtualService" in networking\.istio\.io\/v1/)
    assert.match(error.hint ?? '', /is Istio installed/)
  })

  it('409 on a guarded update is retried with a fresh read', async () => {
    nock(server).get('/apis/networking.istio.io/v1').reply(200, vsResources)
    nock(server).get(`${vsPath}/cart`).reply(200, {apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: {name: 'cart', namespace: 'shop', resourceVersion: '1'}, spec: {}})
    nock(server)
      .put(`${vsPath}/cart`, (body: {metadata: {resourceVersion: string}}) => body.metadata.resourceVersion === '1')
      .query(true)
      .reply(409, status(409, 'Conflict', 'the object has been modified; please apply your changes to the latest version and try again'))
    nock(server).get(`${vsPath}/cart`).reply(200, {apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: {name: 'cart', namespace: 'shop', resourceVersion: '2'}, spec: {}})
    nock(server)
      .put(`${vsPath}/cart`, (body: {metadata: {resourceVersion: string}; spec: {hosts: string[]}}) => body.metadata.resourceVersion === '2' && body.spec.hosts[0] === 'x')
      .query(true)
      .reply(async (request: Request) => [200, {...((await request.json()) as object), metadata: {name: 'cart', namespace: 'shop', resourceVersion: '3'}}])
    const updated = await client().update<Vs>(vsRef, (vs) => ({...vs, spec: {hosts: ['x']}}))
    assert.equal(updated.metadata.resourceVersion, '3')
  })

  it('409 that persists: exit 1 with the server message', async () => {
    nock(server).get('/apis/networking.istio.io/v1').reply(200, vsResources)
    nock(server).get(`${vsPath}/cart`).times(2).reply(200, {apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: {name: 'cart', namespace: 'shop', resourceVersion: '1'}})
    nock(server).put(`${vsPath}/cart`).query(true).times(2).reply(409, status(409, 'Conflict', 'the object has been modified'))
    const error = await rejection(client().update(vsRef, (vs) => vs, {attempts: 2}))
    assert.equal(error.exitCode, ExitCode.jobFailed)
    assert.match(error.message, /Error from server \(Conflict\): the object has been modified/)
  })

  it('422: names the field, exit 2', async () => {
    nock(server).get('/apis/networking.istio.io/v1').reply(200, vsResources)
    nock(server)
      .patch(`${vsPath}/cart`)
      .query({fieldManager: 'kubectl-gw'})
      .reply(422, status(422, 'Invalid', 'VirtualService.networking.istio.io "cart" is invalid: spec.http[0].route[0].weight: Invalid value: -5', [{field: 'spec.http[0].route[0].weight', message: 'Invalid value: -5'}]))
    const error = await rejection(client().apply({...vsRef, metadata: {name: 'cart', namespace: 'shop'}, spec: {}}))
    assert.equal(error.exitCode, ExitCode.usage)
    assert.match(error.message, /spec\.http\[0\]\.route\[0\]\.weight: Invalid value: -5/)
    assert.deepEqual((error as KubeApiError).causes.map((c) => c.field), ['spec.http[0].route[0].weight'])
  })

  it('500: the server is failing, exit 3', async () => {
    nock(server).get('/version').reply(500, status(500, 'InternalError', 'etcdserver: request timed out'))
    const error = await rejection(client().serverVersion())
    assert.equal(error.exitCode, ExitCode.cluster)
    assert.equal(error.message, 'Error from server (InternalError): etcdserver: request timed out')
  })

  it('server-side apply sends the apply content type, field manager and force', async () => {
    nock(server).get('/apis/networking.istio.io/v1').reply(200, vsResources)
    nock(server, {reqheaders: {'content-type': 'application/apply-patch+yaml'}})
      .patch(`${vsPath}/cart`)
      .query({fieldManager: 'kubectl-gw', force: 'true', dryRun: 'All'})
      .reply(200, {...vsRef, metadata: {name: 'cart', namespace: 'shop', resourceVersion: '9'}})
    const applied = await client().apply<KubeObject>({...vsRef, metadata: {name: 'cart', namespace: 'shop'}}, {force: true, dryRun: true})
    assert.equal(applied.metadata.resourceVersion, '9')
  })
})

describe('kube client against real sockets', () => {
  it('a server that never answers times out with --request-timeout, exit 3', async () => {
    const silent = http.createServer(() => undefined)
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const port = (silent.address() as {port: number}).port
    const config = writeTestKubeconfig({server: `http://127.0.0.1:${port}`})
    const kube = createKubeClient({selection: {kubeconfig: config, env: {}}, requestTimeoutMs: 300})
    try {
      const error = await rejection(kube.serverVersion())
      assert.ok(error instanceof ClusterError)
      assert.match(error.message, /did not answer within 0\.3s/)
    } finally {
      kube.close()
      silent.closeAllConnections()
      silent.close()
    }
  })

  it('a refused connection says so, exit 3', async () => {
    const probe = http.createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const port = (probe.address() as {port: number}).port
    await new Promise((resolve) => probe.close(resolve))
    const config = writeTestKubeconfig({server: `https://127.0.0.1:${port}`})
    const kube = createKubeClient({selection: {kubeconfig: config, env: {}}, requestTimeoutMs: 0})
    const error = await rejection(kube.serverVersion())
    kube.close()
    assert.equal(error.exitCode, ExitCode.cluster)
    assert.match(error.message, new RegExp(`The connection to the server 127\\.0\\.0\\.1:${port} was refused`))
  })
})
