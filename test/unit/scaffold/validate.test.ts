import {test} from 'node:test'
import assert from 'node:assert/strict'
import {clientDryRunFacts} from '../../../src/scaffold/facts.ts'
import type {ScaffoldSpec} from '../../../src/scaffold/spec.ts'
import {validateSpec} from '../../../src/scaffold/validate.ts'

const gateway = {hosts: ['shop.example.com']}

function errors(spec: ScaffoldSpec): string[] {
  return validateSpec(spec, clientDryRunFacts(), 'default').errors.map((e) => `${e.path.join('.')}: ${e.message}`)
}

test('a valid spec has no errors and warns about wildcard hosts only', () => {
  const findings = validateSpec({name: 'shop', gateway: {hosts: ['*.example.com']}, virtualServices: [{routes: [{to: 'web'}]}]}, clientDryRunFacts(), 'default')
  assert.deepEqual(findings.errors, [])
  assert.deepEqual(findings.warnings.map((w) => w.path.join('.')), ['gateway.hosts.0'])
})

test('passthrough routes cannot use HTTP matching', () => {
  assert.deepEqual(errors({name: 's', gateway: {...gateway, tls: 'passthrough'}, virtualServices: [{routes: [{match: '/api', timeout: '5s', to: 'web:443'}]}]}), [
    'virtualServices.0.routes.0.match: TLS passthrough routes by SNI only: match, timeout cannot apply to encrypted traffic',
  ])
})

test('Gateway API has no header prefix match, retries or subsets', () => {
  const found = errors({
    name: 's',
    api: 'gateway-api',
    gateway,
    virtualServices: [{routes: [{headers: {host: 'prefix:api.'}, retries: {attempts: 2}, to: [{service: 'web', subset: 'v1'}]}]}],
  })
  assert.equal(found.length, 3, found.join('\n'))
  assert.match(found.join('\n'), /headers\.host: HTTPRoute has no prefix match/)
  assert.match(found.join('\n'), /retries: HTTPRoute retries/)
  assert.match(found.join('\n'), /to\.0: subset v1: HTTPRoute has no subsets/)
})

test('a DestinationRule that defines subsets must define every subset the routes use', () => {
  assert.deepEqual(errors({name: 's', gateway, virtualServices: [{routes: [{to: [{service: 'web', subset: 'v3'}]}]}], destinationRules: [{host: 'web', subsets: [{name: 'v1'}]}]}), [
    'destinationRules.0.subsets: routes use subset v3 of web, which this DestinationRule does not define: requests would get 503 NC',
  ])
})

test('egress needs one exact host; HPA min may not exceed max; routes need somewhere to go', () => {
  assert.deepEqual(errors({name: 's', egress: {host: '*.example.com'}}), ['egress.host: egress host "*.example.com": must be one exact host name'])
  assert.deepEqual(errors({name: 's', hpa: {min: 5, max: 2, cpu: 70}}), ['hpa: min 5 is above max 2'])
  assert.deepEqual(errors({name: 's', gateway, virtualServices: [{routes: [{match: '/x'}]}]}), ['virtualServices.0.routes.0: the route sends nowhere'])
  assert.deepEqual(errors({name: 's'}), [': nothing to scaffold'])
})

test('external hosts need a port; VirtualServices need a Gateway', () => {
  assert.deepEqual(errors({name: 's', gateway, virtualServices: [{routes: [{to: 'api.partner.example.org'}]}]}), ['virtualServices.0.routes.0.to: external host api.partner.example.org needs a port'])
  assert.match(errors({name: 's', virtualServices: [{routes: [{to: 'web'}]}]}).join('\n'), /VirtualServices need a Gateway/)
})

test('Gateway API backends in another namespace need a ReferenceGrant (warned)', () => {
  const findings = validateSpec({name: 's', api: 'gateway-api', gateway, virtualServices: [{routes: [{to: 'web.shop:80'}]}]}, clientDryRunFacts(), 'default')
  assert.deepEqual(findings.errors, [])
  assert.match(findings.warnings.map((w) => w.message).join('\n'), /backend shop\/web is in another namespace: the HTTPRoute needs a ReferenceGrant in shop/)
})
