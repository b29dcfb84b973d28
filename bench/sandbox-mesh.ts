/**
 * Sandbox mesh at scale: 1,000 Gateways, 5,000 VirtualServices and 5,000 Services bound to the
 * ingress gateway. Prints istiod recompute time, /config_dump render time and size, and the cost of
 * one traffic tick. Run: node bench/sandbox-mesh.ts
 */
import {performance} from 'node:perf_hooks'
import {createSimulatedMesh} from '../src/sandbox/mesh/index.ts'
import {FakeClusterState, demoWorld} from '../test/helpers/fake-cluster-state.ts'

const gateways = 1000
const virtualServices = 5000
const services = 5000

const state = new FakeClusterState()
demoWorld(state)
for (let s = 0; s < services; s++) {
  state.apply({apiVersion: 'v1', kind: 'Service', metadata: {name: `svc-${s}`, namespace: 'bench'}, spec: {selector: {app: `svc-${s}`}, ports: [{name: 'http', port: 8080, targetPort: 8080}]}})
  if (s % 5 === 0) {
    state.apply({apiVersion: 'v1', kind: 'Pod', metadata: {name: `svc-${s}-pod`, namespace: 'bench', labels: {app: `svc-${s}`, version: 'v1'}}, spec: {containers: [{name: 'app'}]}, status: {phase: 'Running', podIP: `10.1.${Math.floor(s / 250)}.${s % 250}`, conditions: [{type: 'Ready', status: 'True'}]}})
  }
}
for (let g = 0; g < gateways; g++) {
  state.apply({apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: {name: `gw-${g}`, namespace: 'bench'}, spec: {selector: {istio: 'ingressgateway'}, servers: [{port: {number: 80, name: 'http', protocol: 'HTTP'}, hosts: [`*.gw-${g}.example.com`]}]}})
}
for (let v = 0; v < virtualServices; v++) {
  const g = v % gateways
  state.apply({apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: {name: `vs-${v}`, namespace: 'bench'}, spec: {hosts: [`app-${v}.gw-${g}.example.com`], gateways: [`gw-${g}`], http: [{match: [{uri: {prefix: '/api'}}], route: [{destination: {host: `svc-${v}`, port: {number: 8080}}, weight: 90}, {destination: {host: `svc-${(v + 1) % services}`, port: {number: 8080}}, weight: 10}], timeout: '5s'}, {route: [{destination: {host: `svc-${v}`}}]}]}})
}

const mesh = createSimulatedMesh(state, {timer: {setInterval: () => 0, clearInterval: () => undefined}})
const pod = state.list('', 'Pod', 'istio-system')[0]!.metadata.name
const dump = async (query = '') => {
  const url = new URL(`http://x/config_dump${query}`)
  const r = await mesh.handlePodRequest({namespace: 'istio-system', pod, port: 15000, method: 'GET', path: url.pathname, query: url.searchParams, headers: {}})
  return String(r!.body)
}
const time = async <T>(label: string, fn: () => Promise<T> | T): Promise<T> => {
  const start = performance.now()
  const result = await fn()
  console.log(`${label.padEnd(62)} ${(performance.now() - start).toFixed(0).padStart(6)} ms`)
  return result
}

console.log(`world: ${gateways} Gateways, ${virtualServices} VirtualServices, ${services} Services, 2 gateway pods`)
const first = await time('first /config_dump (index + translate 2 pods + render)', () => dump())
await time('/config_dump again (render only)', () => dump())
await time('/config_dump?mask=dynamic_route_configs', () => dump('?mask=dynamic_route_configs'))
await time('/config_dump?include_eds', () => dump('?include_eds'))
state.apply({apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: {name: 'vs-0', namespace: 'bench'}, spec: {hosts: ['app-0.gw-0.example.com'], gateways: ['gw-0'], http: [{route: [{destination: {host: 'svc-0'}, weight: 50}, {destination: {host: 'svc-1'}, weight: 50}]}]}})
await time('one VirtualService changed: istiod recompute (push)', () => mesh.proxyConfig('istio-system', pod))
await time('/config_dump after that push (render)', () => dump())
state.apply({apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: {name: 'vs-1', namespace: 'bench'}, spec: {hosts: ['app-1.gw-1.example.com'], gateways: ['gw-1'], http: [{route: [{destination: {host: 'svc-1'}}]}]}})
await time('another change: recompute + /config_dump together', () => dump())
await time('first traffic tick after a push (1 s, every route, both pods)', () => mesh.runTraffic(1))
await time('steady traffic tick', () => mesh.runTraffic(1))
await time('scrape (all series, Prometheus text)', () => mesh.scrape().length)
const parsed = JSON.parse(first)
const routes = parsed.configs.find((c: {'@type': string}) => c['@type'].endsWith('.RoutesConfigDump')).dynamic_route_configs[0].route_config.virtual_hosts.length
console.log(`config_dump: ${(first.length / 1e6).toFixed(1)} MB, ${routes} virtual hosts in http.8080; heap ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB`)
