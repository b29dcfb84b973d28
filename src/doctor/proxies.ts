/** Helpers live checks share: what istiod should have programmed into a gateway pod, by its Gateways. */
import type {GatewayProxy} from './live.ts'
import type {Service} from '../kube/objects.ts'
import {objectKey} from '../istio/bindings.ts'
import {serviceSelects} from '../istio/gateway-workload.ts'
import type {IstioGateway} from '../istio/types.ts'

/** The Istio Gateways programmed into a proxy. */
export function proxyGateways(proxy: GatewayProxy, gateways: IstioGateway[]): IstioGateway[] {
  const wanted = new Set(proxy.gateways)
  return gateways.filter((g) => wanted.has(objectKey(g)))
}

/** The port Envoy listens on for a Gateway server port: the targetPort of the Service port in front of the pod, as istiod translates it. */
export function listenPort(proxy: GatewayProxy, services: Service[], serverPort: number): number {
  for (const service of services) {
    if (service.metadata.namespace !== proxy.pod.namespace || !serviceSelects(service.spec?.selector, proxy.pod.labels)) continue
    const port = (service.spec?.ports ?? []).find((p) => p.port === serverPort)
    if (port && typeof port.targetPort === 'number') return port.targetPort
  }
  return serverPort
}

export const podResource = (proxy: GatewayProxy) => ({kind: 'Pod', namespace: proxy.pod.namespace, name: proxy.pod.name})

/** `istioctl proxy-config` names a pod as POD.NAMESPACE. */
export const proxyName = (proxy: GatewayProxy) => `${proxy.pod.name}.${proxy.pod.namespace}`

export type ConfiguredProxy = GatewayProxy & {config: NonNullable<GatewayProxy['config']>}

/**
 * Proxies whose Envoy config was read, one per distinct config (pods sharing a dump are judged
 * once): each representative carries `pods`, every pod with that config, for messages.
 */
export function configured(proxies: GatewayProxy[]): (ConfiguredProxy & {pods: GatewayProxy[]})[] {
  const byConfig = new Map<object, ConfiguredProxy & {pods: GatewayProxy[]}>()
  for (const proxy of proxies) {
    if (!proxy.config) continue
    const entry = byConfig.get(proxy.config)
    if (entry) entry.pods.push(proxy)
    else byConfig.set(proxy.config, {...(proxy as ConfiguredProxy), pods: [proxy]})
  }
  return [...byConfig.values()]
}

/** " (also on 2 more pods of this gateway)" when a finding stands for several pods with one config. */
export function alsoOn(pods: GatewayProxy[]): string {
  return pods.length > 1 ? ` (same config on ${pods.length} pods)` : ''
}
