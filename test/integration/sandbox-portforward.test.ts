import assert from 'node:assert/strict'
import {spawn, type ChildProcess} from 'node:child_process'
import http from 'node:http'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'
import type {PodHttpRequest, SimulatedMesh} from '../../src/sandbox/mesh-contract.ts'
import {sandboxKubeconfig, startSandbox, type RunningSandbox} from '../../src/sandbox/sandbox.ts'
import {kubectlBin} from '../helpers/sandbox.ts'

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const {port} = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

function get(port: number, requestPath: string, body?: string): Promise<{status: number; body: string}> {
  return new Promise((resolve, reject) => {
    const request = http.request({host: '127.0.0.1', port, path: requestPath, method: body ? 'POST' : 'GET', agent: false}, (response) => {
      let text = ''
      response.on('data', (c) => (text += c))
      response.on('end', () => resolve({status: response.statusCode ?? 0, body: text}))
    })
    request.on('error', reject)
    request.end(body)
  })
}

/** Resolves when kubectl prints "Forwarding from 127.0.0.1:PORT". */
function forwarding(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = ''
    child.stdout!.on('data', (chunk) => {
      output += chunk
      if (output.includes('Forwarding from 127.0.0.1')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`kubectl port-forward exited (${code}) before forwarding: ${output}`)))
  })
}

describe('kubectl port-forward to a sandbox pod (SPDY/3.1) reaches the mesh', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gw-sandbox-pf-'))
  const seen: PodHttpRequest[] = []
  const mesh: SimulatedMesh = {
    handlePodRequest: async (request) => {
      seen.push(request)
      if (request.port !== 15000) return undefined
      return {status: 200, headers: {'content-type': 'text/plain'}, body: `${request.method} ${request.path} on ${request.pod}${request.body ? ` body=${request.body.toString()}` : ''}`}
    },
    scrape: () => '',
    start: () => undefined,
    stop: () => undefined,
  }
  let sandbox: RunningSandbox
  let kubectl: ChildProcess
  let localPort: number
  let pod: string
  before(async () => {
    sandbox = await startSandbox({stateDir: dir, port: 0, world: 'empty', istioVersion: '1.28', meshFactory: () => mesh})
    const kubeconfig = path.join(dir, 'kubeconfig')
    writeFileSync(kubeconfig, sandboxKubeconfig(sandbox), {mode: 0o600})
    pod = sandbox.server.store.list('', 'Pod', 'istio-system').find((p) => p.metadata.labels?.istio === 'ingressgateway')!.metadata.name
    localPort = await freePort()
    kubectl = spawn(kubectlBin, ['port-forward', `pod/${pod}`, `${localPort}:15000`, '-n', 'istio-system', '--address', '127.0.0.1'], {env: {PATH: process.env.PATH, HOME: dir, KUBECONFIG: kubeconfig}})
    await forwarding(kubectl)
  })
  after(async () => {
    kubectl.kill('SIGTERM')
    await sandbox.close()
    rmSync(dir, {recursive: true, force: true})
  })

  it('bridges each forwarded connection\'s HTTP/1.1 requests to mesh.handlePodRequest', async () => {
    const first = await get(localPort, '/server_info')
    assert.equal(first.status, 200)
    assert.equal(first.body, `GET /server_info on ${pod}`)
    const second = await get(localPort, '/logging?level=debug', 'x=1')
    assert.equal(second.body, `POST /logging on ${pod} body=x=1`)
    const last = seen.at(-1)!
    assert.equal(last.namespace, 'istio-system')
    assert.equal(last.port, 15000)
    assert.equal(last.query.get('level'), 'debug')
  })

  it('carries a large response through SPDY data frames intact', async () => {
    const big = 'x'.repeat(300_000)
    const original = mesh.handlePodRequest
    mesh.handlePodRequest = async (request) => ({status: 200, headers: {'content-type': 'text/plain'}, body: request.path === '/config_dump' ? big : ''})
    try {
      const response = await get(localPort, '/config_dump')
      assert.equal(response.body.length, big.length)
    } finally {
      mesh.handlePodRequest = original
    }
  })
})
