import type {ResourceType} from '../api/resources.ts'
import {crdFor, storageVersionOf} from './crds.ts'

import {worldNames, type WorldName} from './names.ts'

export {worldNames, type WorldName}

type Obj = Record<string, unknown>

interface WorkloadSpec {
  name: string
  namespace: string
  labels: Record<string, string>
  replicas: number
  container: {name: string; image: string; ports: {name?: string; containerPort: number}[]; args?: string[]; resources?: Record<string, unknown>}
  /** Extra pod template labels beyond the selector (e.g. sidecar injection). */
  templateLabels?: Record<string, string>
}

function deployment(spec: WorkloadSpec): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {name: spec.name, namespace: spec.namespace, labels: spec.labels},
    spec: {
      replicas: spec.replicas,
      selector: {matchLabels: spec.labels},
      template: {
        metadata: {labels: {...spec.labels, ...spec.templateLabels}},
        spec: {containers: [{...spec.container, ports: spec.container.ports.map((p) => ({...p, protocol: 'TCP'}))}]},
      },
    },
  }
}

function service(name: string, namespace: string, selector: Record<string, string>, ports: {name: string; port: number; targetPort: number}[], type = 'ClusterIP'): Obj {
  return {apiVersion: 'v1', kind: 'Service', metadata: {name, namespace, labels: {app: selector.app ?? name}}, spec: {type, selector, ports}}
}

function namespace(name: string, labels: Record<string, string> = {}): Obj {
  return {apiVersion: 'v1', kind: 'Namespace', metadata: {name, labels}}
}

/** "1.28" -> "1.28.0": the image tag istiod runs, which version detection reads. */
export function istioImageTag(istioVersion: string): string {
  return istioVersion.split('.').length === 2 ? `${istioVersion}.0` : istioVersion
}

function istio(istioVersion: string): Obj[] {
  const tag = istioImageTag(istioVersion)
  const ns = 'istio-system'
  const proxy = (name: string) => ({name: 'istio-proxy', image: `docker.io/istio/proxyv2:${tag}`, args: ['proxy', 'router', '--domain', '$(POD_NAMESPACE).svc.cluster.local', '--serviceCluster', name], ports: [
    {name: 'http-envoy-prom', containerPort: 15090},
    {name: 'status-port', containerPort: 15021},
    {name: 'http2', containerPort: 8080},
    {name: 'https', containerPort: 8443},
  ]})
  const istiodLabels = {app: 'istiod', istio: 'pilot'}
  const ingressLabels = {app: 'istio-ingressgateway', istio: 'ingressgateway'}
  const egressLabels = {app: 'istio-egressgateway', istio: 'egressgateway'}
  return [
    namespace(ns, {'topology.istio.io/network': 'gw-sandbox'}),
    deployment({
      name: 'istiod',
      namespace: ns,
      labels: istiodLabels,
      templateLabels: {'istio.io/rev': 'default', 'sidecar.istio.io/inject': 'false'},
      replicas: 1,
      container: {name: 'discovery', image: `docker.io/istio/pilot:${tag}`, args: ['discovery', '--monitoringAddr=:15014', '--domain', 'cluster.local', '--keepaliveMaxServerConnectionAge', '30m'], ports: [
        {containerPort: 8080},
        {containerPort: 15010},
        {containerPort: 15012},
        {containerPort: 15017},
        {name: 'http-monitoring', containerPort: 15014},
      ]},
    }),
    service('istiod', ns, istiodLabels, [
      {name: 'grpc-xds', port: 15010, targetPort: 15010},
      {name: 'https-dns', port: 15012, targetPort: 15012},
      {name: 'https-webhook', port: 443, targetPort: 15017},
      {name: 'http-monitoring', port: 15014, targetPort: 15014},
    ]),
    deployment({name: 'istio-ingressgateway', namespace: ns, labels: ingressLabels, templateLabels: {'sidecar.istio.io/inject': 'false', 'service.istio.io/canonical-name': 'istio-ingressgateway'}, replicas: 2, container: proxy('istio-ingressgateway')}),
    service('istio-ingressgateway', ns, ingressLabels, [
      {name: 'status-port', port: 15021, targetPort: 15021},
      {name: 'http2', port: 80, targetPort: 8080},
      {name: 'https', port: 443, targetPort: 8443},
    ], 'LoadBalancer'),
    deployment({name: 'istio-egressgateway', namespace: ns, labels: egressLabels, templateLabels: {'sidecar.istio.io/inject': 'false', 'service.istio.io/canonical-name': 'istio-egressgateway'}, replicas: 1, container: proxy('istio-egressgateway')}),
    service('istio-egressgateway', ns, egressLabels, [
      {name: 'http2', port: 80, targetPort: 8080},
      {name: 'https', port: 443, targetPort: 8443},
    ]),
    {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'istio', namespace: ns, labels: {app: 'istiod', release: 'istio'}}, data: {mesh: 'accessLogFile: /dev/stdout\ndefaultConfig:\n  discoveryAddress: istiod.istio-system.svc:15012\nrootNamespace: istio-system\ntrustDomain: cluster.local\n', meshNetworks: 'networks: {}'}},
    {apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: {name: 'istio'}, spec: {controllerName: 'istio.io/gateway-controller', description: 'The default Istio GatewayClass'}},
  ]
}

/** The applications seed 000's examples route to: name, service port, and pod versions. */
export const demoApplications: {name: string; port: number; versions: string[]}[] = [
  {name: 'api-service', port: 8080, versions: ['v1', 'v2']},
  {name: 'web-frontend', port: 80, versions: ['v1']},
  {name: 'admin-service', port: 8080, versions: ['v1']},
  {name: 'cdn-service', port: 80, versions: ['v1']},
  {name: 'health-service', port: 8080, versions: ['v1']},
  {name: 'versioned-api', port: 8080, versions: ['v1']},
  {name: 'mobile-api-service', port: 8080, versions: ['v1']},
  {name: 'api-v2-service', port: 8080, versions: ['v1']},
  {name: 'debug-api-service', port: 8080, versions: ['v1']},
  {name: 'premium-service', port: 8080, versions: ['v1']},
  {name: 'default-service', port: 80, versions: ['v1']},
  {name: 'app-service', port: 80, versions: ['stable', 'canary']},
]

function applications(): Obj[] {
  const objects: Obj[] = [
    // httpbin exactly as seed 000 deploys it, so applying the seed (even server-side) changes nothing.
    deployment({name: 'httpbin', namespace: 'default', labels: {app: 'httpbin'}, templateLabels: {'sidecar.istio.io/inject': 'true'}, replicas: 2, container: {name: 'httpbin', image: 'docker.io/kennethreitz/httpbin:latest', ports: [{containerPort: 80}], resources: {requests: {memory: '64Mi', cpu: '100m'}, limits: {memory: '128Mi', cpu: '200m'}}}}),
    service('httpbin', 'default', {app: 'httpbin'}, [{name: 'http', port: 80, targetPort: 80}]),
  ]
  for (const app of demoApplications) {
    for (const version of app.versions) {
      const labels = {app: app.name, version}
      objects.push(deployment({
        name: app.versions.length > 1 ? `${app.name}-${version}` : app.name,
        namespace: 'default',
        labels,
        replicas: 1,
        container: {name: app.name, image: 'docker.io/hashicorp/http-echo:1.0', args: [`-listen=:${app.port}`, `-text=${app.name} ${version}`], ports: [{name: 'http', containerPort: app.port}]},
      }))
    }
    objects.push(service(app.name, 'default', {app: app.name}, [{name: 'http', port: app.port, targetPort: app.port}]))
  }
  return objects
}

/** Everything a fresh sandbox holds, in creation order (namespaces and CRDs first). */
export function worldObjects(world: WorldName, istioVersion: string, customTypes: ResourceType[]): Obj[] {
  return [
    namespace('default', {'istio-injection': 'enabled'}),
    namespace('kube-system'),
    namespace('kube-public'),
    namespace('kube-node-lease'),
    {apiVersion: 'v1', kind: 'Node', metadata: {name: 'gw-sandbox-node', labels: {'kubernetes.io/hostname': 'gw-sandbox-node', 'kubernetes.io/os': 'linux', 'node-role.kubernetes.io/control-plane': ''}}, spec: {podCIDR: '10.244.0.0/16'}, status: {conditions: [{type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status'}], addresses: [{type: 'InternalIP', address: '172.18.0.2'}, {type: 'Hostname', address: 'gw-sandbox-node'}], nodeInfo: {kubeletVersion: 'v1.32.0', containerRuntimeVersion: 'containerd://1.7.0', operatingSystem: 'linux', architecture: 'amd64'}}},
    ...customTypes.map((type) => crdFor(type, storageVersionOf(type))),
    ...istio(istioVersion),
    ...(world === 'demo' ? applications() : []),
  ]
}
