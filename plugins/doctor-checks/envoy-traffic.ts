import type {DoctorCheck} from '../../src/doctor/check.ts'
import {podResource} from '../../src/doctor/proxies.ts'
import {finding, type Finding} from '../../src/findings/catalog.ts'
import type {GatewayProxy} from '../../src/doctor/live.ts'
import type {Sample} from '../../src/metrics/exposition.ts'

/** A destination is flagged when at least this many requests were seen and this share failed. */
export const minRequests = 20
export const errorShare = 0.05

interface Tally {
  total: number
  failed: number
  flags: Map<string, number>
}

/** Requests per destination and those with no route, from istio_requests_total samples (reporter=source). */
function tallies(samples: Sample[]): {byDestination: Map<string, Tally>; all: number; noRoute: number} {
  const byDestination = new Map<string, Tally>()
  let all = 0
  let noRoute = 0
  for (const sample of samples) {
    if (sample.name !== 'istio_requests_total' || sample.labels.reporter !== 'source') continue
    const code = Number(sample.labels.response_code ?? 0)
    const flags = sample.labels.response_flags ?? '-'
    all += sample.value
    if (flags.split(',').includes('NR')) {
      noRoute += sample.value
      continue
    }
    const destination = sample.labels.destination_service ?? sample.labels.destination_service_name ?? 'unknown'
    const tally = byDestination.get(destination) ?? {total: 0, failed: 0, flags: new Map()}
    tally.total += sample.value
    if (code >= 500) {
      tally.failed += sample.value
      tally.flags.set(`${code} ${flags}`, (tally.flags.get(`${code} ${flags}`) ?? 0) + sample.value)
    }
    byDestination.set(destination, tally)
  }
  return {byDestination, all, noRoute}
}

export const envoyTraffic: DoctorCheck = {
  id: 'envoy-traffic',
  layer: 'live',
  description:
    "From the gateway's istio_requests_total (reporter=source) over the traffic window, else since Envoy started: destinations answering 5xx, and requests answered 404 NR (no route).",
  inputs: ['GatewayProxy'],
  run(snapshot) {
    // Pods of one gateway share a config; their traffic is judged together.
    const groups = new Map<string, GatewayProxy[]>()
    for (const proxy of snapshot.items('GatewayProxy')) groups.set(proxy.configGroup, [...(groups.get(proxy.configGroup) ?? []), proxy])
    const found: Finding[] = []
    for (const proxies of groups.values()) {
      const first = proxies[0] as GatewayProxy
      const since = tallies(proxies.flatMap((p) => p.stats ?? []))
      // What the gateway does now, when every pod was read twice: a fault of the last minute on a gateway
      // up for weeks is a small share of its counters, and a fault fixed an hour ago is still in them.
      const windowed = proxies.every((p) => p.recentStats || !p.stats)
      const recent = windowed ? tallies(proxies.flatMap((p) => p.recentStats?.samples ?? [])) : undefined
      const windowMs = Math.min(...proxies.flatMap((p) => (p.recentStats ? [p.recentStats.windowMs] : [])))
      const over = `in the last ${(windowMs / 1000).toFixed(1)}s`
      // The window's series are the last read's, so its destinations are among those.
      for (const destination of [...since.byDestination.keys()].sort((a, b) => a.localeCompare(b))) {
        const now = recent?.byDestination.get(destination)
        // The window judges when it saw enough requests; a quieter one leaves the counters since Envoy started.
        const [tally, when] = now && now.total >= minRequests ? [now, over] : [since.byDestination.get(destination), 'since Envoy started']
        if (!tally || tally.total < minRequests || tally.failed / tally.total < errorShare) continue
        const share = ((100 * tally.failed) / tally.total).toFixed(1)
        const top = [...tally.flags].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}: ${Math.round(n)}`).join(', ')
        const [name, namespace] = destination.split('.')
        found.push(
          finding('EnvoyHighErrorRate', podResource(first), `${destination}: ${share}% of ${Math.round(tally.total)} requests through this gateway failed ${when} (${top})`, {
            hint: namespace ? `kubectl -n ${namespace} logs -l app=${name} --tail=50   # and: kubectl -n ${namespace} get pods -l app=${name}` : `kubectl get svc -A | grep ${destination}`,
            about: {service: destination},
          }),
        )
      }
      const [noRoute, all, when] = recent && recent.all >= minRequests ? [recent.noRoute, recent.all, over] : [since.noRoute, since.all, 'since Envoy started']
      if (noRoute > 0) {
        found.push(
          finding('EnvoyNoRouteResponses', podResource(first), `${Math.round(noRoute)} of ${Math.round(all)} requests ${when} got 404 NR (no route for their host or path)`, {
            hint: `kubectl -n ${first.pod.namespace} logs ${first.pod.name} -c istio-proxy | grep ' NR '   # then: kubectl gw doctor --host HOST --path PATH`,
          }),
        )
      }
    }
    return found
  },
}
