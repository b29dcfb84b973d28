import type {DoctorCheck} from '../../src/doctor/check.ts'
import {finding, type Finding} from '../../src/findings/catalog.ts'
import {routeParents, serviceBackends} from '../../src/istio/gateway-api.ts'

/** Gateway API: parents found and accepted, backends found on their port, listener certificates present. */
export const gatewayApiRoutes: DoctorCheck = {
  id: 'gateway-api-routes',
  layer: 'config',
  description: 'Gateway API HTTPRoutes: parent Gateways exist and accept the route, backendRefs name Services and ports that exist, listener certificateRefs exist.',
  inputs: ['KubernetesGateway', 'HTTPRoute', 'Service', 'Secret'],
  run(snapshot) {
    const gateways = new Map(snapshot.items('KubernetesGateway').map((g) => [`${g.metadata.namespace}/${g.metadata.name}`, g]))
    const services = new Map(snapshot.items('Service').map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]))
    const secrets = new Set(snapshot.items('Secret').map((s) => `${s.metadata.namespace}/${s.metadata.name}`))
    const findings: Finding[] = []
    for (const gateway of gateways.values()) {
      const namespace = gateway.metadata.namespace ?? ''
      for (const listener of gateway.spec?.listeners ?? []) {
        for (const ref of listener.tls?.certificateRefs ?? []) {
          const refNamespace = ref.namespace ?? namespace
          if ((ref.kind ?? 'Secret') !== 'Secret' || secrets.has(`${refNamespace}/${ref.name}`)) continue
          findings.push(
            finding('GatewayCredentialNotFound', {kind: 'Gateway', namespace, name: gateway.metadata.name ?? ''}, `listener ${listener.name} references certificate secret ${refNamespace}/${ref.name}, which does not exist`, {
              hint: `kubectl gw certs create ${ref.name} -n ${refNamespace} --host ${listener.hostname ?? 'HOST'}`,
            }),
          )
        }
      }
    }
    for (const route of snapshot.items('HTTPRoute')) {
      const namespace = route.metadata.namespace ?? ''
      const resource = {kind: 'HTTPRoute', namespace, name: route.metadata.name ?? ''}
      for (const parent of routeParents(route)) {
        const parentKey = `${parent.namespace}/${parent.name}`
        if (!gateways.has(parentKey)) {
          findings.push(finding('VirtualServiceGatewayNotFound', resource, `parentRef Gateway ${parentKey} does not exist`, {hint: `kubectl get gateways.gateway.networking.k8s.io -A`}))
          continue
        }
        const accepted = parent.accepted
        if (accepted?.status === 'False') {
          const code = accepted.reason === 'NoMatchingListenerHostname' ? 'VirtualServiceHostNotInGateway' : 'VirtualServiceGatewayNotFound'
          findings.push(finding(code, resource, `Gateway ${parentKey} does not accept this route: ${accepted.reason}${accepted.message ? ` (${accepted.message})` : ''}`, {hint: `kubectl -n ${namespace} get httproute ${route.metadata.name} -o jsonpath='{.status.parents}'`}))
        }
      }
      ;(route.spec?.rules ?? []).forEach((rule, i) =>
        serviceBackends(route, rule).forEach((backend) => {
          const key = `${backend.namespace}/${backend.name}`
          const service = services.get(key)
          const pointer = `/spec/rules/${i}/backendRefs/${backend.index}`
          if (!service) {
            findings.push(finding('DestinationHostNotFound', resource, `${pointer} sends to Service ${key}, which does not exist: requests get 500`, {hint: `kubectl -n ${backend.namespace} get svc`}))
          } else if (backend.port !== undefined && !(service.spec?.ports ?? []).some((p) => p.port === backend.port)) {
            findings.push(finding('DestinationPortNotFound', resource, `${pointer} sends to ${key}:${backend.port}, but the Service has ports ${(service.spec?.ports ?? []).map((p) => p.port).join(', ')}`, {hint: `kubectl -n ${namespace} edit httproute ${route.metadata.name}`}))
          }
        }),
      )
    }
    return findings
  },
}
