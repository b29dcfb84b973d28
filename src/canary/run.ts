import type {GwContext} from '../context.ts'
import {ExitCode, GwError, UsageError} from '../errors.ts'
import type {KubeObject, ObjectRef} from '../kube/objects.ts'
import {evaluateGates} from './gates.ts'
import {describeStage, exitCodeOf, initialState, step, type Action, type Command, type Observation} from './machine.ts'
import {finishedPhases, stagesOf, type CanaryRecord, type CanarySpec, type CanaryState, type Evaluation, type Phase, type RouteTarget, type StageRecord, type Weights} from './model.ts'
import {ProviderError, type MetricProvider} from './provider.ts'
import {lockConflict, lockFor, readRecord, withRecord, type RunIdentity} from './record.ts'
import {describeWeights, type HeaderRouteWanted, type RouteKey, type TrafficRouter} from './router.ts'

/**
 * The small driver around the pure state machine: performs its actions (one guarded update per
 * write, the state in the same write as the weights), waits, measures, and feeds the gates back.
 */

/** One line of `-o json`: what happened, when. */
export type CanaryEvent =
  | {type: 'started' | 'resumed'; at: string; target: RouteTarget; provider: string; stages: string[]}
  | {type: 'weights'; at: string; stage: number; label: string; weights: Weights; headerRoute: boolean}
  | {type: 'waiting'; at: string; stage: number; label: string; until: string; windowFrom: string}
  | {type: 'look'; at: string; stage: number; label: string; verdict: Evaluation['verdict']; evaluation: Evaluation}
  | {type: 'phase'; at: string; phase: Phase; message: string}

/** `-o json`'s last line, and what the summary shows. */
export interface CanaryResult {
  target: RouteTarget
  phase: Phase
  message: string
  exitCode: number
  weights: Weights
  failedChecks: number
  stages: StageRecord[]
  /** Guarded updates this run made (weights and state together count once). */
  writes: number
}

export interface CanaryRunDeps {
  router: TrafficRouter
  provider: MetricProvider
  identity: RunIdentity
  /** Aborted on SIGINT: the run pauses cleanly. */
  signal?: AbortSignal
  onEvent?(event: CanaryEvent): void
}

export function routeRef(target: RouteTarget): ObjectRef {
  return {apiVersion: target.apiVersion, kind: target.kind, namespace: target.namespace, name: target.name}
}

export function routeKey(spec: CanarySpec): RouteKey {
  return {route: spec.route, stable: spec.stable, canary: spec.canary, split: spec.split}
}

function headerWanted(spec: CanarySpec, present: boolean): HeaderRouteWanted | undefined {
  return spec.header ? {...spec.header, present} : undefined
}

/** The record changed under the run: another client paused, aborted, promoted or took over. */
class Superseded extends Error {
  readonly record: CanaryRecord | undefined
  constructor(record: CanaryRecord | undefined) {
    super('superseded')
    this.record = record
  }
}

/** Someone else changed the weights the run manages. */
class WeightsChanged extends Error {}

const targetText = (t: RouteTarget) => `${t.kind} ${t.namespace}/${t.name}`

/** Refuses a start or resume the lock forbids, naming the holder. */
function refuseIfLocked(record: CanaryRecord | undefined, identity: RunIdentity, now: Date, target: RouteTarget): void {
  const held = lockConflict(record, identity, now)
  if (held) {
    throw new GwError(`a canary run on ${targetText(target)} is in progress, held by ${held.holder} until ${held.expiresAt}`, ExitCode.jobFailed, {hint: `watch it with: kubectl gw canary status ${target.name} -n ${target.namespace}`})
  }
}

export async function runCanary(ctx: GwContext, spec: CanarySpec, deps: CanaryRunDeps, mode: {type: 'start'; restore: Weights} | {type: 'resume'}): Promise<CanaryResult> {
  const {router, provider, identity} = deps
  const ref = routeRef(spec.target)
  const key = routeKey(spec)
  const emit = (event: CanaryEvent) => deps.onEvent?.(event)
  const now = () => ctx.clock.now()
  let writes = 0
  /** The state as last written by this run; undefined before its first write. */
  let persisted: CanaryState | undefined
  let state: CanaryState
  let pending: Observation

  if (mode.type === 'start') {
    state = initialState(mode.restore, now())
    pending = {type: 'start'}
  } else {
    const object = await ctx.kube.get(ref)
    const record = object && readRecord(object)
    if (!record) throw new UsageError(`${targetText(spec.target)} has no canary run to resume`, {hint: `start one: kubectl gw canary ${spec.target.name} -n ${spec.target.namespace} --step 10`})
    if (finishedPhases.includes(record.state.phase)) throw new UsageError(`the canary run on ${targetText(spec.target)} already ended (${record.state.phase}: ${record.state.message})`, {hint: 'start a new run'})
    refuseIfLocked(record, identity, now(), spec.target)
    state = record.state
    persisted = record.state
    pending = {type: 'command', command: 'resume'}
  }
  emit({type: mode.type === 'start' ? 'started' : 'resumed', at: now().toISOString(), target: spec.target, provider: provider.source, stages: stagesOf(spec).map((s) => (s.kind === 'header' ? `header ${spec.header?.name}=${spec.header?.value}` : `${s.canary}%`))})

  /** One guarded update: verify what the run last wrote is still there, then weights (if any) and state together. */
  async function commit(next: CanaryState, action: Extract<Action, {type: 'write' | 'persist'}>): Promise<void> {
    const expected = persisted
    const at = now()
    await ctx.kube.update<KubeObject>(ref, (current) => {
      const record = readRecord(current)
      if (expected) {
        if (!record || record.state.updatedAt !== expected.updatedAt) throw new Superseded(record)
        const change = router.verifyWeights(current, key, expected.weights, expected.headerRoute, spec.header)
        if (change) throw new WeightsChanged(change)
      } else {
        refuseIfLocked(record, identity, at, spec.target)
        if (record && !finishedPhases.includes(record.state.phase)) {
          throw new GwError(`${targetText(spec.target)} has an unfinished canary run (${record.state.phase}, ${describeStage(record.spec, record.state)})`, ExitCode.jobFailed, {hint: `resume it (kubectl gw canary resume ${spec.target.name}) or abort it (kubectl gw canary abort ${spec.target.name})`})
        }
        const change = router.verifyWeights(current, key, next.restore, false, spec.header)
        if (change) throw new WeightsChanged(`${change} (changed since the plan was made)`)
      }
      const weighted = action.type === 'write' ? router.setWeights(current, key, action.weights, headerWanted(spec, action.headerRoute)) : current
      const holding = !finishedPhases.includes(next.phase) && next.phase !== 'Paused'
      return withRecord(weighted, {spec, state: next, lock: holding ? lockFor(identity, spec.intervalMs, at) : undefined})
    })
    writes++
    persisted = next
  }

  const result = (s: CanaryState, exitCode: number, message = s.message): CanaryResult => ({
    target: spec.target,
    phase: s.phase,
    message,
    exitCode,
    weights: s.weights,
    failedChecks: s.failedChecks,
    stages: s.history,
    writes,
  })

  const begun = new Set<string>()
  for (;;) {
    const {state: next, actions} = step(spec, state, pending, now())
    if (actions.length === 0) return result(state, exitCodeOf(state))
    let observe: Extract<Action, {type: 'observe'}> | undefined
    let finishCode: number | undefined
    try {
      for (const action of actions) {
        if (action.type === 'write' || action.type === 'persist') {
          await commit(next, action)
          if (action.type === 'write') {
            const stage = stagesOf(spec)[next.stage]
            emit({type: 'weights', at: now().toISOString(), stage: next.stage, label: stage && next.phase === 'Progressing' ? describeStage(spec, next) : next.phase, weights: action.weights, headerRoute: action.headerRoute})
          }
        } else if (action.type === 'observe') observe = action
        else finishCode = action.exitCode
      }
    } catch (error) {
      if (error instanceof Superseded) {
        const other = error.record
        const phase = other?.state.phase ?? 'Failed'
        const message = other ? `the run was changed by another client: ${other.state.phase} (${other.state.message})` : 'the run record was removed by someone else'
        emit({type: 'phase', at: now().toISOString(), phase, message})
        return result(other?.state ?? {...state, phase: 'Failed'}, other ? exitCodeOf(other.state) : ExitCode.jobFailed, message)
      }
      if (error instanceof WeightsChanged) {
        const failed: CanaryState = {...state, phase: 'Failed', message: `stopped: ${error.message}`, updatedAt: now().toISOString()}
        // Record why, leaving the weights as the other writer set them.
        await ctx.kube.update<KubeObject>(ref, (current) => {
          const record = readRecord(current)
          return withRecord(current, {spec, state: {...failed, weights: router.getWeights(current, key) ?? failed.weights}, lock: record?.lock && record.lock.holder !== identity.holder ? record.lock : undefined})
        })
        writes++
        emit({type: 'phase', at: now().toISOString(), phase: 'Failed', message: failed.message})
        return result(failed, ExitCode.jobFailed)
      }
      throw error
    }
    if (next.phase !== state.phase || finishCode !== undefined) emit({type: 'phase', at: now().toISOString(), phase: next.phase, message: next.message})
    state = next
    if (finishCode !== undefined) return result(state, finishCode)
    if (state.phase === 'Promoting' && !observe) {
      pending = {type: 'promoted'}
      continue
    }
    if (!observe) return result(state, exitCodeOf(state))
    if (deps.signal?.aborted) {
      pending = {type: 'command', command: 'pause'}
      continue
    }
    const label = describeStage(spec, state)
    let evaluation: Evaluation | undefined
    try {
      if (!begun.has(observe.from)) {
        await provider.beginWindow(new Date(observe.from))
        begun.add(observe.from)
      }
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error
      evaluation = evaluateGates(spec, {error: error.message})
    }
    if (!evaluation) {
      emit({type: 'waiting', at: now().toISOString(), stage: state.stage, label, until: observe.at, windowFrom: observe.from})
      try {
        await ctx.clock.sleep(Math.max(0, Date.parse(observe.at) - now().getTime()), deps.signal)
      } catch (error) {
        if (!deps.signal?.aborted) throw error
        pending = {type: 'command', command: 'pause'}
        continue
      }
      try {
        evaluation = evaluateGates(spec, await provider.measure(spec, new Date(observe.from), now()))
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error
        evaluation = evaluateGates(spec, {error: error.message})
      }
    }
    emit({type: 'look', at: now().toISOString(), stage: state.stage, label, verdict: evaluation.verdict, evaluation})
    pending = deps.signal?.aborted && evaluation.verdict !== 'fail' ? {type: 'command', command: 'pause'} : {type: 'gates', evaluation}
  }
}

/** `canary pause|abort|promote` from another terminal: the command goes through the same machine, in guarded updates. */
export async function commandRun(ctx: GwContext, target: RouteTarget, command: Exclude<Command, 'resume'>, deps: {router: TrafficRouter; onEvent?(event: CanaryEvent): void}): Promise<CanaryResult> {
  const ref = routeRef(target)
  let state: CanaryState | undefined
  let spec: CanarySpec | undefined
  let writes = 0
  let pending: Observation = {type: 'command', command}
  for (;;) {
    let actions: Action[] = []
    await ctx.kube.update<KubeObject>(ref, (current) => {
      const record = readRecord(current)
      if (!record) throw new UsageError(`${targetText(target)} has no canary run`, {hint: `kubectl gw canary status ${target.name} -n ${target.namespace}`})
      const stepped = step(record.spec, record.state, pending, ctx.clock.now())
      spec = record.spec
      state = stepped.state
      actions = stepped.actions
      const write = actions.find((a): a is Extract<Action, {type: 'write'}> => a.type === 'write')
      if (!write && !actions.some((a) => a.type === 'persist')) return undefined
      const weighted = write ? deps.router.setWeights(current, routeKey(record.spec), write.weights, headerWanted(record.spec, write.headerRoute)) : current
      const holding = !finishedPhases.includes(stepped.state.phase) && stepped.state.phase !== 'Paused'
      return withRecord(weighted, {spec: record.spec, state: stepped.state, lock: holding ? record.lock : undefined})
    })
    if (actions.length === 0) {
      const s = state!
      throw new UsageError(`cannot ${command} the canary run on ${targetText(target)}: it is ${s.phase} (${s.message})`)
    }
    writes++
    deps.onEvent?.({type: 'phase', at: ctx.clock.now().toISOString(), phase: state!.phase, message: state!.message})
    if (state!.phase === 'Promoting') {
      pending = {type: 'promoted'}
      continue
    }
    const s = state!
    return {target: spec!.target, phase: s.phase, message: s.message, exitCode: ExitCode.ok, weights: s.weights, failedChecks: s.failedChecks, stages: s.history, writes}
  }
}

export interface CanaryStatus {
  target: RouteTarget
  /** The managed route's weights as they are now on the object. */
  liveWeights?: Weights
  record?: CanaryRecord
  /** Lock in force (fresh) and its holder. */
  lockedBy?: string
}

export async function canaryStatus(ctx: GwContext, target: RouteTarget, deps: {router: TrafficRouter; identity: RunIdentity}): Promise<CanaryStatus> {
  const object = await ctx.kube.get(routeRef(target))
  if (!object) throw new UsageError(`${targetText(target)} not found`, {hint: `kubectl get ${target.kind.toLowerCase()} -n ${target.namespace}`})
  const record = readRecord(object)
  if (!record) return {target}
  return {
    target,
    liveWeights: deps.router.getWeights(object, routeKey(record.spec)),
    record,
    lockedBy: lockConflict(record, deps.identity, ctx.clock.now())?.holder,
  }
}

export {describeWeights}
