import type {DoctorCheck} from '../../src/doctor/check.ts'
import {alsoOn, configured, listenPort, podResource, proxyGateways, proxyName} from '../../src/doctor/proxies.ts'
import {finding, type Finding} from '../../src/findings/catalog.ts'
import {boundHosts, objectKey, referencedGateways} from '../../src/istio/bindings.ts'
import {isHttpProtocol} from '../../src/istio/conflicts.ts'

export const envoyRoutes: DoctorCheck = {
  id: 'envoy-routes',
  layer: 'live',
  description: 'Envoy on each gateway pod has a virtual host for every host a VirtualService binds to its Gateways (else: stale or rejected config).',
  inputs: ['GatewayProxy', 'Gateway', 'VirtualService', 'Service'],
  run(snapshot) {
    const gateways = snapshot.items('Gateway')
    const byKey = new Map(gateways.map((g) => [objectKey(g), g]))
    const services = snapshot.items('Service')
    const virtualServices = snapshot.items('VirtualService')
    return configured(snapshot.items('GatewayProxy')).flatMap((proxy) => {
      const found: Finding[] = []
      const programmed = new Set(proxyGateways(proxy, gateways).map(objectKey))
      // Thousands of VirtualServices share a handful of route configs: index each once.
      const ports = new Map<number, number>()
      const domainsOf = new Map<string, {exists: boolean; domains: Set<string>}>()
      const routeDomains = (name: string) => {
        let entry = domainsOf.get(name)
        if (!entry) {
          const routeConfig = proxy.config.routeConfigs.find((r) => r.name === name)
          entry = {exists: routeConfig !== undefined, domains: new Set(routeConfig?.virtualHosts.flatMap((v) => v.domains.map((d) => d.toLowerCase())) ?? [])}
          domainsOf.set(name, entry)
        }
        return entry
      }
      const listen = (port: number) => ports.get(port) ?? ports.set(port, listenPort(proxy, services, port)).get(port)!
      for (const vs of virtualServices) {
        for (const {gateway} of referencedGateways(vs, byKey)) {
          if (!gateway || !programmed.has(objectKey(gateway))) continue
          for (const server of gateway.spec?.servers ?? []) {
            const protocol = (server.port?.protocol ?? 'HTTP').toUpperCase()
            const port = server.port?.number
            if (port === undefined || !(isHttpProtocol(protocol) || (protocol === 'HTTPS' && server.tls?.mode !== 'PASSTHROUGH'))) continue
            const routeName = isHttpProtocol(protocol) ? `http.${listen(port)}` : `https.${port}.${server.port?.name ?? ''}.${gateway.metadata.name}.${gateway.metadata.namespace}`
            const routeConfig = routeDomains(routeName)
            const missing = boundHosts(vs, server, gateway.metadata.namespace ?? '').filter((h) => !routeConfig.domains.has(h))
            if (missing.length === 0) continue
            found.push(
              finding('EnvoyRouteMissing', podResource(proxy), `VirtualService ${vs.metadata.namespace}/${vs.metadata.name} binds ${missing.join(', ')} on Gateway ${objectKey(gateway)} port ${port}, but route ${routeName} in Envoy ${routeConfig.exists ? 'has no virtual host for it' : 'does not exist'}: requests get 404 NR (stale or rejected config)${alsoOn(proxy.pods)}`, {
                hint: `istioctl proxy-config routes ${proxyName(proxy)} --name ${routeName} -o json`,
              }),
            )
          }
        }
      }
      return found
    })
  },
}
