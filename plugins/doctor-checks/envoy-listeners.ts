import type {DoctorCheck} from '../../src/doctor/check.ts'
import {alsoOn, configured, listenPort, podResource, proxyGateways, proxyName} from '../../src/doctor/proxies.ts'
import {finding, type Finding} from '../../src/findings/catalog.ts'

export const envoyListeners: DoctorCheck = {
  id: 'envoy-listeners',
  layer: 'live',
  description: 'Envoy on each gateway pod has an active listener for every port of the Gateways that select it.',
  inputs: ['GatewayProxy', 'Gateway', 'Service'],
  run(snapshot) {
    const gateways = snapshot.items('Gateway')
    const services = snapshot.items('Service')
    return configured(snapshot.items('GatewayProxy')).flatMap((proxy) => {
      const found: Finding[] = []
      const ports = new Map<number, number>()
      const active = new Set(proxy.config.listeners.filter((l) => l.state === 'active' || l.state === 'static').map((l) => l.port))
      for (const gateway of proxyGateways(proxy, gateways)) {
        for (const server of gateway.spec?.servers ?? []) {
          const port = server.port?.number
          if (port === undefined) continue
          const listen = ports.get(port) ?? ports.set(port, listenPort(proxy, services, port)).get(port)!
          if (active.has(listen)) continue
          const warming = proxy.config.listeners.some((l) => l.port === listen && l.state === 'warming')
          found.push(
            finding('EnvoyListenerMissing', podResource(proxy), `Gateway ${gateway.metadata.namespace}/${gateway.metadata.name} port ${port} should be listener 0.0.0.0_${listen}, which Envoy ${warming ? 'has only warming (not serving)' : 'does not have'}${alsoOn(proxy.pods)}`, {
              hint: `istioctl proxy-config listeners ${proxyName(proxy)} --port ${listen}`,
            }),
          )
        }
      }
      return found
    })
  },
}
