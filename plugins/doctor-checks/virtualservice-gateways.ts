import type {DoctorCheck} from '../../src/doctor/check.ts'
import {finding} from '../../src/findings/catalog.ts'
import {boundHosts, objectKey, referencedGateways} from '../../src/istio/bindings.ts'

export const virtualServiceGateways: DoctorCheck = {
  id: 'virtualservice-gateways',
  layer: 'config',
  description: "Each Gateway a VirtualService names exists (bare names resolve in the VirtualService's namespace) and serves its hosts.",
  inputs: ['VirtualService', 'Gateway'],
  run(snapshot) {
    const gateways = new Map(snapshot.items('Gateway').map((g) => [objectKey(g), g]))
    return snapshot.items('VirtualService').flatMap((vs) => {
      const resource = {kind: 'VirtualService', namespace: vs.metadata.namespace, name: vs.metadata.name ?? ''}
      return referencedGateways(vs, gateways).flatMap(({reference, ref, gateway}) => {
        if (!gateway) {
          const sameName = [...gateways.values()].filter((g) => g.metadata.name === ref.name)
          const fix = sameName[0] ? `${sameName[0].metadata.namespace}/${ref.name}` : undefined
          return [
            finding('VirtualServiceGatewayNotFound', resource, `gateway "${reference}" resolves to ${ref.namespace}/${ref.name}, which does not exist${fix ? ` (there is ${fix}: write it with its namespace)` : ''}`, {
              hint: fix
                ? `kubectl -n ${vs.metadata.namespace} patch virtualservice ${vs.metadata.name} --type=json -p '[{"op":"replace","path":"/spec/gateways/${(vs.spec?.gateways ?? []).indexOf(reference)}","value":"${fix}"}]'`
                : `kubectl get gateways.networking.istio.io -A | grep ${ref.name}`,
            }),
          ]
        }
        const servers = gateway.spec?.servers ?? []
        const unbound = (vs.spec?.hosts ?? []).filter((host) => !servers.some((server) => boundHosts({...vs, spec: {...vs.spec, hosts: [host]}}, server, gateway.metadata.namespace ?? '').length > 0))
        if (unbound.length === 0) return []
        const gatewayHosts = [...new Set(servers.flatMap((s) => s.hosts ?? []))]
        return [
          finding('VirtualServiceHostNotInGateway', resource, `host ${unbound.join(', ')} is not served by Gateway ${ref.namespace}/${ref.name} (hosts: ${gatewayHosts.join(', ') || 'none'}): requests for it get 404`, {
            hint: `kubectl -n ${ref.namespace} edit gateway ${ref.name}   # add ${unbound.join(', ')} to a server's hosts`,
          }),
        ]
      })
    })
  },
}
