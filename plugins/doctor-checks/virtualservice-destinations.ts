import type {DoctorCheck} from '../../src/doctor/check.ts'
import {finding} from '../../src/findings/catalog.ts'
import {routeDestinations} from '../../src/istio/destinations.ts'
import {hostIntersection} from '../../src/istio/hosts.ts'
import {serviceRef} from '../../src/istio/references.ts'

export const virtualServiceDestinations: DoctorCheck = {
  id: 'virtualservice-destinations',
  layer: 'config',
  description: 'Every route destination is a Service (short names in the VirtualService namespace) or a ServiceEntry host, on a port it has.',
  inputs: ['VirtualService', 'Service', 'ServiceEntry'],
  run(snapshot) {
    const services = new Map(snapshot.items('Service').map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]))
    const entryHosts = snapshot.items('ServiceEntry').flatMap((e) => (e.spec?.hosts ?? []).map((host) => ({host, ports: (e.spec?.ports ?? []).map((p) => p.number)})))
    return snapshot.items('VirtualService').flatMap((vs) => {
      const namespace = vs.metadata.namespace ?? ''
      const resource = {kind: 'VirtualService', namespace, name: vs.metadata.name ?? ''}
      return routeDestinations(vs).flatMap(({destination, pointer}) => {
        const host = destination.host ?? ''
        const port = destination.port?.number
        const ref = serviceRef(host, namespace)
        const service = ref && services.get(`${ref.namespace}/${ref.name}`)
        if (service) {
          const ports = (service.spec?.ports ?? []).map((p) => p.port)
          if (port === undefined || ports.includes(port)) return []
          return [
            finding('DestinationPortNotFound', resource, `${pointer} sends to ${host}:${port}, but Service ${ref.namespace}/${ref.name} has ports ${ports.join(', ') || 'none'}`, {
              hint: `kubectl -n ${namespace} patch virtualservice ${vs.metadata.name} --type=json -p '[{"op":"replace","path":"${pointer}/port/number","value":${ports[0] ?? port}}]'`,
            }),
          ]
        }
        const entry = entryHosts.find((e) => hostIntersection(e.host, host) === host.toLowerCase())
        if (entry) return []
        return [
          finding('DestinationHostNotFound', resource, `${pointer} sends to ${host}${ref ? `, but Service ${ref.namespace}/${ref.name} does not exist` : ', which no ServiceEntry declares'}: requests get 503`, {
            hint: ref ? `kubectl -n ${ref.namespace} get svc   # fix the host in ${pointer}/host or create the Service` : `kubectl get serviceentries.networking.istio.io -A`,
          }),
        ]
      })
    })
  },
}
