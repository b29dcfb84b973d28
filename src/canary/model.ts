import type {Histogram} from './statistics.ts'

/** The plain data of a canary run: what the user asked (spec), where it stands (state), what was measured. */

export const canaryPhases = ['Initializing', 'Progressing', 'Paused', 'Promoting', 'Succeeded', 'RolledBack', 'Failed'] as const
export type Phase = (typeof canaryPhases)[number]

/** Phases in which no run holds the route any more. */
export const finishedPhases: readonly Phase[] = ['Succeeded', 'RolledBack', 'Failed']

export interface Weights {
  stable: number
  canary: number
}

export type Verdict = 'pass' | 'fail' | 'no-data' | 'error'

/** "Not enough samples" is a value, not an error and never a pass (STYLE.md practice 9). */
export interface NoData {
  noData: true
  reason: string
}
export const noData = (reason: string): NoData => ({noData: true, reason})
export const isNoData = (value: unknown): value is NoData => typeof value === 'object' && value !== null && (value as NoData).noData === true

export type SplitKind = 'subset' | 'host'

/** How one side's traffic is told apart in Istio's metrics (destination_version for subset splits: the workload label is shared). */
export interface SideSelector {
  service: string
  namespace: string
  /** destination_version of the side's pods (subset splits); absent for host splits. */
  version?: string
}

export interface CustomQuery {
  name: string
  promql: string
  op: '<=' | '>='
  bound: number
}

export interface RouteTarget {
  /** Registry name of the traffic router (plugins/traffic-routers). */
  router: string
  apiVersion: string
  kind: string
  namespace: string
  name: string
}

export interface CanarySpec {
  target: RouteTarget
  /** The managed route's name, when it has one (found again by its destinations at every write). */
  route?: string
  stable: string
  canary: string
  split: SplitKind
  sides: {stable: SideSelector; canary: SideSelector}
  /** Canary weight of every weighted step, increasing, the last one the max weight. */
  steps: number[]
  header?: {name: string; value: string}
  intervalMs: number
  threshold: number
  minRequests: number
  /** Percent, e.g. 99. */
  successRate?: number
  maxLatencyMs?: number
  queries: CustomQuery[]
  compareStable: 'auto' | 'on' | 'off'
  /** Percent, e.g. 95. */
  confidence: number
  /** 0 turns the p99 comparison off. */
  maxLatencyRatio: number
  provider: string
  prometheusUrl?: string
  /** A Prometheus found in the cluster, reached through the API server's service proxy. */
  prometheusService?: {namespace: string; name: string; port: number}
  promote: boolean
  /** Provider errors in a row before the run pauses. */
  errorLimit: number
}

/** One stage of the run: the header stage, or a weighted step. */
export type Stage = {kind: 'header'} | {kind: 'weight'; canary: number}

export function stagesOf(spec: Pick<CanarySpec, 'header' | 'steps'>): Stage[] {
  return [...(spec.header ? [{kind: 'header'} as const] : []), ...spec.steps.map((canary) => ({kind: 'weight', canary}) as const)]
}

/** The route weights a stage writes: the header stage leaves the weighted route on the stable. */
export function stageWeights(stage: Stage): Weights {
  return stage.kind === 'header' ? {stable: 100, canary: 0} : {stable: 100 - stage.canary, canary: stage.canary}
}

export function stageLabel(stage: Stage, spec: Pick<CanarySpec, 'header'>): string {
  return stage.kind === 'header' ? `header ${spec.header?.name}=${spec.header?.value}` : `weight ${stage.canary}%`
}

/** One side's numbers over a window. */
export interface SideWindow {
  requests: number
  errors: number
  /** Latency histogram (ms) over the window; p99 comes from it with histogram_quantile semantics. */
  latency?: Histogram
  /** A provider that asks its backend for p99 directly sets it here (ms). */
  p99Ms?: number | NoData
}

export interface Measurement {
  from: string
  to: string
  stable: SideWindow
  canary: SideWindow
  queries: {name: string; value: number | NoData}[]
}

export interface GateResult {
  gate: string
  verdict: Verdict
  /** The measured value, in the gate's unit. */
  value?: number
  /** The bound, as the user wrote it ("<= 500ms", ">= 99%"). */
  bound?: string
  detail: string
  canary?: number
  stable?: number
  pValue?: number
  /** A no-data that does not hold the step (stable comparison under --compare-stable auto). */
  advisory?: boolean
}

export interface Evaluation {
  verdict: Verdict
  gates: GateResult[]
  /** Headline numbers for the report and the chart (percent and ms). */
  canary?: {requests: number; successRate?: number; p99Ms?: number}
  stable?: {requests: number; successRate?: number; p99Ms?: number}
}

/** What the run recorded about one judged look at a stage. */
export interface StageRecord {
  stage: number
  label: string
  weights: Weights
  verdict: Verdict
  at: string
  canary?: Evaluation['canary']
  stable?: Evaluation['stable']
  gates: GateResult[]
}

export interface Lock {
  holder: string
  expiresAt: string
}

export interface CanaryState {
  phase: Phase
  /** Index into stagesOf(spec); -1 before the first write. */
  stage: number
  /** The weights last written to the managed route. */
  weights: Weights
  /** Whether the header route is in place. */
  headerRoute: boolean
  /** The weights before the run: abort and rollback put these back. */
  restore: Weights
  failedChecks: number
  /** Provider errors in a row. */
  providerErrors: number
  /** Start of the current stage's measuring window. */
  windowFrom: string
  /** Judged looks so far (the significance level is split over the planned looks). */
  looks: number
  history: StageRecord[]
  message: string
  /** Why a Paused run paused. */
  pausedBy?: 'user' | 'provider'
  updatedAt: string
}

/** What the annotation on the route holds. */
export interface CanaryRecord {
  spec: CanarySpec
  state: CanaryState
  lock?: Lock
}

export const canaryAnnotation = 'canary.kubectl-gw.io/run'

/** Looks the significance level is split over (Bonferroni): one per stage, plus the re-looks failed checks allow. */
export function plannedLooks(spec: Pick<CanarySpec, 'header' | 'steps' | 'threshold'>): number {
  return stagesOf(spec).length + Math.max(0, spec.threshold - 1)
}
