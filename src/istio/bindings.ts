/** How VirtualServices bind to Gateways: reference resolution, host visibility and intersection. */
import {hostIntersection, splitGatewayHost} from './hosts.ts'
import {resolveGatewayReference, type NamespacedName} from './references.ts'
import type {GatewayServerSpec, IstioGateway, VirtualService} from './types.ts'

export const objectKey = (o: {metadata: {namespace?: string; name?: string}}) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`

/** The Gateways a VirtualService names (not `mesh`), each resolved as Istio does, found or not. */
export function referencedGateways(vs: VirtualService, gatewaysByKey: Map<string, IstioGateway>): {reference: string; ref: NamespacedName; gateway?: IstioGateway}[] {
  const namespace = vs.metadata.namespace ?? ''
  return (vs.spec?.gateways ?? []).flatMap((reference) => {
    const ref = resolveGatewayReference(reference, namespace)
    return ref ? [{reference, ref, gateway: gatewaysByKey.get(`${ref.namespace}/${ref.name}`)}] : []
  })
}

/** Hosts of one server that a VirtualService in `vsNamespace` may bind (`ns/host` scoping). */
export function serverHostsVisibleTo(server: GatewayServerSpec, gatewayNamespace: string, vsNamespace: string): string[] {
  return (server.hosts ?? []).flatMap((entry) => {
    const {namespace, host} = splitGatewayHost(entry, gatewayNamespace)
    return namespace === '*' || namespace === vsNamespace ? [host] : []
  })
}

/** The virtual hosts a VirtualService contributes to a server: each VS host intersected with each visible server host. */
export function boundHosts(vs: VirtualService, server: GatewayServerSpec, gatewayNamespace: string): string[] {
  const visible = serverHostsVisibleTo(server, gatewayNamespace, vs.metadata.namespace ?? '')
  const hosts = new Set<string>()
  for (const vsHost of vs.spec?.hosts ?? []) {
    for (const serverHost of visible) {
      const common = hostIntersection(vsHost, serverHost)
      if (common) hosts.add(common)
    }
  }
  return [...hosts]
}
