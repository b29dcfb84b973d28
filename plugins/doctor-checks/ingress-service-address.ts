import type {DoctorCheck} from '../../src/doctor/check.ts'
import {finding} from '../../src/findings/catalog.ts'
import {defaultIngressSelector, gatewayWorkloadOf} from '../../src/istio/gateway-workload.ts'
import {workloadSelectors, workloadServices} from '../../src/doctor/workloads.ts'

export const ingressServiceAddress: DoctorCheck = {
  id: 'ingress-service-address',
  layer: 'install',
  description: 'A LoadBalancer Service in front of each gateway workload has an external address.',
  inputs: ['Gateway', 'Pod', 'Service'],
  run(snapshot) {
    const pods = snapshot.items('Pod')
    const services = snapshot.items('Service')
    const seen = new Set<string>()
    return workloadSelectors(snapshot.items('Gateway'), defaultIngressSelector).flatMap((selector) => {
      const workload = gatewayWorkloadOf(selector, pods)
      if (!workload) return []
      return workloadServices(workload, services).flatMap((service) => {
        const key = `${service.metadata.namespace}/${service.metadata.name}`
        if (seen.has(key) || service.spec?.type !== 'LoadBalancer') return []
        seen.add(key)
        const ingress = service.status?.loadBalancer?.ingress ?? []
        if (ingress.some((i) => i.ip || i.hostname)) return []
        return [
          finding('IngressServiceNoExternalAddress', {kind: 'Service', namespace: service.metadata.namespace, name: service.metadata.name ?? ''}, 'LoadBalancer Service has no external address yet: clients outside the cluster cannot reach the gateway', {
            hint: `kubectl -n ${service.metadata.namespace} describe svc ${service.metadata.name}`,
          }),
        ]
      })
    })
  },
}
