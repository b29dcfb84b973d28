import type {DoctorCheck} from '../../src/doctor/check.ts'
import {finding} from '../../src/findings/catalog.ts'
import {routeDestinations} from '../../src/istio/destinations.ts'
import {destinationRulesFor, findSubset} from '../../src/istio/subsets.ts'

export const virtualServiceSubsets: DoctorCheck = {
  id: 'virtualservice-subsets',
  layer: 'config',
  description: 'Every subset a route names is defined by a DestinationRule for that host.',
  inputs: ['VirtualService', 'DestinationRule'],
  run(snapshot) {
    const rules = snapshot.items('DestinationRule')
    return snapshot.items('VirtualService').flatMap((vs) => {
      const namespace = vs.metadata.namespace ?? ''
      return routeDestinations(vs).flatMap(({destination, pointer}) => {
        const {host, subset} = destination
        if (!host || !subset || findSubset(rules, host, namespace, subset)) return []
        const forHost = destinationRulesFor(rules, host, namespace)
        const defined = forHost.flatMap((r) => (r.spec?.subsets ?? []).map((s) => s.name))
        return [
          finding('DestinationSubsetNotFound', {kind: 'VirtualService', namespace, name: vs.metadata.name ?? ''}, `${pointer} names subset "${subset}" of ${host}, but ${forHost.length === 0 ? 'no DestinationRule exists for that host' : `its DestinationRule defines only ${defined.join(', ') || 'no subsets'}`}: requests get 503 NC`, {
            hint: forHost[0]
              ? `kubectl -n ${forHost[0].metadata.namespace} edit destinationrule ${forHost[0].metadata.name}   # add subset ${subset}`
              : `kubectl gw scaffold ${vs.metadata.name} --host ${vs.spec?.hosts?.[0] ?? 'HOST'} --service ${host} --subsets ${subset} --dry-run=client -o yaml`,
          }),
        ]
      })
    })
  },
}
