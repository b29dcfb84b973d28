/**
 * Sandbox API figures for the README:
 *  - time from `kubectl gw sandbox up --detach` to ready (the built CLI, fresh state dir);
 *  - creates, 20 concurrent and one at a time: what acknowledging only fsynced writes costs;
 *  - requests per second for GET of one VirtualService and LIST of 1,000 VirtualServices,
 *    over keep-alive HTTPS with the bearer token, as a client like kubectl-gw makes them.
 * Run: npm run build && node bench/sandbox-api.ts
 */
import {execFileSync} from 'node:child_process'
import https from 'node:https'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const gwBin = path.join(repoRoot, 'bin', 'kubectl-gw')
const stateDir = mkdtempSync(path.join(os.tmpdir(), 'gw-sandbox-bench-'))
const env = {...process.env, KUBECTL_GW_SANDBOX_DIR: stateDir}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

try {
  const startups: number[] = []
  for (let i = 0; i < 3; i++) {
    const started = performance.now()
    execFileSync(gwBin, ['sandbox', 'up', '--detach', '--reset'], {env, stdio: 'ignore'})
    startups.push(performance.now() - started)
    if (i < 2) execFileSync(gwBin, ['sandbox', 'down'], {env, stdio: 'ignore'})
  }
  const status = JSON.parse(execFileSync(gwBin, ['sandbox', 'status', '-o', 'json'], {env}).toString()) as {url: string}
  const token = readFileSync(path.join(stateDir, 'token'), 'utf8').trim()
  const ca = readFileSync(path.join(stateDir, 'ca.crt'), 'utf8')
  const agent = new https.Agent({keepAlive: true, maxSockets: 8, ca})
  const request = (method: string, requestPath: string, body?: unknown) =>
    new Promise<{status: number; bytes: number}>((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body)
      const req = https.request(`${status.url}${requestPath}`, {method, agent, headers: {Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json'}}, (res) => {
        let bytes = 0
        res.on('data', (c: Buffer) => (bytes += c.length))
        res.on('end', () => resolve({status: res.statusCode ?? 0, bytes}))
      })
      req.on('error', reject)
      req.end(data)
    })
  const base = '/apis/networking.istio.io/v1/namespaces/default/virtualservices'
  const createStarted = performance.now()
  for (let i = 0; i < 1000; i += 20) {
    await Promise.all(
      Array.from({length: 20}, (_, j) =>
        request('POST', base, {
          apiVersion: 'networking.istio.io/v1',
          kind: 'VirtualService',
          metadata: {name: `bench-vs-${String(i + j).padStart(4, '0')}`, namespace: 'default', labels: {bench: 'yes'}},
          spec: {hosts: [`h${i + j}.example.com`], gateways: ['bench-gw'], http: [{route: [{destination: {host: 'httpbin', port: {number: 80}}, weight: 100}]}]},
        }),
      ),
    )
  }
  const createMs = performance.now() - createStarted
  // One at a time: each write waits for its own fsync before the next is sent (the worst case for durability).
  const serial: number[] = []
  for (let i = 0; i < 200; i++) {
    const started = performance.now()
    const response = await request('POST', '/api/v1/namespaces/default/configmaps', {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: `bench-cm-${i}`}, data: {i: String(i)}})
    if (response.status !== 201) throw new Error(`serial create: HTTP ${response.status}`)
    serial.push(performance.now() - started)
  }
  const sortedSerial = [...serial].sort((a, b) => a - b)
  const percentile = (p: number) => sortedSerial[Math.min(sortedSerial.length - 1, Math.floor((p / 100) * sortedSerial.length))]!
  async function rate(label: string, requestPath: string, seconds: number, concurrency: number): Promise<string> {
    let count = 0
    let bytes = 0
    const deadline = performance.now() + seconds * 1000
    await Promise.all(
      Array.from({length: concurrency}, async () => {
        while (performance.now() < deadline) {
          const response = await request('GET', requestPath)
          if (response.status !== 200) throw new Error(`${label}: HTTP ${response.status}`)
          count++
          bytes = response.bytes
        }
      }),
    )
    return `${label}: ${(count / seconds).toFixed(0)} req/s (${concurrency} concurrent, ${(bytes / 1024).toFixed(0)} KiB per response)`
  }
  const results = [
    `sandbox up --detach to ready: median ${median(startups).toFixed(0)} ms (runs: ${startups.map((s) => s.toFixed(0)).join(', ')} ms; demo world, fresh state)`,
    `create 1,000 VirtualServices (validated): ${createMs.toFixed(0)} ms (${((1000 / createMs) * 1000).toFixed(0)} creates/s, 20 concurrent)`,
    `create 200 ConfigMaps one at a time: p50 ${percentile(50).toFixed(1)} ms, p99 ${percentile(99).toFixed(1)} ms per create (${((200 / serial.reduce((a, b) => a + b, 0)) * 1000).toFixed(0)} creates/s)`,
    await rate('GET one VirtualService', `${base}/bench-vs-0500`, 3, 8),
    await rate('LIST 1,000 VirtualServices', base, 5, 4),
    await rate('LIST 1,000 VirtualServices with labelSelector, limit=500 pages', `${base}?labelSelector=bench%3Dyes&limit=500`, 3, 4),
  ]
  console.log(`node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'})`)
  for (const line of results) console.log(line)
  agent.destroy()
} finally {
  try {
    execFileSync(gwBin, ['sandbox', 'down'], {env, stdio: 'ignore'})
  } finally {
    rmSync(stateDir, {recursive: true, force: true})
  }
}
