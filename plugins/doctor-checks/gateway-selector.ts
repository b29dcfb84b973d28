import type {DoctorCheck} from '../../src/doctor/check.ts'
import {finding} from '../../src/findings/catalog.ts'
import {gatewayWorkloadOf, labelSelectorString} from '../../src/istio/gateway-workload.ts'

export const gatewaySelector: DoctorCheck = {
  id: 'gateway-selector',
  layer: 'config',
  description: 'Every Istio Gateway selects at least one pod (in any namespace, as istiod matches).',
  inputs: ['Gateway', 'Pod'],
  run(snapshot) {
    const pods = snapshot.items('Pod')
    return snapshot.items('Gateway').flatMap((gateway) => {
      const selector = gateway.spec?.selector ?? {}
      if (gatewayWorkloadOf(selector, pods)) return []
      const text = labelSelectorString(selector)
      return [
        finding('GatewaySelectorNoMatch', {kind: 'Gateway', namespace: gateway.metadata.namespace, name: gateway.metadata.name ?? ''}, `no pod matches selector ${text || '(empty)'}: this Gateway programs no proxy`, {
          hint: `kubectl get pods -A -l ${text || 'istio'} --show-labels`,
        }),
      ]
    })
  },
}
