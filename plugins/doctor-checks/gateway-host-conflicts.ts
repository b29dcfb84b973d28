import type {DoctorCheck} from '../../src/doctor/check.ts'
import {finding} from '../../src/findings/catalog.ts'
import {conflictText, gatewayServerConflicts} from '../../src/istio/conflicts.ts'

export const gatewayHostConflicts: DoctorCheck = {
  id: 'gateway-host-conflicts',
  layer: 'config',
  description: 'No Gateway server is dropped by istiod for a host, protocol or port name already taken on its workload and port (oldest Gateway wins).',
  inputs: ['Gateway'],
  run(snapshot) {
    return gatewayServerConflicts(snapshot.items('Gateway')).map((conflict) =>
      finding('GatewayHostConflict', {kind: 'Gateway', ...conflict.gateway}, conflictText(conflict), {
        hint: `kubectl -n ${conflict.keptBy.namespace} get gateway ${conflict.keptBy.name} -o yaml   # then move the host to one Gateway or use distinct hosts`,
      }),
    )
  },
}
