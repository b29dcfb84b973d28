import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {initialState, step, type Action, type Observation} from '../../../src/canary/machine.ts'
import {canaryPhases, type CanaryState, type Evaluation, type Phase, type Verdict} from '../../../src/canary/model.ts'
import {canarySpec} from '../../helpers/canary-spec.ts'

const t0 = new Date('2026-12-01T00:00:00.000Z')
const now = new Date('2026-12-01T00:01:00.000Z')
const spec = canarySpec({steps: [10, 50, 100], threshold: 2, errorLimit: 3, intervalMs: 60_000})

function evaluation(verdict: Verdict): Evaluation {
  return {verdict, gates: [{gate: verdict === 'error' ? 'provider' : 'requests', verdict, detail: verdict === 'error' ? 'connection refused' : `${verdict} detail`}], canary: {requests: 100}, stable: {requests: 900}}
}

function state(overrides: Partial<CanaryState> = {}): CanaryState {
  return {...initialState({stable: 100, canary: 0}, t0), phase: 'Progressing', stage: 0, weights: {stable: 90, canary: 10}, windowFrom: t0.toISOString(), ...overrides}
}

/** Actions as short words: write:90/10, write:90/10+header, persist, observe:<window from>, finish:N. */
function describe_(actions: Action[]): string[] {
  return actions.map((a) => {
    switch (a.type) {
      case 'write':
        return `write:${a.weights.stable}/${a.weights.canary}${a.headerRoute ? '+header' : ''}`
      case 'observe':
        return `observe:${a.from === t0.toISOString() ? 'same-window' : a.from === now.toISOString() ? 'new-window' : a.from}@+${(Date.parse(a.at) - now.getTime()) / 1000}s`
      case 'finish':
        return `finish:${a.exitCode}`
      default:
        return a.type
    }
  })
}

interface Row {
  name: string
  from: Partial<CanaryState>
  observation: Observation
  spec?: Parameters<typeof canarySpec>[0]
  phase: Phase
  actions: string[]
  check?: (s: CanaryState) => void
}

const gates = (v: Verdict): Observation => ({type: 'gates', evaluation: evaluation(v)})

const rows: Row[] = [
  // Progressing, a middle stage: every verdict.
  {name: 'pass advances to the next step', from: {}, observation: gates('pass'), phase: 'Progressing', actions: ['write:50/50', 'observe:new-window@+60s'], check: (s) => assert.equal(s.stage, 1)},
  {name: 'first fail below the threshold stays, counts, and judges a fresh window', from: {}, observation: gates('fail'), phase: 'Progressing', actions: ['persist', 'observe:new-window@+60s'], check: (s) => assert.equal(s.failedChecks, 1)},
  {name: 'fail at the threshold rolls back to the recorded weights', from: {failedChecks: 1}, observation: gates('fail'), phase: 'RolledBack', actions: ['write:100/0', 'finish:1'], check: (s) => assert.deepEqual(s.weights, {stable: 100, canary: 0})},
  {name: 'no-data holds the step and keeps the window growing', from: {}, observation: gates('no-data'), phase: 'Progressing', actions: ['persist', 'observe:same-window@+60s'], check: (s) => assert.equal(s.stage, 0)},
  {name: 'error is retried with backoff, without a write', from: {}, observation: gates('error'), phase: 'Progressing', actions: ['observe:same-window@+1s'], check: (s) => assert.equal(s.providerErrors, 1)},
  {name: 'the second error backs off longer', from: {providerErrors: 1}, observation: gates('error'), phase: 'Progressing', actions: ['observe:same-window@+2s']},
  {name: 'errors up to the bound pause (exit 3), never roll back', from: {providerErrors: 2}, observation: gates('error'), phase: 'Paused', actions: ['persist', 'finish:3'], check: (s) => assert.deepEqual(s.weights, {stable: 90, canary: 10})},
  {name: 'a pass after errors clears the error count', from: {providerErrors: 2}, observation: gates('pass'), phase: 'Progressing', actions: ['write:50/50', 'observe:new-window@+60s'], check: (s) => assert.equal(s.providerErrors, 0)},
  // The last stage.
  {name: 'pass at the last step promotes', from: {stage: 2, weights: {stable: 0, canary: 100}}, observation: gates('pass'), phase: 'Promoting', actions: ['write:0/100']},
  {name: 'pass at the last step with --no-promote holds at max and succeeds', spec: {promote: false}, from: {stage: 2, weights: {stable: 0, canary: 100}}, observation: gates('pass'), phase: 'Succeeded', actions: ['persist', 'finish:0']},
  {name: 'no-data at the last step still holds', from: {stage: 2}, observation: gates('no-data'), phase: 'Progressing', actions: ['persist', 'observe:same-window@+60s']},
  // The header stage.
  {name: 'start with --header writes the header route first, weights untouched', spec: {header: {name: 'x-canary', value: 'true'}}, from: {phase: 'Initializing', stage: -1, weights: {stable: 100, canary: 0}}, observation: {type: 'start'}, phase: 'Progressing', actions: ['write:100/0+header', 'observe:new-window@+60s']},
  {name: 'the header stage passing removes the header route and sets the first weights', spec: {header: {name: 'x-canary', value: 'true'}}, from: {stage: 0, weights: {stable: 100, canary: 0}, headerRoute: true}, observation: gates('pass'), phase: 'Progressing', actions: ['write:90/10', 'observe:new-window@+60s']},
  {name: 'the header stage failing at the threshold removes the header route', spec: {header: {name: 'x-canary', value: 'true'}}, from: {stage: 0, weights: {stable: 100, canary: 0}, headerRoute: true, failedChecks: 1}, observation: gates('fail'), phase: 'RolledBack', actions: ['write:100/0', 'finish:1'], check: (s) => assert.equal(s.headerRoute, false)},
  // Start, promotion, commands.
  {name: 'start writes the first step', from: {phase: 'Initializing', stage: -1, weights: {stable: 100, canary: 0}}, observation: {type: 'start'}, phase: 'Progressing', actions: ['write:90/10', 'observe:new-window@+60s']},
  {name: 'the promotion written, the run succeeds', from: {phase: 'Promoting', weights: {stable: 0, canary: 100}}, observation: {type: 'promoted'}, phase: 'Succeeded', actions: ['persist', 'finish:0']},
  {name: 'pause (Ctrl-C) keeps the weights and stops', from: {}, observation: {type: 'command', command: 'pause'}, phase: 'Paused', actions: ['persist', 'finish:130'], check: (s) => assert.equal(s.pausedBy, 'user')},
  {name: 'resume continues at the recorded stage with no weight write', from: {phase: 'Paused', stage: 1, weights: {stable: 50, canary: 50}, pausedBy: 'user'}, observation: {type: 'command', command: 'resume'}, phase: 'Progressing', actions: ['persist', 'observe:new-window@+60s'], check: (s) => assert.equal(s.stage, 1)},
  {name: 'resume after a kill (still Progressing) is the same', from: {stage: 1, weights: {stable: 50, canary: 50}}, observation: {type: 'command', command: 'resume'}, phase: 'Progressing', actions: ['persist', 'observe:new-window@+60s']},
  {name: 'resume of an interrupted promotion writes it again', from: {phase: 'Promoting', weights: {stable: 0, canary: 100}}, observation: {type: 'command', command: 'resume'}, phase: 'Promoting', actions: ['write:0/100']},
  {name: 'abort restores the recorded stable weights', from: {phase: 'Paused', stage: 1, weights: {stable: 50, canary: 50}}, observation: {type: 'command', command: 'abort'}, phase: 'RolledBack', actions: ['write:100/0', 'finish:1']},
  {name: 'promote by hand', from: {stage: 1, weights: {stable: 50, canary: 50}}, observation: {type: 'command', command: 'promote'}, phase: 'Promoting', actions: ['write:0/100']},
  {name: 'abort after success does nothing', from: {phase: 'Succeeded'}, observation: {type: 'command', command: 'abort'}, phase: 'Succeeded', actions: []},
  {name: 'pause of a paused run does nothing', from: {phase: 'Paused'}, observation: {type: 'command', command: 'pause'}, phase: 'Paused', actions: []},
]

// Every verdict in every phase other than Progressing: gates are ignored, nothing is written.
for (const phase of canaryPhases.filter((p) => p !== 'Progressing')) {
  for (const verdict of ['pass', 'fail', 'no-data', 'error'] as const) {
    rows.push({name: `${verdict} in ${phase} changes nothing`, from: {phase}, observation: gates(verdict), phase, actions: []})
  }
}

describe('canary state machine: step(spec, state, observation, now)', () => {
  for (const row of rows) {
    it(row.name, () => {
      const s = state(row.from)
      const result = step(row.spec ? canarySpec({...spec, ...row.spec}) : spec, s, row.observation, now)
      assert.equal(result.state.phase, row.phase)
      assert.deepEqual(describe_(result.actions), row.actions)
      if (row.actions.length === 0) assert.equal(result.state, s, 'an ignored observation returns the same state')
      row.check?.(result.state)
    })
  }

  it('judged looks are recorded in the history, errors are not', () => {
    let s = state()
    s = step(spec, s, gates('no-data'), now).state
    s = step(spec, s, gates('error'), now).state
    s = step(spec, s, gates('pass'), now).state
    assert.deepEqual(s.history.map((h) => h.verdict), ['no-data', 'pass'])
    assert.equal(s.looks, 1)
  })

  it('is pure: the input state is not changed', () => {
    const s = state()
    const copy = structuredClone(s)
    step(spec, s, gates('fail'), now)
    step(spec, s, gates('pass'), now)
    assert.deepEqual(s, copy)
  })
})
