/**
 * Sandbox data plane figures for the README: requests per second through `kubectl port-forward` to
 * the ingress gateway Service, and the latency the port-forward path adds per request.
 *  - in process: the gateway's own work (HTTP parse, route, httpbin backend, stats, access log) on an
 *    in-memory connection, no network: the floor;
 *  - kubectl port-forward over WebSocket (kubectl 1.31+ default) and over SPDY
 *    (KUBECTL_PORT_FORWARD_WEBSOCKETS=false), plain HTTP and TLS (SIMPLE), keep-alive client.
 * The sandbox runs as `kubectl gw sandbox up --detach` (its own process), kubectl is the real one.
 * Run: npm run build && node bench/sandbox-dataplane.ts
 */
import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import os from 'node:os'
import path from 'node:path'
import {duplexPair} from 'node:stream'
import {fileURLToPath} from 'node:url'
import {createSimulatedMesh} from '../src/sandbox/mesh/index.ts'
import {startSandbox} from '../src/sandbox/sandbox.ts'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const gwBin = path.join(repoRoot, 'bin', 'kubectl-gw')
const stateDir = mkdtempSync(path.join(os.tmpdir(), 'gw-dataplane-bench-'))
const kubeconfig = path.join(stateDir, 'kubeconfig')
const env = {...process.env, KUBECTL_GW_SANDBOX_DIR: stateDir, KUBECONFIG: kubeconfig, CI: 'true'}
const sequential = 400
const concurrentTotal = 2000
const concurrency = 8

const objects = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: bench-gateway, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [bench.example.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bench, namespace: default}
spec:
  hosts: [bench.example.com]
  gateways: [bench-gateway]
  http:
  - match: [{uri: {prefix: /api}}]
    rewrite: {uri: /anything}
    route: [{destination: {host: httpbin}}]
  - route: [{destination: {host: httpbin}}]
`

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!
}

type Send = () => Promise<number>

/** Sequential latencies (ms), then requests per second with `concurrency` requests in flight. */
async function measure(send: Send): Promise<{p50: number; p99: number; rps: number}> {
  for (let i = 0; i < 20; i++) await send()
  const latencies: number[] = []
  for (let i = 0; i < sequential; i++) {
    const started = performance.now()
    const status = await send()
    if (status !== 200) throw new Error(`unexpected status ${status}`)
    latencies.push(performance.now() - started)
  }
  let next = 0
  const started = performance.now()
  await Promise.all(Array.from({length: concurrency}, async () => {
    while (next++ < concurrentTotal) await send()
  }))
  const seconds = (performance.now() - started) / 1000
  return {p50: percentile(latencies, 50), p99: percentile(latencies, 99), rps: concurrentTotal / seconds}
}

function viaAgent(agent: http.Agent, url: string, options: https.RequestOptions = {}): Send {
  const client = url.startsWith('https:') ? https : http
  return () =>
    new Promise((resolve, reject) => {
      const req = client.request(url, {agent, headers: {host: 'bench.example.com'}, ...options}, (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      })
      req.on('error', reject)
      req.end()
    })
}

function portForward(extraEnv: Record<string, string>): Promise<{child: ChildProcess; http: number; https: number}> {
  const child = spawn('kubectl', ['port-forward', '--address', '127.0.0.1', 'svc/istio-ingressgateway', '-n', 'istio-system', ':80', ':443'], {env: {...env, ...extraEnv}})
  let text = ''
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      text += chunk
      const ports = new Map([...text.matchAll(/127\.0\.0\.1:(\d+) -> (\d+)/g)].map((m) => [Number(m[2]), Number(m[1])]))
      if (ports.size >= 2) resolve({child, http: ports.get(8080)!, https: ports.get(8443)!})
    })
    child.once('exit', (code) => reject(new Error(`kubectl port-forward exited ${code}: ${text}`)))
  })
}

const rows: string[] = []
const row = (label: string, m: {p50: number; p99: number; rps: number}) => rows.push(`| ${label} | ${m.p50.toFixed(2)} | ${m.p99.toFixed(2)} | ${Math.round(m.rps)} |`)

try {
  // The floor: the same gateway, in this process, on in-memory connections.
  const inProcessDir = mkdtempSync(path.join(os.tmpdir(), 'gw-dataplane-inproc-'))
  let mesh: ReturnType<typeof createSimulatedMesh> | undefined
  const local = await startSandbox({stateDir: inProcessDir, port: 0, world: 'demo', istioVersion: '1.28', meshFactory: (state) => (mesh = createSimulatedMesh(state, {timer: {setInterval: () => 0, clearInterval: () => undefined}}))})
  const {parseAllDocuments} = await import('yaml')
  for (const doc of parseAllDocuments(objects)) {
    const object = doc.toJS() as {apiVersion: string; kind: string; metadata: {namespace: string}}
    await local.server.api.create(local.server.typeOf(object.apiVersion.split('/')[0]!, object.kind), 'v1', object.metadata.namespace, object, {fieldManager: 'bench'})
  }
  const gatewayPod = local.server.store.list('', 'Pod', 'istio-system').find((p) => p.metadata.labels?.istio === 'ingressgateway')!.metadata.name
  const inProcessAgent = new http.Agent({keepAlive: true, maxSockets: concurrency})
  ;(inProcessAgent as unknown as {createConnection: () => unknown}).createConnection = () => {
    const [client, server] = duplexPair()
    mesh!.connectPod!('istio-system', gatewayPod, 8080, server)
    // The agent keeps sockets alive with net.Socket's knobs; an in-memory pair has nothing to tune.
    return Object.assign(client, {setKeepAlive: () => client, setNoDelay: () => client, setTimeout: () => client, ref: () => client, unref: () => client})
  }
  row('in process (gateway work only, no network)', await measure(viaAgent(inProcessAgent, 'http://bench.example.com/api/x')))
  inProcessAgent.destroy()
  await local.close()
  rmSync(inProcessDir, {recursive: true, force: true})

  execFileSync(gwBin, ['sandbox', 'up', '--detach', '--reset', '--kubeconfig-out', kubeconfig], {env, stdio: 'ignore'})
  execFileSync('kubectl', ['apply', '-f', '-'], {env, input: objects, stdio: ['pipe', 'ignore', 'inherit']})
  execFileSync(gwBin, ['scaffold', 'benchtls', '--host', 'benchtls.example.com', '--service', 'httpbin', '--tls', 'simple', '--generate-cert'], {env, stdio: 'ignore'})
  const ca = Buffer.from(execFileSync('kubectl', ['get', 'secret', 'benchtls-credential-ca', '-n', 'istio-system', '-o', 'jsonpath={.data.tls\\.crt}'], {env}).toString(), 'base64').toString()
  writeFileSync(path.join(stateDir, 'bench-ca.crt'), ca)
  for (const [label, extra] of [['WebSocket (kubectl 1.31+ default)', {}], ['SPDY (KUBECTL_PORT_FORWARD_WEBSOCKETS=false)', {KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false'}]] as const) {
    const forward = await portForward(extra)
    try {
      const agent = new http.Agent({keepAlive: true, maxSockets: concurrency})
      row(`port-forward over ${label}, HTTP`, await measure(viaAgent(agent, `http://127.0.0.1:${forward.http}/api/x`)))
      agent.destroy()
      const tlsAgent = new https.Agent({keepAlive: true, maxSockets: concurrency, ca})
      row(`port-forward over ${label}, HTTPS (SIMPLE)`, await measure(viaAgent(tlsAgent, `https://127.0.0.1:${forward.https}/get`, {headers: {host: 'benchtls.example.com'}, servername: 'benchtls.example.com'})))
      tlsAgent.destroy()
    } finally {
      forward.child.kill('SIGTERM')
    }
  }
  console.log(`node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim()}), kubectl ${execFileSync('kubectl', ['version', '--client', '-o', 'json']).toString().match(/"gitVersion": "([^"]+)"/)?.[1]}`)
  console.log(`${sequential} sequential requests for latency, then ${concurrentTotal} with ${concurrency} in flight (keep-alive) for req/s; GET through the gateway to httpbin`)
  console.log('| path | p50 ms | p99 ms | req/s |')
  console.log('|---|---:|---:|---:|')
  for (const line of rows) console.log(line)
  const floor = Number(rows[0]!.split('|')[2])
  for (const line of rows.slice(1)) console.log(`added by ${line.split('|')[1]!.trim()}: ${(Number(line.split('|')[2]) - floor).toFixed(2)} ms per request (p50)`)
} finally {
  try {
    execFileSync(gwBin, ['sandbox', 'down'], {env, stdio: 'ignore'})
  } catch {
    // not running
  }
  rmSync(stateDir, {recursive: true, force: true})
}
