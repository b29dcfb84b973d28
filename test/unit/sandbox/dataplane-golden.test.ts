import assert from 'node:assert/strict'
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import {duplexPair} from 'node:stream'
import {describe, it} from 'node:test'
import type {SandboxMesh} from '../../../src/sandbox/mesh/index.ts'
import {seedMesh} from '../../helpers/mesh-probe.ts'
import {repoRoot} from '../../helpers/paths.ts'

/**
 * Golden answers of the gateway for the seed 000 examples: real HTTP/1.1 requests into the gateway
 * pod's listener on 8080 (what a port-forward carries), and what comes back: status, redirect
 * location, which workload and version answered, and the path the backend saw. GW_UPDATE_GOLDEN=1
 * rewrites the files; otherwise any drift fails.
 */

const goldenDir = path.join(repoRoot, 'test', 'golden', 'sandbox')
const update = process.env.GW_UPDATE_GOLDEN === '1'

interface Probe {
  host: string
  path: string
  headers?: Record<string, string>
  /** Send it this many times and count who answered (weighted routes). */
  times?: number
}

const cases: {name: string; objects: [string, string][]; probes: Probe[]}[] = [
  {name: 'seed000-basic-http', objects: [['Gateway', 'httpbin-gateway'], ['VirtualService', 'httpbin-vs']], probes: [
    {host: 'httpbin.example.com', path: '/get'},
    {host: 'httpbin.example.com', path: '/status/418'},
    {host: 'api.example.com', path: '/get'},
    {host: 'unknown.example.com', path: '/get'},
  ]},
  {name: 'seed000-multi-host', objects: [['Gateway', 'multi-host-gateway'], ['VirtualService', 'api-vs'], ['VirtualService', 'web-vs'], ['VirtualService', 'admin-vs']], probes: [
    {host: 'api.example.com', path: '/users'},
    {host: 'web.example.com:8080', path: '/'},
    {host: 'admin.example.com', path: '/admin'},
  ]},
  {name: 'seed000-wildcard', objects: [['Gateway', 'wildcard-gateway'], ['VirtualService', 'wildcard-routing']], probes: [
    {host: 'api.example.com', path: '/v1'},
    {host: 'web.example.com', path: '/'},
    {host: 'blog.example.com', path: '/post'},
    {host: 'example.com', path: '/'},
  ]},
  {name: 'seed000-canary-and-resilience', objects: [['Gateway', 'httpbin-gateway'], ['VirtualService', 'canary-deployment'], ['DestinationRule', 'app-service-dr'], ['VirtualService', 'resilient-routing'], ['VirtualService', 'path-based-routing']], probes: [
    {host: 'app.example.com', path: '/', times: 20},
    {host: 'app.example.com', path: '/api/users'},
    {host: 'app.example.com', path: '/static/app.js'},
    {host: 'app.example.com', path: '/health'},
    {host: 'app.example.com', path: '/healthz'},
    {host: 'app.example.com', path: '/v2/items'},
    {host: 'app.example.com', path: '/v2'},
    {host: 'api.example.com', path: '/api/v1/orders'},
    {host: 'api.example.com', path: '/other'},
  ]},
]

function send(mesh: SandboxMesh, pod: string, probe: Probe): Promise<{status: number; headers: http.IncomingHttpHeaders; body: string}> {
  const [local, remote] = duplexPair()
  assert.ok(mesh.connectPod!('istio-system', pod, 8080, remote), 'the gateway listens on 8080')
  return new Promise((resolve, reject) => {
    const request = http.request({createConnection: () => local, path: probe.path, headers: {host: probe.host, connection: 'close', ...probe.headers}}, (response) => {
      let body = ''
      response.on('data', (chunk) => (body += chunk))
      response.on('end', () => resolve({status: response.statusCode ?? 0, headers: response.headers, body}))
    })
    request.on('error', reject)
    request.end()
  })
}

async function answers(objects: [string, string][], probes: Probe[]): Promise<unknown[]> {
  const {mesh, pod} = seedMesh(objects)
  const out: unknown[] = []
  for (const probe of probes) {
    const seen: Record<string, number> = {}
    let first: Record<string, unknown> | undefined
    for (let i = 0; i < (probe.times ?? 1); i++) {
      const response = await send(mesh, pod, probe)
      let served: Record<string, unknown> = {}
      try {
        const json = JSON.parse(response.body)
        served = {workload: json.served_by.workload, version: json.served_by.version, upstreamPath: json.path}
      } catch {
        served = response.body ? {body: response.body} : {}
      }
      const answer = {status: response.status, ...(response.headers.location ? {location: response.headers.location} : {}), ...served}
      first ??= answer
      const key = `${answer.status} ${String(served.workload ?? '-')} ${String(served.version ?? '-')}`
      seen[key] = (seen[key] ?? 0) + 1
    }
    out.push({request: `GET ${probe.host}${probe.path}`, ...(probe.times ? {answeredBy: seen} : first)})
  }
  return out
}

describe('what the sandbox gateway answers for the seed 000 examples (golden)', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const actual = `${JSON.stringify(await answers(c.objects, c.probes), null, 2)}\n`
      const file = path.join(goldenDir, `${c.name}.answers.json`)
      if (update || !fs.existsSync(file)) {
        assert.ok(update, `golden file ${path.relative(repoRoot, file)} is missing; run with GW_UPDATE_GOLDEN=1 to create it`)
        fs.writeFileSync(file, actual)
      }
      assert.equal(actual, fs.readFileSync(file, 'utf8'), `the gateway's answers drifted from ${path.relative(repoRoot, file)} (GW_UPDATE_GOLDEN=1 to accept)`)
    })
  }
})
