import type {DoctorCheck} from '../../src/doctor/check.ts'
import {podResource} from '../../src/doctor/proxies.ts'
import {finding} from '../../src/findings/catalog.ts'

export const envoyAdmin: DoctorCheck = {
  id: 'envoy-admin',
  layer: 'live',
  description: "Each gateway pod's Envoy admin port answers and its server state is LIVE.",
  inputs: ['GatewayProxy'],
  run(snapshot) {
    return snapshot.items('GatewayProxy').flatMap((proxy) => {
      const {namespace, name} = proxy.pod
      if (proxy.unreachable) {
        const hint =
          proxy.unreachable.reason === 'forbidden'
            ? `kubectl auth can-i get pods/proxy -n ${namespace}`
            : `kubectl -n ${namespace} port-forward ${name} 15000:15000   # then curl localhost:15000/server_info`
        return [finding('EnvoyAdminUnreachable', podResource(proxy), `Envoy admin not readable (${proxy.unreachable.reason}): ${proxy.unreachable.message}`, {hint})]
      }
      if (proxy.serverState && proxy.serverState !== 'LIVE') {
        return [finding('EnvoyNotLive', podResource(proxy), `Envoy server state is ${proxy.serverState}, not LIVE: it does not serve traffic`, {hint: `kubectl -n ${namespace} logs ${name} -c istio-proxy --tail=50`})]
      }
      return []
    })
  },
}
