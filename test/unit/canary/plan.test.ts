import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'
import {parseAllDocuments} from 'yaml'
import {trafficRouters} from '../../../plugins/traffic-routers/index.ts'
import {parseCanaryFlags, planCanary, type CanaryFlags} from '../../../src/canary/plan.ts'
import {UsageError} from '../../../src/errors.ts'
import type {KubeObject} from '../../../src/kube/objects.ts'
import {fakeContext} from '../../helpers/fake-context.ts'
import {FakeKube} from '../../helpers/fake-kube.ts'
import {repoRoot} from '../../helpers/paths.ts'

const world = parseAllDocuments(readFileSync(path.join(repoRoot, 'test', 'fixtures', 'canary', 'app-service.yaml'), 'utf8')).map((d) => d.toJS() as KubeObject)
const gatewayPod = (name: string): KubeObject => ({apiVersion: 'v1', kind: 'Pod', metadata: {name, namespace: 'istio-system', labels: {istio: 'ingressgateway', app: 'istio-ingressgateway'}}, status: {phase: 'Running', conditions: [{type: 'Ready', status: 'True'}]}})
const flags: CanaryFlags = {target: 'app-service', maxWeight: 100, interval: '1m', threshold: 2, minRequests: 20, query: [], confidence: 95, maxLatencyRatio: 1.2, provider: 'auto', promote: true}

async function plan(extra: KubeObject[], overrides: Partial<CanaryFlags> = {}) {
  const kube = new FakeKube([...world, gatewayPod('gw-a'), gatewayPod('gw-b'), ...extra])
  return planCanary(fakeContext({kube, namespace: 'default'}), parseCanaryFlags({...flags, ...overrides}), trafficRouters)
}

describe('planning a canary from the cluster', () => {
  it('auto with no Prometheus anywhere picks envoy and the gateway pods behind the route\'s Gateway; sides by the DestinationRule\'s version labels', async () => {
    const p = await plan([])
    assert.equal(p.spec.provider, 'envoy')
    assert.deepEqual(p.gatewayPods.map((pod) => pod.name).sort(), ['gw-a', 'gw-b'])
    assert.deepEqual(p.spec.sides, {stable: {service: 'app-service', namespace: 'default', version: 'stable'}, canary: {service: 'app-service', namespace: 'default', version: 'canary'}})
    assert.equal(p.spec.route, 'primary')
    assert.deepEqual(p.restore, {stable: 100, canary: 0})
  })

  it('auto finds a Prometheus Service in istio-system and reaches it through the service proxy', async () => {
    const prometheus: KubeObject = {apiVersion: 'v1', kind: 'Service', metadata: {name: 'prometheus', namespace: 'istio-system'}, spec: {ports: [{name: 'http', port: 9090}]}}
    const p = await plan([prometheus])
    assert.equal(p.spec.provider, 'prometheus')
    assert.deepEqual(p.spec.prometheusService, {namespace: 'istio-system', name: 'prometheus', port: 9090})
  })

  it('auto with --prometheus-url picks prometheus; --provider prometheus with neither is a usage error', async () => {
    assert.equal((await plan([], {prometheusUrl: 'http://127.0.0.1:9090'})).spec.provider, 'prometheus')
    await assert.rejects(plan([], {provider: 'prometheus'}), (e: unknown) => e instanceof UsageError && /--prometheus-url/.test(`${e.message} ${e.hint}`))
  })

  it('an unknown VirtualService lists the ones there; a promoted route is refused', async () => {
    await assert.rejects(plan([], {target: 'nope'}), (e: unknown) => e instanceof UsageError && /VirtualService "nope" not found.*app-service/.test(`${e.message} ${e.hint}`))
    const promoted = structuredClone(world.at(-1)!) as KubeObject & {spec: {http: {route: {weight: number}[]}[]}}
    promoted.spec.http[1]!.route[0]!.weight = 0
    promoted.spec.http[1]!.route[1]!.weight = 100
    const kube = new FakeKube([...world.slice(0, -1), promoted, gatewayPod('gw-a')])
    await assert.rejects(planCanary(fakeContext({kube, namespace: 'default'}), parseCanaryFlags(flags), trafficRouters), (e: unknown) => e instanceof UsageError && /already has 100%/.test(e.message))
  })
})
