import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'
import {parse} from 'yaml'
import {gatewayApiHttpRouteRouter} from '../../../plugins/traffic-routers/gateway-api-httproute.ts'
import {headerRouteName, istioVirtualServiceRouter} from '../../../plugins/traffic-routers/istio-virtualservice.ts'
import {UsageError} from '../../../src/errors.ts'
import type {KubeObject} from '../../../src/kube/objects.ts'
import {repoRoot} from '../../helpers/paths.ts'

type Json = Record<string, unknown>
const fixture = (name: string) => parse(readFileSync(path.join(repoRoot, 'test', 'fixtures', 'canary', 'routers', name), 'utf8')) as KubeObject
const routes = (o: KubeObject, key = 'http') => (o.spec as Json)[key] as Json[]
const usage = (fn: () => unknown, pattern: RegExp) => assert.throws(fn, (e: unknown) => e instanceof UsageError && pattern.test(`${e.message} ${e.hint}`))

/** Every route but `index`, serialised: must stay byte for byte. */
const others = (o: KubeObject, index: number, key = 'http') => routes(o, key).filter((_, i) => i !== index).map((r) => JSON.stringify(r))

describe('Istio VirtualService router (subset split)', () => {
  const vs = fixture('subset-several-routes.yaml')

  it('finds the route by its destinations, not its index, and reads its weights', () => {
    usage(() => istioVirtualServiceRouter.locate(vs, {}), /2 http routes.*checkout, default/)
    const located = istioVirtualServiceRouter.locate(vs, {stable: 'stable'})
    assert.equal(located.label, 'checkout')
    assert.deepEqual({stable: located.stable, canary: located.canary, split: located.split, weights: located.weights}, {stable: 'stable', canary: 'canary', split: 'subset', weights: {stable: 90, canary: 10}})
  })

  it('with --stable/--canary it picks the route carrying both; the health route (stable only) is not it', () => {
    assert.equal(istioVirtualServiceRouter.locate(vs, {stable: 'stable', canary: 'canary'}).label, 'checkout')
    assert.equal(istioVirtualServiceRouter.locate(vs, {stable: 'v1', canary: 'v2'}).label, 'default')
  })

  it('sets the weights of the managed route only: every other route and field unchanged byte for byte', () => {
    const key = {route: 'checkout', stable: 'stable', canary: 'canary', split: 'subset' as const}
    const next = istioVirtualServiceRouter.setWeights(vs, key, {stable: 70, canary: 30})
    assert.deepEqual(others(next, 2), others(vs, 2))
    const before = routes(vs)[2]!
    const after = routes(next)[2]!
    assert.deepEqual((after.route as Json[]).map((d) => d.weight), [70, 30])
    assert.equal(JSON.stringify({...after, route: undefined}), JSON.stringify({...before, route: undefined}))
    assert.deepEqual((after.route as Json[]).map((d) => ({...d, weight: undefined})), (before.route as Json[]).map((d) => ({...d, weight: undefined})))
    assert.equal(JSON.stringify({...next, spec: undefined}), JSON.stringify({...vs, spec: undefined}))
    assert.deepEqual(istioVirtualServiceRouter.getWeights(next, key), {stable: 70, canary: 30})
    assert.equal(routes(vs)[2]!.route !== routes(next)[2]!.route, true, 'the input object is not modified')
    assert.deepEqual(((routes(vs)[2]!.route as Json[]).map((d) => d.weight)), [90, 10])
  })

  it('the header route goes just before the managed route, copies its match, sends to the canary only, and leaves without a trace', () => {
    const key = {route: 'checkout', stable: 'stable', canary: 'canary', split: 'subset' as const}
    const header = {name: 'x-canary', value: 'true'}
    const withHeader = istioVirtualServiceRouter.setWeights(vs, key, {stable: 100, canary: 0}, {...header, present: true})
    const list = routes(withHeader)
    assert.equal(list.length, 5)
    assert.equal(list[2]!.name, headerRouteName)
    assert.equal(list[3]!.name, 'checkout')
    assert.deepEqual(list[2]!.match, [{uri: {prefix: '/checkout'}, headers: {'x-canary': {exact: 'true'}}}])
    assert.deepEqual(list[2]!.route, [{destination: {host: 'shop', subset: 'canary', port: {number: 80}}}])
    assert.equal(list[2]!.timeout, '5s', 'the header route keeps the managed route timeout and retries')
    assert.equal(istioVirtualServiceRouter.verifyWeights(withHeader, key, {stable: 100, canary: 0}, true, header), undefined)
    const removed = istioVirtualServiceRouter.setWeights(withHeader, key, {stable: 90, canary: 10}, {...header, present: false})
    assert.equal(JSON.stringify(removed), JSON.stringify(vs))
  })

  it('notices weights changed by someone else, naming them', () => {
    const key = {route: 'checkout', stable: 'stable', canary: 'canary', split: 'subset' as const}
    const changed = istioVirtualServiceRouter.setWeights(vs, key, {stable: 50, canary: 50})
    assert.match(istioVirtualServiceRouter.verifyWeights(changed, key, {stable: 90, canary: 10}, false) ?? '', /stable 50 \/ canary 50, the run last wrote stable 90 \/ canary 10/)
    assert.equal(istioVirtualServiceRouter.verifyWeights(vs, key, {stable: 90, canary: 10}, false), undefined)
  })

  it('unknown names are usage errors listing what exists', () => {
    usage(() => istioVirtualServiceRouter.locate(vs, {route: 'nope'}), /--route "nope".*health.*checkout.*default/)
    usage(() => istioVirtualServiceRouter.locate(vs, {route: 'checkout', stable: 'green'}), /--stable "green".*stable, canary/)
    usage(() => istioVirtualServiceRouter.locate(vs, {stable: 'green', canary: 'blue'}), /no http route.*green.*checkout -> shop\/stable, shop\/canary/)
  })

  it('two routes that fit is a usage error asking for --route', () => {
    const twice = structuredClone(vs)
    routes(twice).push({...structuredClone(routes(vs)[2]!), name: 'checkout-eu'})
    usage(() => istioVirtualServiceRouter.locate(twice, {stable: 'stable', canary: 'canary'}), /2 http routes.*checkout, checkout-eu.*--route/)
    assert.equal(istioVirtualServiceRouter.locate(twice, {route: 'checkout-eu'}).label, 'checkout-eu')
  })
})

describe('Istio VirtualService router (host split)', () => {
  const vs = fixture('host-level.yaml')

  it('adds the canary host to a one-destination route at the first write, other routes untouched', () => {
    const located = istioVirtualServiceRouter.locate(vs, {stable: 'reviews-stable', canary: 'reviews-canary.default.svc.cluster.local'})
    assert.deepEqual({label: located.label, split: located.split, added: located.canaryAdded, weights: located.weights}, {label: 'api', split: 'host', added: true, weights: {stable: 100, canary: 0}})
    const key = {route: 'api', stable: located.stable, canary: located.canary, split: located.split}
    const next = istioVirtualServiceRouter.setWeights(vs, key, {stable: 80, canary: 20})
    assert.deepEqual(routes(next)[0]!.route, [
      {destination: {host: 'reviews-stable.default.svc.cluster.local'}, weight: 80},
      {destination: {host: 'reviews-canary.default.svc.cluster.local'}, weight: 20},
    ])
    assert.deepEqual(others(next, 0), others(vs, 0))
    assert.deepEqual(istioVirtualServiceRouter.getWeights(next, key), {stable: 80, canary: 20})
  })
})

describe('Gateway API HTTPRoute router', () => {
  const route = fixture('httproute.yaml')

  it('finds the rule by its backendRefs and sets their weights, the other rule unchanged', () => {
    const located = gatewayApiHttpRouteRouter.locate(route, {})
    assert.deepEqual({label: located.label, stable: located.stable, canary: located.canary, weights: located.weights}, {label: '#2', stable: 'store-v1', canary: 'store-v2', weights: {stable: 95, canary: 5}})
    const key = {stable: 'store-v1', canary: 'store-v2', split: 'host' as const}
    const next = gatewayApiHttpRouteRouter.setWeights(route, key, {stable: 40, canary: 60})
    assert.deepEqual(((routes(next, 'rules')[1]!.backendRefs) as Json[]).map((r) => r.weight), [40, 60])
    assert.deepEqual(others(next, 1, 'rules'), others(route, 1, 'rules'))
  })

  it('the header rule matches the same paths plus the header, to the canary, and is removed without a trace', () => {
    const key = {stable: 'store-v1', canary: 'store-v2', split: 'host' as const}
    const header = {name: 'x-canary', value: 'true'}
    const withHeader = gatewayApiHttpRouteRouter.setWeights(route, key, {stable: 100, canary: 0}, {...header, present: true})
    const rules = routes(withHeader, 'rules')
    assert.equal(rules.length, 3)
    assert.deepEqual(rules[1]!.matches, [{path: {type: 'PathPrefix', value: '/'}, headers: [{type: 'Exact', name: 'x-canary', value: 'true'}]}])
    assert.deepEqual((rules[1]!.backendRefs as Json[]).map((r) => r.name), ['store-v2'])
    assert.deepEqual(gatewayApiHttpRouteRouter.getWeights(withHeader, key), {stable: 100, canary: 0})
    const removed = gatewayApiHttpRouteRouter.setWeights(withHeader, key, {stable: 95, canary: 5}, {...header, present: false})
    assert.equal(JSON.stringify(removed), JSON.stringify(route))
  })
})
