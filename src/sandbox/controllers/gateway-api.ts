import type {StoredObject} from '../mesh-contract.ts'
import type {ClusterApi} from '../api/cluster.ts'
import {deepEqual} from '../api/patch.ts'
import {gatewayApiGroup, gatewayNameLabel, managedLabel, managedLabelValue, translateGatewayApi, type ManagedDeployment} from '../mesh/istiod/gateway-api.ts'
import {istioMinor} from '../mesh/istiod/proxy-config.ts'
import {setStatus} from './workloads.ts'

/**
 * istiod's Gateway API controller as seen from the API: the managed Deployment, Service and
 * ServiceAccount of each `istio` Gateway (kube-gateway.yaml), and the status Istio writes on
 * Gateways and HTTPRoutes. The translation itself is the mesh's (istiod/gateway-api.ts).
 */

type Obj = Record<string, any>
const fieldManager = 'istio.io/gateway-controller'

function stamp(previous: Obj[] | undefined, conditions: Obj[], generation: number | undefined, now: string): Obj[] {
  return conditions.map((c) => {
    const before = previous?.find((p) => p.type === c.type)
    return {...c, observedGeneration: generation ?? 1, lastTransitionTime: before && before.status === c.status ? before.lastTransitionTime : now}
  })
}

async function ensureManaged(api: ClusterApi, managed: ManagedDeployment, istioVersion: string): Promise<void> {
  const {gateway, name, className} = managed
  const namespace = gateway.metadata.namespace!
  const existing = api.store.get('apps', 'Deployment', namespace, name)
  // canManage: an object Istio did not create is never taken over.
  if (existing && existing.metadata.labels?.[managedLabel] !== managedLabelValue) return
  const labels: Record<string, string> = {[gatewayNameLabel]: gateway.metadata.name, [managedLabel]: managedLabelValue, ...(istioMinor(istioVersion) >= 1028 ? {'gateway.networking.k8s.io/gateway-class-name': className} : {}), ...(istioMinor(istioVersion) < 1024 ? {'istio.io/gateway-name': gateway.metadata.name} : {})}
  const owner = [{apiVersion: gateway.apiVersion, kind: gateway.kind, name: gateway.metadata.name, uid: gateway.metadata.uid}]
  const metadata = {name, namespace, labels, ownerReferences: owner}
  const ports = [{name: 'status-port', port: 15021, appProtocol: 'tcp', protocol: 'TCP'}, ...managed.ports.map((p) => ({...p, protocol: 'TCP'}))]
  const serviceType = gateway.metadata.annotations?.['networking.istio.io/service-type'] ?? 'LoadBalancer'
  const service = {apiVersion: 'v1', kind: 'Service', metadata, spec: {type: serviceType, selector: {[gatewayNameLabel]: gateway.metadata.name}, ports, ipFamilyPolicy: 'PreferDualStack'}}
  const options = {fieldManager}
  if (!api.store.get('', 'ServiceAccount', namespace, name)) await api.create(api.registry.forKind('', 'ServiceAccount')!, 'v1', namespace, {apiVersion: 'v1', kind: 'ServiceAccount', metadata}, options)
  const currentService = api.store.get('', 'Service', namespace, name)
  if (!currentService) await api.create(api.registry.forKind('', 'Service')!, 'v1', namespace, service, options)
  else if (!deepEqual((currentService.spec as Obj).ports?.map((p: Obj) => [p.name, p.port]), ports.map((p) => [p.name, p.port]))) {
    await api.patch(api.registry.forKind('', 'Service')!, 'v1', namespace, name, 'merge', JSON.stringify({spec: {ports}}), options)
  }
  if (existing) return
  const tag = istioVersion.split('.').length === 2 ? `${istioVersion}.0` : istioVersion
  await api.create(api.registry.forKind('apps', 'Deployment')!, 'v1', namespace, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata,
    spec: {
      replicas: 1,
      selector: {matchLabels: {[gatewayNameLabel]: gateway.metadata.name}},
      template: {
        metadata: {
          labels: {...labels, 'sidecar.istio.io/inject': 'false', 'service.istio.io/canonical-name': name, 'service.istio.io/canonical-revision': 'latest'},
          annotations: {'istio.io/rev': 'default', 'prometheus.io/path': '/stats/prometheus', 'prometheus.io/port': '15020', 'prometheus.io/scrape': 'true'},
        },
        spec: {
          serviceAccountName: name,
          containers: [{
            name: 'istio-proxy',
            image: `docker.io/istio/proxyv2:${tag}`,
            args: ['proxy', 'router', '--domain', `$(POD_NAMESPACE).svc.cluster.local`, '--proxyLogLevel', 'warning', '--proxyComponentLogLevel', 'misc:error', '--log_output_level', 'default:info'],
            ports: [{containerPort: 15021, name: 'status-port', protocol: 'TCP'}, {containerPort: 15090, name: 'http-envoy-prom', protocol: 'TCP'}],
            readinessProbe: {httpGet: {path: '/healthz/ready', port: 15021}},
          }],
        },
      },
    },
  }, options)
}

/** One pass over every Gateway API object: managed workloads, then status (written only when it changes). */
export async function reconcileGatewayApi(api: ClusterApi): Promise<void> {
  const translation = translateGatewayApi(api.store)
  for (const managed of translation.deployments) await ensureManaged(api, managed, api.store.istioVersion)
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')
  for (const [key, status] of translation.gatewayStatus) {
    const [namespace, name] = key.split('/') as [string, string]
    const gateway = api.store.get(gatewayApiGroup, 'Gateway', namespace, name)
    if (!gateway) continue
    const previous = (gateway.status ?? {}) as Obj
    const generation = gateway.metadata.generation as number | undefined
    const next: Obj = {
      ...(status.addresses ? {addresses: status.addresses} : previous.addresses ? {addresses: previous.addresses} : {}),
      conditions: stamp(previous.conditions, status.conditions as Obj[], generation, now),
      listeners: (status.listeners as Obj[]).map((l) => ({...l, conditions: stamp(previous.listeners?.find((p: Obj) => p.name === l.name)?.conditions, l.conditions, generation, now)})),
    }
    await setStatus(api, gateway, next)
  }
  for (const route of api.store.list(gatewayApiGroup, 'HTTPRoute')) {
    const status = translation.routeStatus.get(`${route.metadata.namespace}/${route.metadata.name}`) as {parents: Obj[]} | undefined
    const previous = ((route.status as Obj | undefined)?.parents ?? []) as Obj[]
    const others = previous.filter((p) => p.controllerName !== 'istio.io/gateway-controller')
    const generation = route.metadata.generation as number | undefined
    const ours = (status?.parents ?? []).map((parent) => ({
      ...parent,
      conditions: stamp(previous.find((p) => deepEqual(p.parentRef, parent.parentRef))?.conditions, parent.conditions as Obj[], generation, now),
    }))
    if (ours.length === 0 && others.length === previous.length) continue
    await setStatus(api, route as StoredObject, {parents: [...others, ...ours]})
  }
}
