/** `doctor --graph mermaid`: Gateway -> VirtualService -> Service -> pods, broken links marked. */
import {boundHosts, objectKey, referencedGateways} from '../istio/bindings.ts'
import {routeDestinations} from '../istio/destinations.ts'
import {gatewayWorkloadFinder, podIsReady, serviceSelects} from '../istio/gateway-workload.ts'
import {serviceRef} from '../istio/references.ts'
import type {Snapshot} from '../snapshot/snapshot.ts'

const id = (kind: string, key: string) => `${kind}_${key.replace(/[^A-Za-z0-9]/g, '_')}`
const label = (text: string) => text.replace(/"/g, "'")

export function mermaidGraph(snapshot: Snapshot): string {
  const ok = (kind: Parameters<Snapshot['state']>[0]) => snapshot.state(kind).status === 'ok'
  const gateways = ok('Gateway') ? snapshot.items('Gateway') : []
  const virtualServices = ok('VirtualService') ? snapshot.items('VirtualService') : []
  const services = ok('Service') ? snapshot.items('Service') : []
  const pods = ok('Pod') ? snapshot.items('Pod') : []
  const lines = ['flowchart LR']
  const nodes = new Map<string, string>()
  const broken = new Set<string>()
  const edges: string[] = []
  const node = (nodeId: string, text: string, isBroken = false) => {
    if (!nodes.has(nodeId)) nodes.set(nodeId, text)
    if (isBroken) broken.add(nodeId)
    return nodeId
  }
  const byKey = new Map(gateways.map((g) => [objectKey(g), g]))
  const workloadOf = gatewayWorkloadFinder(pods)
  for (const gateway of gateways) {
    const workload = workloadOf(gateway.spec?.selector ?? {})
    const hosts = [...new Set((gateway.spec?.servers ?? []).flatMap((s) => s.hosts ?? []))]
    node(id('gw', objectKey(gateway)), `Gateway ${objectKey(gateway)}<br/>${hosts.join(', ')}${workload ? '' : '<br/>selects no pods'}`, !workload)
  }
  for (const vs of virtualServices) {
    const vsId = node(id('vs', objectKey(vs)), `VirtualService ${objectKey(vs)}`)
    for (const {ref, gateway} of referencedGateways(vs, byKey)) {
      const gwId = node(id('gw', `${ref.namespace}/${ref.name}`), `Gateway ${ref.namespace}/${ref.name}<br/>not found`, !gateway)
      const bound = gateway ? (gateway.spec?.servers ?? []).some((s) => boundHosts(vs, s, gateway.metadata.namespace ?? '').length > 0) : false
      edges.push(bound ? `  ${gwId} --> ${vsId}` : `  ${gwId} -. "${gateway ? 'no shared host' : 'missing'}" .-> ${vsId}`)
    }
    const seen = new Set<string>()
    for (const {destination} of routeDestinations(vs)) {
      const ref = serviceRef(destination.host ?? '', vs.metadata.namespace ?? '')
      if (!ref || seen.has(`${ref.namespace}/${ref.name}`)) continue
      seen.add(`${ref.namespace}/${ref.name}`)
      const service = services.find((s) => s.metadata.namespace === ref.namespace && s.metadata.name === ref.name)
      const svcId = node(id('svc', `${ref.namespace}/${ref.name}`), `Service ${ref.namespace}/${ref.name}${service ? '' : '<br/>not found'}`, !service)
      edges.push(service ? `  ${vsId} --> ${svcId}` : `  ${vsId} -. missing .-> ${svcId}`)
      if (!service) continue
      const selected = pods.filter((p) => p.metadata.namespace === ref.namespace && serviceSelects(service.spec?.selector, p.metadata.labels))
      const ready = selected.filter(podIsReady).length
      const podsId = node(id('pods', `${ref.namespace}/${ref.name}`), `${ready}/${selected.length} pods ready`, ready === 0)
      if (!edges.includes(`  ${svcId} --> ${podsId}`)) edges.push(ready > 0 ? `  ${svcId} --> ${podsId}` : `  ${svcId} -. no ready pods .-> ${podsId}`)
    }
  }
  for (const [nodeId, text] of nodes) lines.push(`  ${nodeId}["${label(text)}"]`)
  lines.push(...[...new Set(edges)])
  if (broken.size > 0) lines.push('  classDef broken stroke:#d00,stroke-width:2px,color:#d00', `  class ${[...broken].join(',')} broken`)
  return `${lines.join('\n')}\n`
}
