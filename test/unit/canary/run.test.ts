import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'
import {parse} from 'yaml'
import {headerRouteName, istioVirtualServiceRouter} from '../../../plugins/traffic-routers/istio-virtualservice.ts'
import type {CanarySpec, Measurement} from '../../../src/canary/model.ts'
import {ProviderError, type MetricProvider} from '../../../src/canary/provider.ts'
import {readRecord} from '../../../src/canary/record.ts'
import {runCanary, type CanaryEvent} from '../../../src/canary/run.ts'
import type {KubeObject} from '../../../src/kube/objects.ts'
import {canarySpec, measurement, side} from '../../helpers/canary-spec.ts'
import {fakeContext, ManualClock} from '../../helpers/fake-context.ts'
import {FakeKube} from '../../helpers/fake-kube.ts'
import {repoRoot} from '../../helpers/paths.ts'

type Json = Record<string, any>
const vsFixture = () => (parse(readFileSync(path.join(repoRoot, 'test', 'fixtures', 'canary', 'app-service.yaml'), 'utf8').split('---').at(-1)!) as KubeObject)
const identity = {holder: 'test-host:1', alive: () => true}

/** A provider that answers each look from a script: a measurement, or a thrown ProviderError. */
function scripted(looks: (Measurement | 'error' | ((kube: FakeKube) => Measurement))[], kube: FakeKube): MetricProvider {
  let i = 0
  return {
    name: 'scripted',
    source: 'a script',
    describe: () => [],
    beginWindow: async () => undefined,
    async measure() {
      const look = looks[Math.min(i++, looks.length - 1)]!
      if (look === 'error') throw new ProviderError('connection refused')
      return typeof look === 'function' ? look(kube) : look
    },
  }
}

/** Runs the driver to its end, moving the manual clock whenever it waits. */
async function drive(spec: CanarySpec, provider: (kube: FakeKube) => MetricProvider) {
  const kube = new FakeKube([vsFixture()])
  const clock = new ManualClock()
  const ctx = fakeContext({kube, clock, namespace: 'default'})
  const events: CanaryEvent[] = []
  let done = false
  const running = runCanary(ctx, spec, {router: istioVirtualServiceRouter, provider: provider(kube), identity, onEvent: (e) => events.push(e)}, {type: 'start', restore: {stable: 100, canary: 0}}).finally(() => (done = true))
  while (!done) {
    await new Promise((resolve) => setImmediate(resolve))
    clock.advance(1000)
  }
  const result = await running
  const vs = kube.find('VirtualService', 'default', 'app-service')!
  const primary = ((vs.spec as Json).http as Json[]).find((r) => r.name === 'primary')!
  return {result, events, vs, weights: (primary.route as Json[]).map((d) => d.weight), replaces: kube.calls.filter((c) => c.verb === 'replace').length}
}

const healthy = measurement(side(500, 0), side(5000, 0))
const spec = (overrides: Partial<CanarySpec> = {}) => canarySpec({steps: [25, 50, 100], intervalMs: 5000, maxLatencyRatio: 0, errorLimit: 3, ...overrides})

describe('canary driver over a fake cluster', () => {
  it('a healthy run: one guarded update per step, then two for the promotion; the record says Succeeded and holds no lock', async () => {
    const {result, weights, replaces, vs} = await drive(spec(), (kube) => scripted([healthy], kube))
    assert.equal(result.phase, 'Succeeded')
    assert.equal(result.exitCode, 0)
    assert.deepEqual(weights, [0, 100])
    assert.equal(replaces, 5)
    assert.equal(result.writes, 5)
    const record = readRecord(vs)!
    assert.equal(record.state.phase, 'Succeeded')
    assert.equal(record.lock, undefined)
    assert.deepEqual(record.state.history.map((h) => h.stage), [0, 1, 2])
  })

  it('weights changed by someone else stop the run (Failed, exit 1), naming the change and leaving their weights', async () => {
    const meddle = (kube: FakeKube) => {
      const vs = kube.find('VirtualService', 'default', 'app-service')!
      const primary = ((vs.spec as Json).http as Json[]).find((r) => r.name === 'primary')!
      primary.route[0].weight = 60
      primary.route[1].weight = 40
      kube.add(vs)
      return healthy
    }
    const {result, weights} = await drive(spec(), (kube) => scripted([healthy, meddle], kube))
    assert.equal(result.phase, 'Failed')
    assert.equal(result.exitCode, 1)
    assert.match(result.message, /weights are stable 60 \/ canary 40, the run last wrote stable 50 \/ canary 50/)
    assert.deepEqual(weights, [60, 40])
  })

  it('provider errors are retried and then pause the run (exit 3) with the weights kept, never a rollback', async () => {
    const {result, weights, events} = await drive(spec(), (kube) => scripted([healthy, 'error'], kube))
    assert.equal(result.phase, 'Paused')
    assert.equal(result.exitCode, 3)
    assert.deepEqual(weights, [50, 50])
    assert.deepEqual(events.filter((e) => e.type === 'look').map((e) => (e as {verdict: string}).verdict), ['pass', 'error', 'error', 'error'])
  })

  it('the header stage inserts its route before the managed one and removes it with the first weights', async () => {
    const seen: string[][] = []
    const record = (kube: FakeKube) => {
      seen.push(((kube.find('VirtualService', 'default', 'app-service')!.spec as Json).http as Json[]).map((r) => r.name))
      return healthy
    }
    const {result, vs} = await drive(spec({header: {name: 'x-canary', value: 'true'}, steps: [50, 100]}), (kube) => scripted([record], kube))
    assert.equal(result.phase, 'Succeeded')
    assert.deepEqual(seen[0], ['health', headerRouteName, 'primary'])
    assert.deepEqual(seen[1], ['health', 'primary'])
    assert.deepEqual(((vs.spec as Json).http as Json[]).map((r) => r.name), ['health', 'primary'])
  })

  it('a failing canary rolls back at the threshold to the recorded weights', async () => {
    const bad = measurement(side(500, 60), side(5000, 1))
    const {result, weights} = await drive(spec(), (kube) => scripted([healthy, bad], kube))
    assert.equal(result.phase, 'RolledBack')
    assert.equal(result.exitCode, 1)
    assert.deepEqual(weights, [100, 0])
    assert.equal(result.failedChecks, 2)
  })
})
