/**
 * `kubectl gw doctor`: one read of the cluster, the install and config checks, then (unless
 * skipped) what Envoy actually runs on each gateway pod; one report of findings from the catalog.
 */
import type {GwContext} from '../context.ts'
import {levelRank, type Finding, type FindingLevel} from '../findings/catalog.ts'
import {readSnapshot, type SnapshotData, type SnapshotKind} from '../snapshot/snapshot.ts'
import {runTaskList, type ProgressTask} from '../ui/progress.ts'
import {runChecks, type DoctorCheck, type SkippedCheck} from './check.ts'
import {basename} from 'node:path'
import {parseConfigDump} from '../envoy/config-dump.ts'
import {UsageError} from '../errors.ts'
import type {TraceRequest} from '../istio/route-match.ts'
import {snapshotFromObjects} from '../snapshot/snapshot.ts'
import {mermaidGraph} from './graph.ts'
import {gatewayGrouper} from './groups.ts'
import {traceRequest, type RequestTrace} from './trace.ts'
import {gatewayPods, readGatewayProxies, readIstiodMetrics} from './live.ts'

export interface DoctorRequest {
  /** Report only resources in this namespace (the cluster is still read whole: references cross namespaces). */
  namespace?: string
  /** Report only findings of this Gateway (`name` or `namespace/name`). */
  gateway?: string
  skipEnvoy: boolean
  checks: readonly DoctorCheck[]
  /** Per Envoy admin request (ms). */
  envoyTimeoutMs?: number
  /** `--traffic-window`: traffic is judged on what the gateway's counters add over this (ms); 0: since Envoy started. */
  trafficWindowMs?: number
  /** `--host/--path/--header`: trace one request. */
  trace?: TraceRequest
  graph?: 'mermaid'
  /** `--bundle FILE.tar.gz`. */
  bundle?: string
}

/** A finding with the Gateway it belongs to, when it belongs to one. */
export type ReportedFinding = Finding & {gateway?: string}

/** `-o json` contract (DESIGN.md): summary and findings; skipped checks and the Envoy sources are additions. */
export interface DoctorReport {
  summary: {errors: number; warnings: number; infos: number; checks: number}
  findings: ReportedFinding[]
  skipped: SkippedCheck[]
  /** With --host. */
  trace?: RequestTrace
  /** With --graph mermaid. */
  graph?: string
  /** With --bundle: the file written. */
  bundle?: string
}

export interface DoctorRun {
  report: DoctorReport
  snapshot: SnapshotData
}

function matchesGateway(filter: string, gateway: string | undefined): boolean {
  if (!gateway) return false
  return filter.includes('/') ? gateway === filter : gateway.slice(gateway.indexOf('/') + 1) === filter
}

/** Errors first, then warnings; by gateway, code and resource, so runs diff cleanly. */
export function sortFindings(findings: ReportedFinding[]): ReportedFinding[] {
  const key = (f: ReportedFinding) => `${f.gateway ?? '~'}|${f.code}|${f.resource.kind}|${f.resource.namespace ?? ''}|${f.resource.name}|${f.message}`
  return [...findings].sort((a, b) => levelRank[a.level] - levelRank[b.level] || key(a).localeCompare(key(b)))
}

export function buildReport(findings: Finding[], skipped: SkippedCheck[], ran: number, snapshot: SnapshotData, request: Pick<DoctorRequest, 'namespace' | 'gateway'>): DoctorReport {
  const groupOf = gatewayGrouper(snapshot)
  let reported: ReportedFinding[] = findings.map((finding) => {
    const gateway = groupOf(finding)
    // `about` only helps the grouping; it is not part of the -o json shape.
    const {about, ...shown} = finding
    return gateway ? {...shown, gateway} : shown
  })
  if (request.namespace) reported = reported.filter((f) => f.resource.namespace === undefined || f.resource.namespace === request.namespace || f.gateway?.startsWith(`${request.namespace}/`))
  if (request.gateway) reported = reported.filter((f) => matchesGateway(request.gateway as string, f.gateway))
  const count = (level: FindingLevel) => reported.filter((f) => f.level === level).length
  return {
    summary: {errors: count('error'), warnings: count('warning'), infos: count('info'), checks: ran},
    findings: sortFindings(reported),
    skipped,
  }
}

/** Whether the report fails the run under `--fail-on`. */
export function failsOn(report: DoctorReport, failOn: 'error' | 'warning' | 'none'): boolean {
  if (failOn === 'none') return false
  return report.findings.some((f) => levelRank[f.level] <= levelRank[failOn])
}

interface DoctorProgress {
  snapshot?: SnapshotData
  findings: Finding[]
  skipped: SkippedCheck[]
  ran: number
}

export async function runDoctor(ctx: GwContext, request: DoctorRequest): Promise<DoctorRun> {
  const state: DoctorProgress = {findings: [], skipped: [], ran: 0}
  const liveChecks = request.checks.filter((c) => c.layer === 'live')
  const tasks: ProgressTask<DoctorProgress>[] = [
    {
      title: 'Read the cluster (one list per kind)',
      run: async (s, update) => {
        const read: SnapshotKind[] = []
        s.snapshot = await readSnapshot(ctx.kube, {now: ctx.clock.now(), onKind: (kind) => read.push(kind)})
        const notOk = s.snapshot.states().filter(([, st]) => st.status !== 'ok').map(([kind, st]) => `${kind} ${st.status}`)
        update(`Read the cluster: ${read.length} kinds${notOk.length ? ` (${notOk.join(', ')})` : ''}`)
      },
    },
    ...(['install', 'config'] as const).map(
      (layer): ProgressTask<DoctorProgress> => ({
        title: layer === 'install' ? 'Install checks (CRDs, istiod, gateway pods, Service address)' : 'Config checks (Gateways, VirtualServices, DestinationRules, credentials)',
        run: async (s, update) => {
          const run = await runChecks(request.checks.filter((c) => c.layer === layer), s.snapshot as SnapshotData)
          s.findings.push(...run.findings)
          s.skipped.push(...run.skipped)
          s.ran += run.ran
          update(`${layer === 'install' ? 'Install' : 'Config'} checks: ${run.ran} ran, ${run.findings.length} findings${run.skipped.length ? `, ${run.skipped.length} skipped` : ''}`)
        },
      }),
    ),
    {
      title: 'Envoy on the gateway pods (config_dump, clusters, stats)',
      skip: () => (request.skipEnvoy ? '--skip-envoy' : false),
      run: async (s, update) => {
        const snapshot = s.snapshot as SnapshotData
        const pods = snapshot.state('Pod').status === 'ok' ? snapshot.items('Pod') : undefined
        if (!pods) {
          snapshot.set('GatewayProxy', {status: 'absent', reason: 'gateway pods unknown: Pod could not be read'})
        } else {
          const gateways = snapshot.state('Gateway').status === 'ok' ? snapshot.items('Gateway') : []
          const kubernetesGateways = snapshot.state('KubernetesGateway').status === 'ok' ? snapshot.items('KubernetesGateway') : []
          const targets = gatewayPods(pods, gateways, kubernetesGateways)
          const [proxies, istiod] = await Promise.all([
            readGatewayProxies(ctx, targets, {
              timeoutMs: request.envoyTimeoutMs,
              trafficWindowMs: request.trafficWindowMs,
              keepRaw: request.bundle !== undefined,
              onPod: (proxy, done, total) => update(`Envoy on the gateway pods: ${done}/${total} (${proxy.pod.namespace}/${proxy.pod.name}${proxy.unreachable ? `: ${proxy.unreachable.reason}` : proxy.configSource === 'shared' ? ': same config as its group' : ''})`),
            }),
            readIstiodMetrics(ctx, pods, request.envoyTimeoutMs),
          ])
          snapshot.set('GatewayProxy', {status: 'ok', items: proxies})
          snapshot.set('IstiodMetric', istiod ? {status: 'ok', items: istiod} : {status: 'absent', reason: "istiod's metrics (port 15014) could not be read"})
        }
        const run = await runChecks(liveChecks, snapshot)
        s.findings.push(...run.findings)
        s.skipped.push(...run.skipped)
        s.ran += run.ran
      },
    },
  ]
  await runTaskList(ctx.io, tasks, state)
  if (request.skipEnvoy) state.skipped.push(...liveChecks.map((c) => ({check: c.id, reason: '--skip-envoy'})))
  const snapshot = state.snapshot as SnapshotData
  return {report: await finishReport(ctx, buildReport(state.findings, state.skipped, state.ran, snapshot, request), snapshot, request), snapshot}
}

/** The optional parts: trace, graph, bundle. */
async function finishReport(ctx: GwContext, report: DoctorReport, snapshot: SnapshotData, request: Pick<DoctorRequest, 'trace' | 'graph' | 'bundle'>): Promise<DoctorReport> {
  if (request.trace) report.trace = traceRequest(snapshot, request.trace)
  if (request.graph === 'mermaid') report.graph = mermaidGraph(snapshot)
  if (request.bundle) {
    const {bundleEntries, writeBundle} = await import('./bundle.ts')
    report.bundle = request.bundle
    await writeBundle(request.bundle, bundleEntries(report, snapshot), ctx.clock.now())
  }
  return report
}

/** `--config-dump FILE`: the Envoy checks and the trace on a saved dump, no cluster. */
export async function runDoctorOffline(ctx: GwContext, request: Pick<DoctorRequest, 'checks' | 'trace' | 'graph'> & {configDump: string}): Promise<DoctorRun> {
  const {readFileSync} = await import('node:fs')
  let bytes: Buffer
  try {
    // In one read (nothing else runs meanwhile): fs/promises reads in 512 KiB round trips to the
    // thread pool, 193-214 ms for a 50 MB dump here against 167-178 ms (most of either is the first
    // touch of 50 MB of fresh memory, which is slow on this VM).
    bytes = readFileSync(request.configDump)
  } catch (error) {
    throw new UsageError(`--config-dump ${request.configDump}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`)
  }
  const config = parseConfigDump(bytes, request.configDump)
  const offline: SnapshotKind[] = ['CustomResourceDefinition', 'Deployment', 'Pod', 'Service', 'Gateway', 'VirtualService', 'DestinationRule', 'ServiceEntry', 'KubernetesGateway', 'HTTPRoute', 'Secret', 'IstiodMetric']
  const snapshot = snapshotFromObjects([], {now: ctx.clock.now(), absent: offline})
  for (const kind of offline) snapshot.set(kind, {status: 'absent', reason: 'offline: --config-dump reads no cluster'})
  snapshot.set('GatewayProxy', {status: 'ok', items: [{pod: {namespace: 'file', name: basename(request.configDump), labels: {}}, gateways: [], configGroup: 'file', config, configSource: 'full', raw: {}}]})
  const run = await runChecks(request.checks, snapshot)
  return {report: await finishReport(ctx, buildReport(run.findings, run.skipped, run.ran, snapshot, {}), snapshot, request), snapshot}
}
