import assert from 'node:assert/strict'
import {it} from 'node:test'
import {droppedGatewayServer, type MergedServer} from '../../../src/istio/gateway-server-conflicts.ts'
import {byCreation} from '../../../src/istio/conflicts.ts'

const http = (gateway: string, hosts: string[], extra: Partial<MergedServer> = {}): MergedServer => ({gateway, port: 80, protocol: 'HTTP', hosts, ...extra})
const https = (gateway: string, hosts: string[]): MergedServer => ({gateway, port: 443, protocol: 'HTTPS', hosts, tls: {mode: 'SIMPLE'}})

it('merges plain HTTP servers on one port whatever their hosts', () => {
  assert.equal(droppedGatewayServer([http('a/x', ['*'])], http('b/y', ['app.example.com'])), undefined)
  assert.equal(droppedGatewayServer([http('a/x', ['app.example.com'])], http('b/y', ['app.example.com'])), undefined)
  assert.equal(droppedGatewayServer([http('a/x', ['*'])], http('b/y', ['grpc.example.com'], {protocol: 'HTTP2'})), undefined, 'HTTP-family protocols merge')
})

it('drops a TLS server naming a host an earlier TLS server on the port names, exactly as written', () => {
  const earlier = https('a/x', ['app.example.com', 'b.example.com'])
  assert.deepEqual(droppedGatewayServer([earlier], https('b/y', ['app.example.com'])), {winner: earlier, reason: 'duplicate host names', hosts: ['app.example.com']})
  assert.equal(droppedGatewayServer([https('a/x', ['*.example.com'])], https('b/y', ['app.example.com'])), undefined, 'a wildcard is not a duplicate of a name it covers')
  assert.equal(droppedGatewayServer([https('a/x', ['app.example.com'])], {...https('b/y', ['app.example.com']), port: 8443}), undefined, 'another port')
  assert.equal(droppedGatewayServer([https('a/x', ['a/app.example.com'])], https('a/y', ['./app.example.com']))?.reason, 'duplicate host names', './host is the Gateway namespace')
  const redirect = http('a/x', ['app.example.com'], {tls: {httpsRedirect: true}})
  assert.equal(droppedGatewayServer([redirect], http('b/y', ['app.example.com'], {tls: {httpsRedirect: true}}))?.reason, 'duplicate host names', 'HTTP redirect servers carry TLS settings')
})

it('drops a server whose protocol clashes with the port, and a plain server on a TLS port', () => {
  assert.equal(droppedGatewayServer([http('a/x', ['*'])], {gateway: 'b/y', port: 80, protocol: 'TCP', hosts: ['*']})?.reason, 'protocol conflict on the port')
  assert.equal(droppedGatewayServer([https('a/x', ['a.example.com'])], {gateway: 'b/y', port: 443, protocol: 'HTTP', hosts: ['b.example.com']})?.reason, 'plain-text server on a TLS port')
  assert.equal(droppedGatewayServer([https('a/x', ['a.example.com'])], https('b/y', ['b.example.com'])), undefined, 'TLS servers share a port by SNI')
})

it('orders Gateways created in the same second as istiod does: by name byte by byte, then namespace', () => {
  const at = '2026-12-01T10:00:00Z'
  const gw = (namespace: string, name: string, created = at) => ({metadata: {namespace, name, creationTimestamp: created}})
  const names = (list: ReturnType<typeof gw>[]) => [...list].sort(byCreation).map((g) => `${g.metadata.namespace}/${g.metadata.name}`)
  // A locale comparison ignores the punctuation and puts shop-gateway-copy first; Go's string order does not.
  assert.deepEqual(names([gw('default', 'shop-gateway-copy'), gw('default', 'shop-gateway')]), ['default/shop-gateway', 'default/shop-gateway-copy'])
  assert.deepEqual(names([gw('b', 'same'), gw('a', 'same'), gw('z', 'Upper')]), ['z/Upper', 'a/same', 'b/same'])
  assert.deepEqual(names([gw('default', 'a', '2026-12-01T10:00:01Z'), gw('default', 'b')]), ['default/b', 'default/a'], 'older first, whatever the name')
})
