import {test} from 'node:test'
import assert from 'node:assert/strict'
import {flagsToSpec, parseRouteFlag} from '../../../src/scaffold/flags-to-spec.ts'
import {flagLocator} from '../../../src/scaffold/locate.ts'

const none = {hosts: [] as string[], routes: [] as string[], selector: [] as string[]}

test('--route routes come first in the order given, --service is the default route, last', () => {
  const {spec} = flagsToSpec('shop', {...none, hosts: ['shop.example.com'], routes: ['/api=api:8080', 'exact:/health=health'], service: 'web:80'})
  assert.deepEqual(spec.virtualServices?.[0]?.routes, [{match: '/api', to: 'api:8080'}, {match: 'exact:/health', to: 'health'}, {to: 'web:80'}])
})

test('MATCH may contain "=": the last one separates the service', () => {
  assert.deepEqual(parseRouteFlag('regex:/q=[a-z]+=search:8080'), {match: 'regex:/q=[a-z]+', to: 'search:8080'})
})

test('--subsets without --weights sends everything to the first subset, keeping the others at 0 for a later canary', () => {
  const {spec} = flagsToSpec('shop', {...none, hosts: ['a.example.com'], service: 'web', subsets: 'v1,v2'})
  assert.deepEqual(spec.virtualServices?.[0]?.routes[0]?.to, [{service: 'web', subset: 'v1', weight: 100}, {service: 'web', subset: 'v2', weight: 0}])
})

test('the locator names the flag a spec path came from', () => {
  const {origins} = flagsToSpec('shop', {...none, hosts: ['a.example.com', 'b.example.com'], routes: ['/api=api'], service: 'web', subsets: 'v1,v2', weights: 'v1=90,v2=10'})
  const locate = flagLocator(origins, 'flags')
  assert.equal(locate(['gateway', 'hosts', 1]), '--host b.example.com')
  assert.equal(locate(['virtualServices', 0, 'routes', 0, 'match']), '--route /api=api')
  assert.equal(locate(['virtualServices', 0, 'routes', 1, 'to', 1]), '--weights')
  assert.equal(locate(['virtualServices', 0, 'routes', 1]), '--service web')
})
