import type {DoctorCheck} from '../../src/doctor/check.ts'
import {finding} from '../../src/findings/catalog.ts'
import {defaultIngressSelector, gatewayWorkloadOf, labelSelectorString} from '../../src/istio/gateway-workload.ts'
import {workloadSelectors} from '../../src/doctor/workloads.ts'

export const ingressGatewayReady: DoctorCheck = {
  id: 'ingress-gateway-ready',
  layer: 'install',
  description: 'The gateway workloads the Gateways select (istio=ingressgateway when none) have ready pods.',
  inputs: ['Gateway', 'Pod'],
  run(snapshot) {
    const pods = snapshot.items('Pod')
    return workloadSelectors(snapshot.items('Gateway'), defaultIngressSelector).flatMap((selector) => {
      const workload = gatewayWorkloadOf(selector, pods)
      // A selector no pod matches is GatewaySelectorNoMatch, said once per Gateway.
      if (!workload) return []
      const notReady = workload.pods.filter((p) => !p.ready)
      if (notReady.length === 0) return []
      const text = labelSelectorString(selector)
      const level = notReady.length === workload.pods.length ? 'error' : 'warning'
      return [
        finding('IngressGatewayNotReady', {kind: 'Pod', namespace: workload.namespace, name: notReady[0]?.name ?? ''}, `${notReady.length}/${workload.pods.length} gateway pods (${text}) are not ready: ${notReady.map((p) => p.name).join(', ')}`, {
          level,
          hint: `kubectl -n ${workload.namespace} describe pod -l ${text}`,
        }),
      ]
    })
  },
}
