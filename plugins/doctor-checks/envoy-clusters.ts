import type {DoctorCheck} from '../../src/doctor/check.ts'
import {alsoOn, configured, podResource, proxyName} from '../../src/doctor/proxies.ts'
import {finding, type Finding} from '../../src/findings/catalog.ts'

const builtIn = new Set(['BlackHoleCluster', 'PassthroughCluster', 'InboundPassthroughCluster', 'UnknownService'])

export const envoyClusters: DoctorCheck = {
  id: 'envoy-clusters',
  layer: 'live',
  description: 'Every cluster a gateway route sends to exists in Envoy (else 503 NC) and has a healthy endpoint (else 503 UH).',
  inputs: ['GatewayProxy'],
  run(snapshot) {
    return configured(snapshot.items('GatewayProxy')).flatMap((proxy) => {
      const found: Finding[] = []
      const known = new Set(proxy.config.clusters.filter((c) => c.state !== 'warming').map((c) => c.name))
      const routed = new Set<string>()
      // Static route configs belong to the bootstrap's own listeners (stats, health), not to Gateways.
      for (const routeConfig of proxy.config.routeConfigs.filter((r) => r.state !== 'static')) {
        for (const vhost of routeConfig.virtualHosts) {
          for (const route of vhost.routes) {
            if (route.action.kind === 'cluster') routed.add(route.action.cluster)
            if (route.action.kind === 'weighted') for (const c of route.action.clusters) if (c.weight > 0) routed.add(c.name)
          }
        }
      }
      for (const cluster of [...routed].sort()) {
        if (builtIn.has(cluster)) continue
        if (!known.has(cluster)) {
          found.push(finding('EnvoyClusterNoHealthyEndpoints', podResource(proxy), `routes send to cluster ${cluster}, which Envoy does not have: requests get 503 NC${alsoOn(proxy.pods)}`, {hint: `istioctl proxy-config clusters ${proxyName(proxy)} --fqdn ${cluster.split('|')[3] ?? cluster}`}))
          continue
        }
        // /clusters is read once per distinct config (pods sharing one share it); offline (--config-dump) there is none.
        for (const pod of proxy.pods) {
          if (!pod.clusters || pod.configSource !== 'full') continue
          const status = pod.clusters.find((c) => c.name === cluster)
          const healthy = status?.hosts.filter((h) => h.healthy).length ?? 0
          if (healthy > 0) continue
          const total = status?.hosts.length ?? 0
          found.push(
            finding('EnvoyClusterNoHealthyEndpoints', podResource(pod), `cluster ${cluster} has ${total === 0 ? 'no endpoints' : `0 healthy of ${total} endpoints (${[...new Set(status?.hosts.flatMap((h) => h.flags))].join(', ')})`}: requests get 503 UH${alsoOn(proxy.pods)}`, {
              hint: `istioctl proxy-config endpoints ${proxyName(pod)} --cluster '${cluster}'`,
            }),
          )
        }
      }
      return found
    })
  },
}
