import assert from 'node:assert/strict'
import {after, before, beforeEach, describe, it} from 'node:test'
import path from 'node:path'
import {canaryWorldFile, startCanaryWorld} from '../helpers/canary-world.ts'
import {repoRoot} from '../helpers/paths.ts'
import {runGw, startGw} from '../helpers/gw-process.ts'
import type {MeshTestSandbox} from '../helpers/sandbox-harness.ts'

type Json = Record<string, any>

/**
 * kubectl gw canary against the sandbox, as a user runs it: the built CLI in a child process, the
 * simulated mesh's traffic flowing by the live weights, real kubectl to set up and to look.
 */
describe('kubectl gw canary on the sandbox (built CLI, real kubectl)', () => {
  let world: MeshTestSandbox
  let env: Record<string, string>

  const kubectlJson = async (args: string[]): Promise<Json> => {
    const r = await world.kubectl([...args, '-o', 'json'])
    assert.equal(r.code, 0, r.stderr)
    return JSON.parse(r.stdout) as Json
  }
  const liveRoutes = async () => (await kubectlJson(['get', 'virtualservice', 'app-service', '-n', 'default'])).spec.http as Json[]
  const primaryWeights = async () => ((await liveRoutes()).find((r) => r.name === 'primary')!.route as Json[]).map((d) => d.weight as number)

  before(async () => {
    world = await startCanaryWorld()
    env = {KUBECONFIG: world.kubeconfig, HOME: world.dir}
  })
  after(async () => {
    await world?.close()
  })
  beforeEach(async () => {
    // A fresh route at stable 100 / canary 0 with no run recorded, applied with real kubectl.
    await world.kubectl(['delete', 'virtualservice', 'app-service', '-n', 'default', '--ignore-not-found'])
    const applied = await world.kubectl(['apply', '-f', canaryWorldFile])
    assert.equal(applied.code, 0, applied.stderr)
    world.mesh.start()
  })

  it('a healthy canary promotes: one write per step, the other route untouched, JSON events per line', async () => {
    const before = (await liveRoutes()).find((r) => r.name === 'health')
    const run = await runGw(['canary', 'app-service', '--steps', '50,100', '--interval', '1200ms', '-o', 'json'], env)
    assert.equal(run.code, 0, run.stderr)
    assert.deepEqual(await primaryWeights(), [0, 100])
    assert.deepEqual((await liveRoutes()).find((r) => r.name === 'health'), before)
    const types = run.events.map((e) => e.type)
    assert.equal(types[0], 'started')
    assert.equal(types.at(-1), 'result')
    // The -o json contract (README): the keys of every event type.
    const keys: Record<string, string[]> = {
      started: ['at', 'provider', 'stages', 'target', 'type'],
      weights: ['at', 'headerRoute', 'label', 'stage', 'type', 'weights'],
      waiting: ['at', 'label', 'stage', 'type', 'until', 'windowFrom'],
      look: ['at', 'evaluation', 'label', 'stage', 'type', 'verdict'],
      phase: ['at', 'message', 'phase', 'type'],
      result: ['exitCode', 'failedChecks', 'message', 'phase', 'stages', 'target', 'type', 'weights', 'writes'],
    }
    for (const event of run.events) assert.deepEqual(Object.keys(event).sort(), keys[String(event.type)], `keys of a ${event.type} event`)
    assert.deepEqual(Object.keys(run.events[0]!.target as Json).sort(), ['apiVersion', 'kind', 'name', 'namespace', 'router'])
    const weights = run.events.filter((e) => e.type === 'weights').map((e) => (e.weights as Json).canary)
    assert.deepEqual(weights, [50, 100, 100], 'each step written once, then the promotion')
    const looks = run.events.filter((e) => e.type === 'look')
    assert.deepEqual(looks.map((e) => e.verdict), ['pass', 'pass'])
    const comparison = (looks[0]!.evaluation as Json).gates.find((g: Json) => g.gate === 'error-rate-vs-stable')
    assert.equal(comparison.verdict, 'pass')
    assert.ok(comparison.pValue > 0.05)
    const result = run.events.at(-1)!
    assert.equal(result.phase, 'Succeeded')
    assert.equal(result.writes, 4, '2 steps, the promotion and its record: one guarded update each')
    const status = await runGw(['canary', 'status', 'app-service', '-o', 'json'], env)
    const parsed = JSON.parse(status.stdout) as Json
    assert.deepEqual(Object.keys(parsed).sort(), ['liveWeights', 'record', 'target'])
    assert.equal(parsed.record.state.phase, 'Succeeded')
    assert.deepEqual(parsed.liveWeights, {stable: 0, canary: 100})
    assert.equal(parsed.record.lock, undefined, 'a finished run holds no lock')
  })

  it('without -o json: plain progress lines on stderr (no escape codes), the summary with charts on stdout, status as a table', async () => {
    const run = await runGw(['canary', 'app-service', '--steps', '100', '--interval', '600ms'], env)
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stderr, /stage 1\/1 \(weight 100%\): weights stable 0 \/ canary 100/)
    assert.match(run.stderr, /pass: requests \d+ \(>= 20\) ok/)
    assert.doesNotMatch(run.stderr + run.stdout, /\x1b\[/)
    assert.match(run.stdout, /^Succeeded: promoted: canary at 100%$/m)
    assert.match(run.stdout, /success rate % per look: canary/)
    assert.match(run.stdout, /p99 ms per look: stable/)
    const status = await runGw(['canary', 'status', 'app-service'], env)
    assert.match(status.stdout, /^VirtualService default\/app-service: Succeeded - promoted: canary at 100%$/m)
    assert.match(status.stdout, /live stable 0 \/ canary 100; restore stable 100 \/ canary 0/)
  })

  it('--header: a route just before the managed one sends matching requests to the canary, is judged, then removed', async () => {
    const run = startGw(['canary', 'app-service', '--header', 'x-canary=true', '--steps', '100', '--interval', '800ms', '-o', 'json'], env)
    await run.waitFor((e) => e.type === 'waiting' && e.stage === 0)
    const during = await liveRoutes()
    assert.deepEqual(during.map((r) => r.name), ['health', 'kubectl-gw-canary-header', 'primary'])
    assert.deepEqual(during[1]!.match, [{headers: {'x-canary': {exact: 'true'}}}])
    assert.deepEqual(during[1]!.route, [{destination: {host: 'app-service', subset: 'canary'}}])
    const {code} = await run.exited
    assert.equal(code, 0, run.stderr())
    const headerLook = run.events.find((e) => e.type === 'look' && e.stage === 0)!
    assert.equal(headerLook.verdict, 'pass')
    assert.ok((headerLook.evaluation as Json).canary.requests > 0, 'the header route carried canary traffic')
    assert.deepEqual((await liveRoutes()).map((r) => r.name), ['health', 'primary'])
    assert.deepEqual(await primaryWeights(), [0, 100])
  })

  it('a host-level split: the canary host is added to a one-destination route and judged by destination_service_name', async () => {
    const hosts = await world.kubectl(['apply', '-f', path.join(repoRoot, 'test', 'fixtures', 'canary', 'app-hosts.yaml')])
    assert.equal(hosts.code, 0, hosts.stderr)
    const dry = await runGw(['canary', 'app-hosts', '--stable', 'app-stable', '--canary', 'app-canary.default.svc.cluster.local', '--steps', '50,100', '--interval', '800ms', '--dry-run'], env)
    assert.equal(dry.code, 0, dry.stderr)
    assert.match(dry.stdout, /host split, stable "app-stable", canary "app-canary\.default\.svc\.cluster\.local"/)
    assert.match(dry.stdout, /destination_service_name="app-canary",destination_service_namespace="default"\}/)
    const run = await runGw(['canary', 'app-hosts', '--stable', 'app-stable', '--canary', 'app-canary.default.svc.cluster.local', '--steps', '50,100', '--interval', '800ms', '-o', 'json'], env)
    assert.equal(run.code, 0, run.stderr)
    assert.ok((run.events.find((e) => e.type === 'look')!.evaluation as Json).canary.requests > 0)
    const route = (await kubectlJson(['get', 'virtualservice', 'app-hosts', '-n', 'default'])).spec.http[0]
    assert.deepEqual(route.route, [
      {destination: {host: 'app-stable.default.svc.cluster.local'}, weight: 0},
      {destination: {host: 'app-canary.default.svc.cluster.local'}, weight: 100},
    ])
  })

  it('Gateway API: an HTTPRoute split promotes, and rolls back when its canary backend fails', async () => {
    const fixture = path.join(repoRoot, 'test', 'fixtures', 'canary', 'app-httproute.yaml')
    const applied = await world.kubectl(['apply', '-f', fixture])
    assert.equal(applied.code, 0, applied.stderr)
    const backendWeights = async () => ((await kubectlJson(['get', 'httproute', 'app-route', '-n', 'default'])).spec.rules[0].backendRefs as Json[]).map((b) => `${b.name}=${b.weight}`)
    const run = await runGw(['canary', 'httproute/app-route', '--steps', '50,100', '--interval', '800ms', '-o', 'json'], env)
    assert.equal(run.code, 0, run.stderr)
    assert.deepEqual(await backendWeights(), ['app-stable=0', 'app-canary=100'])
    assert.equal((run.events[0]!.target as Json).router, 'gateway-api-httproute')
    const look = run.events.find((e) => e.type === 'look')!
    assert.equal(look.verdict, 'pass', JSON.stringify(look.evaluation))
    assert.ok(((look.evaluation as Json).canary as Json).requests > 0, 'the Gateway API gateway carried canary traffic')

    // The same route from the start, its canary backend failing: judged by destination_service_name, rolled back.
    await world.kubectl(['delete', 'httproute', 'app-route', '-n', 'default'])
    assert.equal((await world.kubectl(['apply', '-f', fixture])).code, 0)
    assert.equal((await runGw(['sandbox', 'fault', 'app-service-canary', '--error-rate', '0.2'], env)).code, 0)
    try {
      const failing = await runGw(['canary', 'httproute/app-route', '--steps', '25,50,100', '--interval', '800ms', '-o', 'json'], env)
      assert.equal(failing.code, 1, failing.stderr)
      assert.equal(failing.events.at(-1)!.phase, 'RolledBack')
      assert.deepEqual(await backendWeights(), ['app-stable=100', 'app-canary=0'])
    } finally {
      await runGw(['sandbox', 'fault', 'app-service-canary', '--clear'], env)
    }
  })

  it('sandbox fault on the canary rolls back to 100/0 (exit 1), judged against the stable', async () => {
    const fault = await runGw(['sandbox', 'fault', 'app-service-canary', '--error-rate', '0.2'], env)
    assert.equal(fault.code, 0, fault.stderr)
    try {
      const run = await runGw(['canary', 'app-service', '--steps', '25,50,100', '--interval', '1200ms', '-o', 'json'], env)
      assert.equal(run.code, 1, run.stderr)
      assert.deepEqual(await primaryWeights(), [100, 0])
      const result = run.events.at(-1)!
      assert.equal(result.phase, 'RolledBack')
      const looks = run.events.filter((e) => e.type === 'look')
      assert.deepEqual(looks.map((e) => e.verdict), ['fail', 'fail'])
      const gate = (looks[0]!.evaluation as Json).gates.find((g: Json) => g.gate === 'error-rate-vs-stable')
      assert.equal(gate.verdict, 'fail')
      assert.ok(gate.pValue < 1e-6, `p ${gate.pValue}`)
      assert.ok(gate.canary > 10 && gate.stable === 0, `canary ${gate.canary}% vs stable ${gate.stable}%`)
    } finally {
      await runGw(['sandbox', 'fault', 'app-service-canary', '--clear'], env)
    }
  })

  it('no traffic holds the step (never passes); Ctrl-C pauses with the weights kept', async () => {
    world.mesh.stop()
    const run = startGw(['canary', 'app-service', '--steps', '50,100', '--interval', '300ms', '-o', 'json'], env)
    let holds = 0
    await run.waitFor((e) => e.type === 'look' && e.verdict === 'no-data' && ++holds === 3)
    run.child.kill('SIGINT')
    const {code} = await run.exited
    assert.equal(code, 130, run.stderr())
    assert.deepEqual(run.events.filter((e) => e.type === 'look').map((e) => e.verdict), ['no-data', 'no-data', 'no-data'])
    assert.deepEqual(await primaryWeights(), [50, 50])
    const status = JSON.parse((await runGw(['canary', 'status', 'app-service', '-o', 'json'], env)).stdout) as Json
    assert.equal(status.record.state.phase, 'Paused')
    assert.equal(status.record.state.stage, 0)
    const abort = await runGw(['canary', 'abort', 'app-service'], env)
    assert.equal(abort.code, 0, abort.stderr)
    assert.deepEqual(await primaryWeights(), [100, 0])
  })

  it('kill -9 mid-run, then resume: it completes with no step lost or doubled', async () => {
    const first = startGw(['canary', 'app-service', '--steps', '25,50,75,100', '--interval', '1200ms', '-o', 'json'], env)
    await first.waitFor((e) => e.type === 'weights' && e.stage === 1)
    first.child.kill('SIGKILL')
    await first.exited
    const status = JSON.parse((await runGw(['canary', 'status', 'app-service', '-o', 'json'], env)).stdout) as Json
    assert.equal(status.record.state.phase, 'Progressing')
    assert.equal(status.record.state.stage, 1)
    assert.match(status.record.lock.holder, new RegExp(`:${first.child.pid}$`))
    const resumed = await runGw(['canary', 'resume', 'app-service', '-o', 'json'], env)
    assert.equal(resumed.code, 0, resumed.stderr)
    assert.equal(resumed.events[0]!.type, 'resumed')
    const written = [...first.events, ...resumed.events].filter((e) => e.type === 'weights' && e.label !== 'Promoting').map((e) => e.stage)
    assert.deepEqual(written, [0, 1, 2, 3], 'every step written exactly once across both processes')
    const result = resumed.events.at(-1)!
    assert.equal(result.phase, 'Succeeded')
    assert.deepEqual((result.stages as Json[]).filter((s) => s.verdict === 'pass').map((s) => s.stage), [0, 1, 2, 3], 'every step judged and passed once')
    assert.deepEqual(await primaryWeights(), [0, 100])
  })

  it('a second run is refused while the first holds the lock, naming the holder; abort restores the weights', async () => {
    // A long interval: the first run is still waiting when the others come, however slow the machine.
    const first = startGw(['canary', 'app-service', '--steps', '20,40,100', '--interval', '60s', '-o', 'json'], env)
    await first.waitFor((e) => e.type === 'weights' && e.stage === 0)
    const second = await runGw(['canary', 'app-service', '--steps', '50,100', '--interval', '1s'], env)
    assert.equal(second.code, 1)
    assert.match(second.stderr, new RegExp(`in progress, held by [^ ]+:${first.child.pid} until`))
    const resume = await runGw(['canary', 'resume', 'app-service'], env)
    assert.equal(resume.code, 1, 'resume is refused too while the holder lives')
    const abort = await runGw(['canary', 'abort', 'app-service', '-o', 'json'], env)
    assert.equal(abort.code, 0, abort.stderr)
    assert.equal((JSON.parse(abort.stdout) as Json).phase, 'RolledBack')
    assert.deepEqual(await primaryWeights(), [100, 0])
    // Ctrl-C makes the first run write its pause: it finds the run aborted by another client and writes nothing.
    first.child.kill('SIGINT')
    const {code} = await first.exited
    assert.equal(code, 1, 'the running CLI stops at its next write: the run was aborted')
    assert.match(String(first.events.at(-1)!.message), /changed by another client: RolledBack/)
    assert.deepEqual(await primaryWeights(), [100, 0], 'nothing written after the abort')
  })
})
