/** Which Gateway a finding belongs to, so the report can be read gateway by gateway. */
import type {Finding} from '../findings/catalog.ts'
import {objectKey, referencedGateways} from '../istio/bindings.ts'
import {credentialReferences} from '../istio/credentials.ts'
import {routeParents, serviceBackends} from '../istio/gateway-api.ts'
import {routeDestinations} from '../istio/destinations.ts'
import {gatewayWorkloadFinder} from '../istio/gateway-workload.ts'
import {serviceFqdn} from '../istio/references.ts'
import type {Snapshot} from '../snapshot/snapshot.ts'

const ok = (snapshot: Snapshot, kind: Parameters<Snapshot['state']>[0]) => snapshot.state(kind).status === 'ok'

/** A function from a finding to `namespace/name` of its Gateway, or undefined (cluster-wide). */
export function gatewayGrouper(snapshot: Snapshot): (finding: Finding) => string | undefined {
  const gateways = ok(snapshot, 'Gateway') ? snapshot.items('Gateway') : []
  const byKey = new Map(gateways.map((g) => [objectKey(g), g]))
  const byVirtualService = new Map<string, string>()
  // A pod's finding about one Service (its traffic there) goes under a Gateway that routes to that Service.
  const routingTo = new Map<string, string[]>()
  const routes = (gateway: string, services: Iterable<string>) => {
    for (const service of services) routingTo.set(service, [...(routingTo.get(service) ?? []), gateway])
  }
  if (ok(snapshot, 'VirtualService')) {
    for (const vs of snapshot.items('VirtualService')) {
      const referenced = referencedGateways(vs, byKey).map(({ref}) => `${ref.namespace}/${ref.name}`)
      if (referenced[0]) byVirtualService.set(objectKey(vs), referenced[0])
      const services = new Set(routeDestinations(vs).flatMap((d) => (d.destination.host ? [serviceFqdn(d.destination.host, vs.metadata.namespace ?? '')] : [])))
      for (const gateway of referenced) routes(gateway, services)
    }
  }
  if (ok(snapshot, 'HTTPRoute')) {
    for (const route of snapshot.items('HTTPRoute')) {
      const services = new Set((route.spec?.rules ?? []).flatMap((rule) => serviceBackends(route, rule).map((b) => serviceFqdn(b.name, b.namespace))))
      for (const parent of routeParents(route)) routes(`${parent.namespace}/${parent.name}`, services)
    }
  }
  const bySecret = new Map<string, string>()
  const byPod = new Map<string, string>()
  if (ok(snapshot, 'Pod')) {
    const workloadOf = gatewayWorkloadFinder(snapshot.items('Pod'))
    for (const r of credentialReferences(gateways, (selector) => workloadOf(selector)?.namespace)) {
      const gateway = `${r.gateway.namespace}/${r.gateway.name}`
      for (const ns of [r.workloadNamespace, r.gateway.namespace]) if (ns && !bySecret.has(`${ns}/${r.credentialName}`)) bySecret.set(`${ns}/${r.credentialName}`, gateway)
    }
    for (const gateway of gateways) {
      for (const pod of workloadOf(gateway.spec?.selector ?? {})?.pods ?? []) if (!byPod.has(`${pod.namespace}/${pod.name}`)) byPod.set(`${pod.namespace}/${pod.name}`, objectKey(gateway))
    }
  }
  const podGateways = new Map<string, Set<string>>()
  if (ok(snapshot, 'GatewayProxy')) for (const proxy of snapshot.items('GatewayProxy')) podGateways.set(`${proxy.pod.namespace}/${proxy.pod.name}`, new Set(proxy.gateways))
  const gatewayRoutingFrom = (pod: string, service: string) => {
    const served = podGateways.get(pod)
    return (routingTo.get(service) ?? []).filter((gateway) => served?.has(gateway)).sort()[0]
  }

  return (finding) => {
    const key = `${finding.resource.namespace ?? ''}/${finding.resource.name}`
    switch (finding.resource.kind) {
      case 'Gateway':
        return key
      case 'VirtualService':
        return byVirtualService.get(key)
      case 'Secret':
        return bySecret.get(key)
      case 'Pod':
        return (finding.about && gatewayRoutingFrom(key, finding.about.service)) ?? byPod.get(key)
      default:
        return undefined
    }
  }
}
