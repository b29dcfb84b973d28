import {finishedPhases, stageLabel, stagesOf, stageWeights, type CanarySpec, type CanaryState, type Evaluation, type Phase, type Weights} from './model.ts'

/**
 * The canary state machine, pure (STYLE.md practice 10): step(spec, state, observation, now) returns
 * the next state and the actions a driver performs. No I/O, no clock of its own; table-tested.
 */

export type Command = 'pause' | 'resume' | 'abort' | 'promote'

export type Observation =
  | {type: 'start'}
  | {type: 'gates'; evaluation: Evaluation}
  | {type: 'command'; command: Command}
  /** The promotion write went through. */
  | {type: 'promoted'}

export type Action =
  /** One guarded update: the route's weights (and header route), with the state in the same write. */
  | {type: 'write'; weights: Weights; headerRoute: boolean}
  /** The state alone (a hold, a failed check, a pause): one guarded update of the annotation. */
  | {type: 'persist'}
  /** Wait until `at`, then measure the window [from, at] and come back with the gates. */
  | {type: 'observe'; from: string; at: string}
  /** The run stops here (for now) with this exit code. */
  | {type: 'finish'; exitCode: 0 | 1 | 3 | 130}

export interface StepResult {
  state: CanaryState
  actions: Action[]
}

const iso = (ms: number) => new Date(ms).toISOString()

/** Exit code of a run that stopped in `state` (0 promoted or held, 1 rolled back or failed, 3 provider unusable, 130 paused). */
export function exitCodeOf(state: Pick<CanaryState, 'phase' | 'pausedBy'>): 0 | 1 | 3 | 130 {
  switch (state.phase) {
    case 'RolledBack':
    case 'Failed':
      return 1
    case 'Paused':
      return state.pausedBy === 'provider' ? 3 : 130
    default:
      return 0
  }
}

/** Backoff before retrying a provider that failed: 1 s, 2 s, 4 s ... never longer than the interval. */
export function retryDelayMs(spec: Pick<CanarySpec, 'intervalMs'>, errors: number): number {
  return Math.min(spec.intervalMs, 1000 * 2 ** Math.max(0, errors - 1))
}

function stay(state: CanaryState): StepResult {
  return {state, actions: []}
}

function finish(state: CanaryState, write: Action | undefined): StepResult {
  return {state, actions: [...(write ? [write] : []), {type: 'finish', exitCode: exitCodeOf(state)}]}
}

/** Moves to stage `index`: writes its weights, opens its window, observes after one interval. */
function enterStage(spec: CanarySpec, state: CanaryState, index: number, now: number, message: string): StepResult {
  const stage = stagesOf(spec)[index]!
  const weights = stageWeights(stage)
  const next: CanaryState = {...state, phase: 'Progressing', stage: index, weights, headerRoute: stage.kind === 'header', windowFrom: iso(now), pausedBy: undefined, providerErrors: 0, message, updatedAt: iso(now)}
  return {state: next, actions: [{type: 'write', weights, headerRoute: next.headerRoute}, {type: 'observe', from: next.windowFrom, at: iso(now + spec.intervalMs)}]}
}

function promote(state: CanaryState, now: number, message: string): StepResult {
  const next: CanaryState = {...state, phase: 'Promoting', weights: {stable: 0, canary: 100}, headerRoute: false, pausedBy: undefined, message, updatedAt: iso(now)}
  return {state: next, actions: [{type: 'write', weights: next.weights, headerRoute: false}]}
}

function rollBack(state: CanaryState, now: number, phase: Phase, message: string): StepResult {
  return finish({...state, phase, weights: state.restore, headerRoute: false, pausedBy: undefined, message, updatedAt: iso(now)}, {type: 'write', weights: state.restore, headerRoute: false})
}

function onGates(spec: CanarySpec, state: CanaryState, evaluation: Evaluation, now: number): StepResult {
  const stages = stagesOf(spec)
  const stage = stages[state.stage]!
  const label = stageLabel(stage, spec)
  const judged = evaluation.verdict === 'pass' || evaluation.verdict === 'fail'
  const record = {stage: state.stage, label, weights: state.weights, verdict: evaluation.verdict, at: iso(now), canary: evaluation.canary, stable: evaluation.stable, gates: evaluation.gates}
  const base: CanaryState = {...state, looks: state.looks + (judged ? 1 : 0), history: [...state.history, record], updatedAt: iso(now)}
  switch (evaluation.verdict) {
    case 'pass': {
      if (state.stage + 1 < stages.length) return enterStage(spec, base, state.stage + 1, now, `${label} passed`)
      if (spec.promote) return promote(base, now, `${label} passed: promoting`)
      return finish({...base, phase: 'Succeeded', providerErrors: 0, message: `${label} passed: held at max weight (--no-promote)`}, {type: 'persist'})
    }
    case 'fail': {
      const failedChecks = state.failedChecks + 1
      const failing = evaluation.gates.filter((g) => g.verdict === 'fail').map((g) => g.gate).join(', ')
      if (failedChecks >= spec.threshold) return rollBack({...base, failedChecks}, now, 'RolledBack', `${label}: ${failing} failed (${failedChecks}/${spec.threshold} checks): rolled back`)
      // A failed check below the threshold: stay at the stage and judge a fresh window.
      const next: CanaryState = {...base, failedChecks, providerErrors: 0, windowFrom: iso(now), message: `${label}: ${failing} failed (${failedChecks}/${spec.threshold} checks)`}
      return {state: next, actions: [{type: 'persist'}, {type: 'observe', from: next.windowFrom, at: iso(now + spec.intervalMs)}]}
    }
    case 'no-data': {
      // Hold the stage and keep the window growing: more samples, never a pass.
      const next: CanaryState = {...base, providerErrors: 0, message: `${label}: not enough data, holding`}
      return {state: next, actions: [{type: 'persist'}, {type: 'observe', from: state.windowFrom, at: iso(now + spec.intervalMs)}]}
    }
    case 'error': {
      const providerErrors = state.providerErrors + 1
      const reason = evaluation.gates.map((g) => g.detail).join('; ')
      if (providerErrors >= spec.errorLimit) {
        // The provider's fault never rolls the canary back: pause, weights as they are.
        return finish({...base, phase: 'Paused', pausedBy: 'provider', providerErrors, message: `${label}: metrics provider failed ${providerErrors} times in a row (${reason}): paused`}, {type: 'persist'})
      }
      const next: CanaryState = {...base, history: state.history, providerErrors, message: `${label}: metrics provider error ${providerErrors}/${spec.errorLimit} (${reason}): retrying`}
      return {state: next, actions: [{type: 'observe', from: state.windowFrom, at: iso(now + retryDelayMs(spec, providerErrors))}]}
    }
  }
}

function onCommand(spec: CanarySpec, state: CanaryState, command: Command, now: number): StepResult {
  const active = state.phase === 'Progressing' || state.phase === 'Initializing'
  switch (command) {
    case 'pause':
      if (!active) return stay(state)
      return finish({...state, phase: 'Paused', pausedBy: 'user', message: `paused at ${describeStage(spec, state)}`, updatedAt: iso(now)}, {type: 'persist'})
    case 'resume': {
      if (state.phase === 'Promoting') return promote(state, now, 'resuming the promotion')
      if (state.phase !== 'Paused' && state.phase !== 'Progressing') return stay(state)
      if (state.stage < 0) return enterStage(spec, state, 0, now, 'started')
      // The recorded stage's weights are on the route already: a fresh window, no weight write.
      const next: CanaryState = {...state, phase: 'Progressing', pausedBy: undefined, providerErrors: 0, windowFrom: iso(now), message: `resumed at ${describeStage(spec, state)}`, updatedAt: iso(now)}
      return {state: next, actions: [{type: 'persist'}, {type: 'observe', from: next.windowFrom, at: iso(now + spec.intervalMs)}]}
    }
    case 'abort':
      if (finishedPhases.includes(state.phase)) return stay(state)
      return rollBack(state, now, 'RolledBack', `aborted at ${describeStage(spec, state)}: stable weights restored`)
    case 'promote':
      if (finishedPhases.includes(state.phase) || state.phase === 'Initializing') return stay(state)
      return promote(state, now, `promoted by hand at ${describeStage(spec, state)}`)
  }
}

export function describeStage(spec: CanarySpec, state: Pick<CanaryState, 'stage'>): string {
  const stage = stagesOf(spec)[state.stage]
  return stage ? `stage ${state.stage + 1}/${stagesOf(spec).length} (${stageLabel(stage, spec)})` : 'the start'
}

export function step(spec: CanarySpec, state: CanaryState, observation: Observation, now: Date): StepResult {
  const at = now.getTime()
  switch (observation.type) {
    case 'start':
      if (state.phase !== 'Initializing') return stay(state)
      return enterStage(spec, state, 0, at, 'started')
    case 'command':
      return onCommand(spec, state, observation.command, at)
    case 'promoted':
      if (state.phase !== 'Promoting') return stay(state)
      return finish({...state, phase: 'Succeeded', message: 'promoted: canary at 100%', updatedAt: iso(at)}, {type: 'persist'})
    case 'gates':
      if (state.phase !== 'Progressing') return stay(state)
      return onGates(spec, state, observation.evaluation, at)
  }
}

/** The state of a run about to start on a route currently at `restore`. */
export function initialState(restore: Weights, now: Date): CanaryState {
  const at = now.toISOString()
  return {phase: 'Initializing', stage: -1, weights: restore, headerRoute: false, restore, failedChecks: 0, providerErrors: 0, windowFrom: at, looks: 0, history: [], message: 'initializing', updatedAt: at}
}
