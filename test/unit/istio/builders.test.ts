import {test} from 'node:test'
import assert from 'node:assert/strict'
import {stringify as toYaml} from 'yaml'
import {buildGateway} from '../../../src/istio/builders/gateway.ts'
import {buildVirtualService} from '../../../src/istio/builders/virtual-service.ts'
import {buildDestinationRule} from '../../../src/istio/builders/destination-rule.ts'
import {buildRateLimitFilter} from '../../../src/istio/builders/rate-limit-filter.ts'
import {buildHorizontalPodAutoscaler, buildPodDisruptionBudget} from '../../../src/istio/builders/workload-scaling.ts'
import {buildServiceEntry} from '../../../src/istio/builders/service-entry.ts'
import {buildHttpRoute, buildKubeGateway} from '../../../src/istio/builders/gateway-api.ts'

// Snapshots as YAML, the way a reviewer reads Kubernetes objects. Update: node --test --test-update-snapshots FILE
const yaml = {serializers: [(value: unknown) => toYaml(value, {lineWidth: 0})]}
const v1 = 'networking.istio.io/v1'

test('buildGateway: HTTPS with a credential plus an HTTP redirect server', (t) => {
  t.assert.snapshot(
    buildGateway({
      apiVersion: v1,
      name: 'shop-gateway',
      namespace: 'shop',
      labels: {app: 'shop'},
      selector: {istio: 'ingressgateway'},
      servers: [
        {port: {number: 443, name: 'https', protocol: 'HTTPS'}, hosts: ['shop.example.com'], tls: {mode: 'SIMPLE', credentialName: 'shop-cert'}},
        {port: {number: 80, name: 'http', protocol: 'HTTP'}, hosts: ['shop.example.com'], tls: {httpsRedirect: true}},
      ],
    }),
    yaml,
  )
})

test('buildVirtualService: matches, weights, rewrite, retries, headers; a redirect rule has no route', (t) => {
  t.assert.snapshot(
    buildVirtualService({
      apiVersion: v1,
      name: 'shop',
      namespace: 'shop',
      hosts: ['shop.example.com'],
      gateways: ['istio-system/shop-gateway'],
      http: [
        {match: [{uri: {prefix: '/old'}}], route: [], redirect: {uri: '/new', redirectCode: 301}},
        {
          match: [{uri: {regex: '/v[0-9]+/.*'}, headers: {'x-canary': {exact: 'true'}}, queryParams: {debug: {exact: '1'}}}],
          route: [
            {host: 'api', subset: 'v1', port: 8080, weight: 90},
            {host: 'api', subset: 'v2', port: 8080, weight: 10},
          ],
          rewrite: {uri: '/'},
          timeout: '30s',
          retries: {attempts: 3, perTryTimeout: '10s', retryOn: 'connect-failure,503'},
          headers: {response: {add: {'cache-control': 'no-store'}}},
        },
      ],
    }),
    yaml,
  )
})

test('buildVirtualService: SNI rules for passthrough', (t) => {
  t.assert.snapshot(
    buildVirtualService({apiVersion: v1, name: 'tls', hosts: ['a.example.com'], gateways: ['gw'], tls: [{match: [{port: 443, sniHosts: ['a.example.com']}], route: [{host: 'a', port: 443}]}]}),
    yaml,
  )
})

test('buildDestinationRule: traffic policy and subsets', (t) => {
  t.assert.snapshot(
    buildDestinationRule({
      apiVersion: v1,
      name: 'api',
      namespace: 'shop',
      host: 'api',
      trafficPolicy: {loadBalancer: {simple: 'LEAST_REQUEST'}, connectionPool: {tcp: {maxConnections: 100}}, outlierDetection: {consecutive5xxErrors: 5, interval: '30s'}},
      subsets: [{name: 'v1', labels: {version: 'v1'}}, {name: 'v2', labels: {version: 'v2'}}],
    }),
    yaml,
  )
})

test('buildRateLimitFilter: local rate limit before the router, on the gateway workload', (t) => {
  t.assert.snapshot(buildRateLimitFilter({name: 'shop-ratelimit', namespace: 'istio-system', workloadSelector: {istio: 'ingressgateway'}, maxTokens: 50, tokensPerFill: 50, fillInterval: '1s'}), yaml)
})

test('HPA, PDB and ServiceEntry builders', (t) => {
  t.assert.snapshot(
    [
      buildHorizontalPodAutoscaler({name: 'gw', namespace: 'istio-system', deployment: 'istio-ingressgateway', minReplicas: 2, maxReplicas: 10, cpuUtilization: 70}),
      buildPodDisruptionBudget({name: 'gw', namespace: 'istio-system', selector: {istio: 'ingressgateway'}, maxUnavailable: '25%'}),
      buildServiceEntry({apiVersion: v1, name: 'ext', hosts: ['api.example.org'], ports: [{number: 443, name: 'tls', protocol: 'TLS'}], resolution: 'DNS'}),
    ],
    yaml,
  )
})

test('Gateway API builders: listener with certificateRefs, HTTPRoute with filters and weighted backends', (t) => {
  t.assert.snapshot(
    [
      buildKubeGateway({name: 'shop', namespace: 'shop', gatewayClassName: 'istio', listeners: [{name: 'https', hostname: 'shop.example.com', port: 443, protocol: 'HTTPS', tls: {mode: 'Terminate', certificateRefs: [{kind: 'Secret', name: 'shop-cert'}]}}]}),
      buildHttpRoute({
        name: 'shop',
        namespace: 'shop',
        parentRefs: [{name: 'shop', sectionName: 'https'}],
        hostnames: ['shop.example.com'],
        rules: [
          {
            matches: [{path: {type: 'PathPrefix', value: '/api'}}],
            filters: [{type: 'URLRewrite', urlRewrite: {path: {type: 'ReplacePrefixMatch', replacePrefixMatch: '/'}}}],
            backendRefs: [{name: 'api-v1', port: 8080, weight: 90}, {name: 'api-v2', port: 8080, weight: 10}],
            timeouts: {request: '30s'},
          },
        ],
      }),
    ],
    yaml,
  )
})

test('builders leave out what was not asked for (no empty fields for the API server to prune)', () => {
  const gateway = buildGateway({apiVersion: v1, name: 'g', selector: {}, servers: [{port: {number: 80, name: 'http', protocol: 'HTTP'}, hosts: ['a.example.com']}]})
  assert.deepEqual(gateway, {apiVersion: v1, kind: 'Gateway', metadata: {name: 'g'}, spec: {servers: [{port: {number: 80, name: 'http', protocol: 'HTTP'}, hosts: ['a.example.com']}]}})
})
