import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {chooseRoute, pickWeightedCluster, redirectTarget, rewrittenPath, routeMatches, type RoutedRequest} from '../../../src/sandbox/mesh/envoy/router.ts'
import {parseClientHelloSni, selectFilterChain} from '../../../src/sandbox/mesh/envoy/downstream.ts'

const request = (path: string, extra: Partial<RoutedRequest> = {}): RoutedRequest => ({method: 'GET', path, authority: 'shop.example.com', scheme: 'http', headers: {}, ...extra})

describe('Envoy routing over a RouteConfiguration (envoy-route-matching.md)', () => {
  const config = {
    ignore_port_in_host_matching: true,
    virtual_hosts: [
      {name: 'shop.example.com:80', domains: ['shop.example.com'], routes: [
        {name: 'api', match: {prefix: '/api', case_sensitive: true}, route: {cluster: 'api'}},
        {name: 'catch', match: {prefix: '/'}, route: {cluster: 'web'}},
      ]},
      {name: '*.example.com:80', domains: ['*.example.com'], routes: [{name: 'wild', match: {prefix: '/'}, route: {cluster: 'wild'}}]},
      {name: 'secure.example.com:80', domains: ['secure.example.com'], require_tls: 'ALL', routes: []},
    ],
  }
  const routeName = (r: RoutedRequest) => {
    const choice = chooseRoute(config, r)
    return choice.kind === 'route' ? choice.route.name : choice.kind
  }

  it('chooses the vhost by exact host, then wildcard, ignoring the port', () => {
    assert.equal(routeName(request('/api/x', {authority: 'SHOP.example.com:8080'})), 'api')
    assert.equal(routeName(request('/x', {authority: 'a.b.example.com'})), 'wild')
    assert.equal(routeName(request('/x', {authority: 'example.org'})), 'no_vhost')
  })

  it('takes the first matching route: a prefix matches /apiv2 too', () => {
    assert.equal(routeName(request('/apiv2')), 'api')
    assert.equal(routeName(request('/API')), 'catch', 'prefixes are case sensitive')
  })

  it('redirects plain HTTP to https for require_tls vhosts, keeping host and path', () => {
    const choice = chooseRoute(config, request('/a?b=1', {authority: 'secure.example.com'}))
    assert.deepEqual(choice.kind === 'require_tls' && choice.location, 'https://secure.example.com/a?b=1')
    assert.equal(chooseRoute(config, request('/a', {authority: 'secure.example.com', scheme: 'https'})).kind, 'no_route')
  })

  it('matches exact paths without the query, regexes in full, path-separated prefixes on segment bounds', () => {
    assert.ok(routeMatches({path: '/health'}, request('/health?verbose=1')))
    assert.ok(!routeMatches({path: '/health'}, request('/healthz')))
    assert.ok(routeMatches({safe_regex: {regex: '/v[0-9]+/.*'}}, request('/v2/users')))
    assert.ok(!routeMatches({safe_regex: {regex: '/v[0-9]+'}}, request('/v2/users')), 'RE2 full match, not a search')
    assert.ok(routeMatches({path_separated_prefix: '/api/dev'}, request('/api/dev/v1')))
    assert.ok(!routeMatches({path_separated_prefix: '/api/dev'}, request('/api/developer')))
    assert.ok(routeMatches({prefix: '/API', case_sensitive: false}, request('/api/x')))
  })

  it('matches headers (pseudo-headers, invert, present) and query parameters', () => {
    const match = {prefix: '/', headers: [{name: 'x-user', string_match: {exact: 'beta'}}, {name: ':method', string_match: {exact: 'GET'}}, {name: 'x-debug', present_match: true, invert_match: true}], query_parameters: [{name: 'v', string_match: {prefix: '2'}}]}
    assert.ok(routeMatches(match, request('/p?v=2.1', {headers: {'x-user': 'beta'}})))
    assert.ok(!routeMatches(match, request('/p?v=2.1', {headers: {'x-user': 'beta', 'x-debug': '1'}})))
    assert.ok(!routeMatches(match, request('/p?v=1', {headers: {'x-user': 'beta'}})))
    assert.ok(!routeMatches(match, request('/p?v=2', {method: 'POST', headers: {'x-user': 'beta'}})))
  })

  it('rewrites the matched prefix or by regex, keeping the query', () => {
    assert.equal(rewrittenPath({match: {prefix: '/api/'}}, {prefix_rewrite: '/'}, '/api/users?id=1'), '/users?id=1')
    assert.equal(rewrittenPath({match: {safe_regex: {regex: '.*'}}}, {regex_rewrite: {pattern: {regex: '^/v(\\d+)/(.*)$'}, substitution: '/\\2?version=\\1'}}, '/v2/items'), '/items?version=2')
    assert.equal(rewrittenPath({match: {prefix: '/'}}, {}, '/x'), undefined)
  })

  it('builds redirect locations as Envoy does (scheme swap drops the default port)', () => {
    assert.deepEqual(redirectTarget({match: {prefix: '/old'}, redirect: {path_redirect: '/new', response_code: 'FOUND'}}, request('/old?q=1'), 8080), {status: 302, location: 'http://shop.example.com/new?q=1'})
    assert.deepEqual(redirectTarget({match: {prefix: '/'}, redirect: {scheme_redirect: 'https', host_redirect: 'secure.example.com'}}, request('/x'), 8080), {status: 301, location: 'https://secure.example.com/x'})
  })

  it('picks weighted clusters over cumulative intervals', () => {
    const action = {weighted_clusters: {clusters: [{name: 'stable', weight: 90}, {name: 'canary', weight: 10}]}}
    assert.equal(pickWeightedCluster(action, () => 0.899), 'stable')
    assert.equal(pickWeightedCluster(action, () => 0.9), 'canary')
    assert.equal(pickWeightedCluster({cluster: 'only'}, () => 0.5), 'only')
  })
})

describe('filter chain selection on the gateway listener', () => {
  const chains = [
    {name: 'a', filter_chain_match: {server_names: ['a.example.com']}},
    {name: 'wild', filter_chain_match: {server_names: ['*.example.com']}},
    {name: 'passthrough', filter_chain_match: {server_names: ['db.example.org'], transport_protocol: 'tls'}},
  ]
  it('prefers the exact server name, then the longest wildcard; an unknown SNI gets no chain', () => {
    assert.equal(selectFilterChain(chains, 'a.example.com', true)?.name, 'a')
    assert.equal(selectFilterChain(chains, 'b.example.com', true)?.name, 'wild')
    assert.equal(selectFilterChain(chains, 'db.example.org', true)?.name, 'passthrough')
    assert.equal(selectFilterChain(chains, 'other.org', true), undefined)
    assert.equal(selectFilterChain([...chains, {name: 'any'}], 'other.org', true)?.name, 'any')
  })

  it('reads the SNI from a real ClientHello', async () => {
    const tls = await import('node:tls')
    const {duplexPair} = await import('node:stream')
    const [client, server] = duplexPair()
    const hello = new Promise<Buffer>((resolve) => server.once('data', (chunk: Buffer) => resolve(chunk)))
    const socket = tls.connect({socket: client, servername: 'shop.example.com'})
    socket.on('error', () => undefined)
    assert.equal(parseClientHelloSni(await hello), 'shop.example.com')
    socket.destroy()
    assert.equal(parseClientHelloSni(Buffer.from('GET / HTTP/1.1\r\n')), undefined)
  })
})
