import type {DoctorCheck} from '../../src/doctor/check.ts'
import {podResource, proxyName} from '../../src/doctor/proxies.ts'
import {finding} from '../../src/findings/catalog.ts'
import {sumSamples} from '../../src/metrics/exposition.ts'

const rejectedStats: [string, string][] = [
  ['envoy_listener_manager_lds_update_rejected', 'LDS (listeners)'],
  ['envoy_cluster_manager_cds_update_rejected', 'CDS (clusters)'],
]

export const envoyRejectedUpdates: DoctorCheck = {
  id: 'envoy-rejected-updates',
  layer: 'live',
  description: "Envoy on the gateway pods accepted istiod's last pushes (no rejected LDS/CDS updates).",
  inputs: ['GatewayProxy'],
  run(snapshot) {
    return snapshot.items('GatewayProxy').flatMap((proxy) => {
      const stats = proxy.stats ?? []
      const rejected = rejectedStats.map(([name, what]) => ({what, count: sumSamples(stats, name)})).filter((r) => r.count > 0)
      if (rejected.length === 0) return []
      return [
        finding('EnvoyConfigRejected', podResource(proxy), `Envoy rejected ${rejected.map((r) => `${r.count} ${r.what} update${r.count === 1 ? '' : 's'}`).join(' and ')}: it runs older config than the resources ask`, {
          hint: `kubectl -n ${proxy.pod.namespace} logs ${proxy.pod.name} -c istio-proxy | grep -i rejected   # or istioctl proxy-status ${proxyName(proxy)}`,
        }),
      ]
    })
  },
}
