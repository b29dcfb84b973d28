/**
 * doctor figures for the README:
 *  - `kubectl gw doctor` end to end (the built CLI, a separate process, all layers) against a
 *    sandbox holding 1,000 Gateways, 5,000 VirtualServices, 5,000 Services and 10 gateway pods:
 *    wall time, CPU time and peak RSS of the doctor process (/usr/bin/time), API requests it made
 *    (--verbose). The sandbox runs in this process with its traffic timer off (its steady stream
 *    re-translating 1,000 Gateways would be measured instead); one warm-up run lets its simulated
 *    istiod translate the config once, as a real istiod has long before doctor runs;
 *  - a 50 MB config_dump analysed offline (`--config-dump`): wall time end to end, and the parse +
 *    checks alone in-process.
 * Run: npm run build && node bench/doctor.ts
 */
import {execFile} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {bigConfigDump} from './big-config-dump.ts'
import {doctorChecks} from '../plugins/doctor-checks/index.ts'
import {runDoctorOffline} from '../src/doctor/doctor.ts'
import {systemClock} from '../src/context.ts'
import {createKubeClient} from '../src/kube/connect.ts'
import {createSimulatedMesh} from '../src/sandbox/mesh/index.ts'
import {sandboxFiles, sandboxKubeconfig, startSandbox} from '../src/sandbox/sandbox.ts'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const gwBin = path.join(repoRoot, 'bin', 'kubectl-gw')
const stateDir = mkdtempSync(path.join(os.tmpdir(), 'gw-doctor-bench-'))
const env = {...process.env}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number

/** Runs the CLI under /usr/bin/time: wall ms, peak RSS MB, stderr lines. */
async function timed(args: string[]): Promise<{ms: number; cpuMs: number; rssMb: number; stderr: string; stdout: string}> {
  const started = performance.now()
  const {stdout, stderr} = await new Promise<{stdout: string; stderr: string}>((resolve, reject) =>
    execFile('/usr/bin/time', ['-f', 'GW_TIME %M %U %S', gwBin, ...args], {env, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, timeout: 300_000}, (error, out, err) =>
      error && !/GW_TIME/.test(err) ? reject(error) : resolve({stdout: out, stderr: err}),
    ),
  )
  const ms = performance.now() - started
  const [, kb, user, sys] = stderr.match(/GW_TIME (\d+) ([\d.]+) ([\d.]+)/) ?? []
  return {ms, cpuMs: (Number(user) + Number(sys)) * 1000, rssMb: Number(kb) / 1024, stderr, stdout}
}

/**
 * Seeds the sandbox's saved state (the API at this scale is not what is measured here, and the
 * simulated mesh would re-translate 1,000 Gateways on every one of 11,000 creates): the demo world
 * with 10 gateway pods, then 5,000 Services, 1,000 Gateways and 5,000 VirtualServices appended to
 * state.json, loaded once by the next `sandbox up`.
 */
function seedState(): {objects: number} {
  const file = path.join(stateDir, sandboxFiles.state)
  const state = JSON.parse(readFileSync(file, 'utf8')) as {resourceVersion: number; objects: {group: string; object: Record<string, unknown>}[]}
  const created = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
  const add = (group: string, object: {apiVersion: string; kind: string; metadata: Record<string, unknown>; spec: unknown}) => {
    state.resourceVersion++
    state.objects.push({group, object: {...object, metadata: {...object.metadata, uid: randomUUID(), resourceVersion: String(state.resourceVersion), creationTimestamp: created, generation: 1}}})
  }
  for (let i = 0; i < 5000; i++) add('', {apiVersion: 'v1', kind: 'Service', metadata: {name: `svc-${i}`, namespace: 'default'}, spec: {selector: {app: 'httpbin'}, ports: [{name: 'http', port: 80, targetPort: 80, protocol: 'TCP'}], type: 'ClusterIP'}})
  for (let i = 0; i < 1000; i++) {
    add('networking.istio.io', {apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: {name: `gw-${i}`, namespace: 'default'}, spec: {selector: {istio: 'ingressgateway'}, servers: [{port: {number: 80, name: 'http', protocol: 'HTTP'}, hosts: [`gw-${i}.example.com`]}]}})
  }
  for (let i = 0; i < 5000; i++) {
    add('networking.istio.io', {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: {name: `vs-${i}`, namespace: 'default'},
      spec: {hosts: [`gw-${i % 1000}.example.com`], gateways: [`gw-${i % 1000}`], http: [{match: [{uri: {prefix: `/r${i}`}}], route: [{destination: {host: `svc-${i}`, port: {number: 80}}}]}]},
    })
  }
  writeFileSync(file, JSON.stringify(state))
  return {objects: state.objects.length}
}

const results: string[] = []
const manualTraffic = {timer: {setInterval: () => 0, clearInterval: () => undefined}}
const start = (reset: boolean) => startSandbox({stateDir, port: 0, world: 'demo', istioVersion: '1.28', reset, meshFactory: (state) => createSimulatedMesh(state, manualTraffic)})
{
  // The demo world with 10 gateway pods, saved; then the bulk objects appended to the saved state.
  const demo = await start(true)
  const kubeconfig = path.join(stateDir, 'bench.kubeconfig')
  writeFileSync(kubeconfig, sandboxKubeconfig(demo), {mode: 0o600})
  const kube = createKubeClient({selection: {kubeconfig, env: {}}, requestTimeoutMs: 30_000})
  await kube.patch({apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'istio-system', name: 'istio-ingressgateway'}, {spec: {replicas: 10}}, 'merge')
  await demo.controllers.settled()
  kube.close()
  await demo.close()
}
const seeded = seedState()
const loadStarted = performance.now()
const sandbox = await start(false)
const kubeconfig = path.join(stateDir, 'bench.kubeconfig')
writeFileSync(kubeconfig, sandboxKubeconfig(sandbox), {mode: 0o600})
results.push(`sandbox loaded ${seeded.objects} objects (5,000 Services, 1,000 Gateways, 5,000 VirtualServices, 10 gateway pods) in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s`)
try {
  const doctor = ['doctor', '--kubeconfig', kubeconfig, '-o', 'json', '--fail-on', 'none', '--envoy-timeout', '60s']
  const warm = await timed(doctor)
  results.push(`warm-up run (the sandbox's istiod translates 1,000 Gateways for 10 pods): ${warm.ms.toFixed(0)} ms`)
  const runs: Awaited<ReturnType<typeof timed>>[] = []
  for (let i = 0; i < 3; i++) runs.push(await timed([...doctor, '--verbose']))
  const findings = (JSON.parse(runs[0]!.stdout) as {summary: Record<string, number>}).summary
  const requests = runs[0]!.stderr.split('\n').filter((l) => /^(GET|POST|PUT|PATCH|DELETE) https:/.test(l))
  const byKind = new Map<string, number>()
  for (const line of requests) {
    const url = new URL(line.split(' ')[1] as string)
    const admin = [...url.searchParams].filter(([name]) => name === 'resource' || name === 'mask').map(([name, value]) => `${name}=${value}`).join('&')
    const key = url.pathname.includes('/proxy/') ? `pod proxy ${url.pathname.split('/proxy/')[1]}${admin ? `?${admin}` : ''}` : url.pathname.replace(/\/namespaces\/[^/]+/, '/namespaces/NS').replace(/\/secrets\/[^/]+$/, '/secrets/NAME')
    byKind.set(key, (byKind.get(key) ?? 0) + 1)
  }
  const proxyRequests = requests.filter((l) => l.includes('/proxy/')).length
  results.push(
    `doctor (all layers, 10 gateway pods) end to end: median ${median(runs.map((r) => r.ms)).toFixed(0)} ms wall (runs ${runs.map((r) => r.ms.toFixed(0)).join(', ')} ms), doctor's own CPU median ${median(runs.map((r) => r.cpuMs)).toFixed(0)} ms, peak RSS ${Math.max(...runs.map((r) => r.rssMb)).toFixed(0)} MB; summary ${JSON.stringify(findings)}`,
    `API requests per run: ${requests.length} (${requests.length - proxyRequests} list/discovery requests to the API server, ${proxyRequests} Envoy/istiod admin reads through the pod proxy)`,
    ...[...byKind].sort((a, b) => b[1] - a[1]).map(([k, n]) => `    ${String(n).padStart(4)}  ${k}`),
  )
  if (process.env.DOCTOR_PROFILE) {
    // A CPU profile of one run, for finding where doctor's own time goes.
    const profiled = {...env, NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.DOCTOR_PROFILE}`}
    await new Promise((resolve) => execFile(gwBin, doctor, {env: profiled, maxBuffer: 512 * 1024 * 1024}, resolve))
  }
  const staticRuns: Awaited<ReturnType<typeof timed>>[] = []
  for (let i = 0; i < 3; i++) staticRuns.push(await timed([...doctor, '--skip-envoy']))
  results.push(`doctor --skip-envoy (install + config layers): median ${median(staticRuns.map((r) => r.ms)).toFixed(0)} ms wall, CPU ${median(staticRuns.map((r) => r.cpuMs)).toFixed(0)} ms, peak RSS ${Math.max(...staticRuns.map((r) => r.rssMb)).toFixed(0)} MB`)
} finally {
  await sandbox.close()
}

try {
  const dumpFile = path.join(stateDir, 'config_dump.json')
  writeFileSync(dumpFile, bigConfigDump(50))
  const mb = statSync(dumpFile).size / 1024 / 1024
  const offline: Awaited<ReturnType<typeof timed>>[] = []
  for (let i = 0; i < 3; i++) offline.push(await timed(['doctor', '--config-dump', dumpFile, '--host', 'app-4000.example.com', '--path', '/api/v3/x', '--header', 'x-tenant=tenant-3', '-o', 'json', '--fail-on', 'none']))
  const inProcess: number[] = []
  for (let i = 0; i < 3; i++) {
    const started = performance.now()
    await runDoctorOffline({kube: undefined as never, envoy: undefined as never, clock: systemClock, io: {stdout: {write: () => undefined, isTTY: false}, stderr: {write: () => undefined, isTTY: false}, interactive: false, debug: () => undefined}, namespace: async () => 'default'}, {configDump: dumpFile, checks: doctorChecks, trace: {host: 'app-4000.example.com', path: '/api/v3/x', headers: {'x-tenant': 'tenant-3'}}})
    inProcess.push(performance.now() - started)
  }
  results.push(
    `--config-dump of ${mb.toFixed(1)} MB (checks + trace) end to end: median ${median(offline.map((r) => r.ms)).toFixed(0)} ms, peak RSS ${Math.max(...offline.map((r) => r.rssMb)).toFixed(0)} MB; read + parse + checks + trace in-process: median ${median(inProcess).toFixed(0)} ms`,
  )
} finally {
  rmSync(stateDir, {recursive: true, force: true})
}
console.log(`node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'})`)
for (const line of results) console.log(line)
