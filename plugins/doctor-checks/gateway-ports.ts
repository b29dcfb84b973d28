import type {DoctorCheck} from '../../src/doctor/check.ts'
import {finding} from '../../src/findings/catalog.ts'
import {gatewayWorkloadFinder, labelSelectorString, type GatewayWorkload} from '../../src/istio/gateway-workload.ts'
import type {Service} from '../../src/kube/objects.ts'
import {workloadServices} from '../../src/doctor/workloads.ts'

export const gatewayPorts: DoctorCheck = {
  id: 'gateway-ports',
  layer: 'config',
  description: "Every Gateway server port is a port (or targetPort) of a Service in front of the gateway pods.",
  inputs: ['Gateway', 'Pod', 'Service'],
  run(snapshot) {
    const workloadOf = gatewayWorkloadFinder(snapshot.items('Pod'))
    const services = snapshot.items('Service')
    // Gateways sharing a selector share a workload: its Services and their ports are found once.
    const fronts = new Map<GatewayWorkload, {front: Service[]; offered: Set<number>}>()
    const frontOf = (workload: GatewayWorkload) => {
      let entry = fronts.get(workload)
      if (!entry) {
        const front = workloadServices(workload, services)
        entry = {front, offered: new Set(front.flatMap((s) => (s.spec?.ports ?? []).flatMap((p) => [p.port, ...(typeof p.targetPort === 'number' ? [p.targetPort] : [])])))}
        fronts.set(workload, entry)
      }
      return entry
    }
    return snapshot.items('Gateway').flatMap((gateway) => {
      const workload = workloadOf(gateway.spec?.selector ?? {})
      if (!workload) return []
      const {front, offered} = frontOf(workload)
      if (front.length === 0) return []
      return (gateway.spec?.servers ?? []).flatMap((server) => {
        const port = server.port?.number
        if (port === undefined || offered.has(port)) return []
        const service = front[0]!
        return [
          finding('GatewayPortNotOnService', {kind: 'Gateway', namespace: gateway.metadata.namespace, name: gateway.metadata.name ?? ''}, `port ${port} is not a port of Service ${service.metadata.namespace}/${service.metadata.name} (offers ${[...offered].sort((a, b) => a - b).join(', ')}) in front of pods ${labelSelectorString(workload.selector)}: requests cannot reach it`, {
            hint: `kubectl -n ${service.metadata.namespace} patch svc ${service.metadata.name} --type=json -p '[{"op":"add","path":"/spec/ports/-","value":{"name":"port-${port}","port":${port},"targetPort":${port}}}]'`,
          }),
        ]
      })
    })
  },
}
