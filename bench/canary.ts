/**
 * kubectl gw canary, measured on the sandbox with the built CLI (run `npm run build` first):
 * - time from a fault starting on the canary (the sandbox fault annotation acknowledged by the API)
 *   to the weights back at stable 100 / canary 0, against --interval (default threshold 2, and 1);
 * - API writes per step: every committed write to the VirtualService, counted by the API server's
 *   own store (not by the CLI), divided by the steps of a healthy run;
 * - CPU of the CLI while it waits for a look (/proc/PID/stat utime+stime over the wait).
 * Run: node bench/canary.ts [--intervals 1,2,4] [--runs 3]
 */
import {readFileSync} from 'node:fs'
import os from 'node:os'
import {parseArgs} from 'node:util'
import type {KubeObject} from '../src/kube/objects.ts'
import {createKubeClient} from '../src/kube/connect.ts'
import {createSimulatedMesh, type SandboxMesh} from '../src/sandbox/mesh/index.ts'
import {canaryWorldFile} from '../test/helpers/canary-world.ts'
import {startGw} from '../test/helpers/gw-process.ts'
import {startTestSandbox} from '../test/helpers/sandbox.ts'

const {values} = parseArgs({options: {intervals: {type: 'string', default: '1,2,4'}, runs: {type: 'string', default: '3'}}})
const intervals = values.intervals.split(',').map(Number)
const runs = Number(values.runs)

let vsWrites = 0
let mesh: SandboxMesh | undefined
const world = await startTestSandbox({
  meshFactory: (state) => {
    state.subscribe((event) => {
      if (event.object.kind === 'VirtualService' && event.object.metadata.name === 'app-service' && event.type === 'MODIFIED') vsWrites++
    })
    mesh = createSimulatedMesh(state, {tickMs: 100, requestsPerSecond: 2500, latencySamples: 512})
    return mesh
  },
})
mesh!.start()
const env = {KUBECONFIG: world.kubeconfig, HOME: world.dir}
const kube = createKubeClient({selection: {kubeconfig: world.kubeconfig, env: {}}, requestTimeoutMs: 0})
const {parseAllDocuments} = await import('yaml')
const docs = parseAllDocuments(readFileSync(canaryWorldFile, 'utf8')).map((d) => d.toJS() as KubeObject)
const canaryDeployment = {apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'app-service-canary'}

async function freshRoute(): Promise<void> {
  await kube.delete({apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', namespace: 'default', name: 'app-service'})
  for (const doc of docs) await kube.apply(doc, {fieldManager: 'bench'})
}

async function setFault(errorRate: number | undefined): Promise<void> {
  await kube.patch(canaryDeployment, {metadata: {annotations: {'sandbox.kubectl-gw.io/fault': errorRate === undefined ? null : JSON.stringify({errorRate, latencyMs: 0})}}}, 'merge')
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

console.log(`node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim()}); sandbox traffic 5000 req/s on the route (2 gateway pods)`)
console.log('')
console.log('fault to rollback: `sandbox fault` (20 % errors) on the canary at a random moment of step 1 (50 %) -> weights back at 100/0 (seconds)')
console.log('| --interval | --threshold | runs | median s | min s | max s | median / interval |')
console.log('|---:|---:|---:|---:|---:|---:|---:|')
for (const threshold of [2, 1]) {
  for (const interval of intervals) {
    const times: number[] = []
    for (let r = 0; r < runs; r++) {
      await freshRoute()
      const run = startGw(['canary', 'app-service', '--steps', '50,100', '--interval', `${interval}s`, '--threshold', String(threshold), '-o', 'json'], env)
      await run.waitFor((e) => e.type === 'weights' && e.stage === 0)
      // A fault that starts somewhere inside the first window, as faults do.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * interval * 1000))
      await setFault(0.2)
      const faultAt = Date.now()
      const rolledBack = await run.waitFor((e) => e.type === 'weights' && (e.weights as {canary: number}).canary === 0)
      times.push((Date.parse(String(rolledBack.at)) - faultAt) / 1000)
      await run.exited
      await setFault(undefined)
    }
    console.log(`| ${interval}s | ${threshold} | ${runs} | ${median(times).toFixed(2)} | ${Math.min(...times).toFixed(2)} | ${Math.max(...times).toFixed(2)} | ${(median(times) / interval).toFixed(2)} |`)
  }
}

console.log('')
await freshRoute()
const steps = [10, 25, 50, 75, 100]
vsWrites = 0
const healthy = startGw(['canary', 'app-service', '--steps', steps.join(','), '--interval', '1s', '-o', 'json'], env)
const {code} = await healthy.exited
const result = healthy.events.at(-1) as {phase: string; writes: number}
const holds = healthy.events.filter((e) => e.type === 'look' && e.verdict === 'no-data').length
const stepWrites = healthy.events.filter((e) => e.type === 'weights' && e.label !== 'Promoting').length
console.log(`API writes (healthy run, ${steps.length} steps at 1s, exit ${code}, ${result.phase}): the API server saw ${vsWrites} writes to the VirtualService = ${stepWrites} step writes (weights + state together: ${(stepWrites / steps.length).toFixed(1)} per step) + ${holds} hold record${holds === 1 ? '' : 's'} (a no-data look, e.g. p99 below 1,000 requests a side) + 2 for the promotion; the CLI counted ${result.writes}`)

await freshRoute()
const waitMs = 10_000
const waiting = startGw(['canary', 'app-service', '--steps', '100', '--interval', `${waitMs / 1000 + 2}s`, '-o', 'json'], env)
await waiting.waitFor((e) => e.type === 'waiting')
const cpu = () => {
  const fields = readFileSync(`/proc/${waiting.child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100 // utime + stime, clock ticks (100 Hz) -> ms
}
// Let the write's follow-up work settle, then measure a quiet stretch of the wait.
await new Promise((resolve) => setTimeout(resolve, 1000))
const before = cpu()
const start = Date.now()
await new Promise((resolve) => setTimeout(resolve, waitMs - 2000))
const used = cpu() - before
const wall = Date.now() - start
console.log(`CLI CPU while waiting for a look: ${used.toFixed(0)} ms of CPU over ${(wall / 1000).toFixed(1)} s (${((used / wall) * 100).toFixed(2)} % of one core; plain-lines output)`)
waiting.child.kill('SIGINT')
await waiting.exited

kube.close()
await world.close()
