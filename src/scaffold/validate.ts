import type {KubeObject} from '../kube/objects.ts'
import {requiresWeightsSumTo100} from '../istio/api-versions.ts'
import {labelSelectorString} from '../istio/gateway-workload.ts'
import {hostProblem as certificateHostProblem} from '../certs/hosts.ts'
import {hostCoveredBy, hostsIntersect} from '../istio/hosts.ts'
import {serviceRef} from '../istio/references.ts'
import {re2Problem, weightProblem} from '../istio/route-rules.ts'
import {credentialNamespace, wantedCredentials} from './credentials.ts'
import {serviceKey, type ClusterFacts} from './facts.ts'
import {referencedSubsets} from './plan.ts'
import {gatewayApiWorkload} from './plan-gateway-api.ts'
import {hostProblem, isWildcard} from './rules.ts'
import {applicationHosts, gatewayHosts, gatewayName, gatewayServers, isPassthrough, parseMatchText, rateLimitScope, routeDestinations, virtualServiceName} from './shorthand.ts'
import {virtualServiceBindsGateway} from '../istio/gateway-binding.ts'
import {droppedGatewayServer, type MergedServer} from '../istio/gateway-server-conflicts.ts'
import type {RouteSpec, ScaffoldSpec, SpecPath} from './spec.ts'

export interface SpecIssue {
  path: SpecPath
  message: string
  hint?: string
}

export interface SpecFindings {
  errors: SpecIssue[]
  warnings: SpecIssue[]
}

interface Check {
  spec: ScaffoldSpec
  facts: ClusterFacts
  namespace: string
  error(path: SpecPath, message: string, hint?: string): void
  warn(path: SpecPath, message: string, hint?: string): void
}

function checkHosts(c: Check): void {
  const gateway = c.spec.gateway
  if (!gateway) return
  const servers = gateway.servers ?? []
  const hostLists: [SpecPath, string[]][] = [
    [['gateway', 'hosts'], gateway.hosts ?? []],
    ...servers.map((s, i): [SpecPath, string[]] => [['gateway', 'servers', i, 'hosts'], s.hosts]),
    ...(c.spec.virtualServices ?? []).map((vs, i): [SpecPath, string[]] => [['virtualServices', i, 'hosts'], vs.hosts ?? []]),
  ]
  for (const [path, hosts] of hostLists) {
    hosts.forEach((host, i) => {
      const problem = hostProblem(host)
      if (problem) c.error([...path, i], `host "${host}": ${problem}`, 'use a DNS name like app.example.com or *.example.com')
      else if (isWildcard(host) && path[0] === 'gateway') {
        c.warn([...path, i], `wildcard host "${host}" accepts every matching name: requests for hosts no VirtualService serves get 404`)
      }
    })
  }
  if (!gateway.existing && !gateway.servers && (gateway.hosts ?? []).length === 0) {
    c.error(['gateway', 'hosts'], 'the Gateway needs at least one host', 'pass --host app.example.com (or gateway.hosts in the spec)')
  }
}

function existingGateway(c: Check): KubeObject | undefined {
  const namespace = c.spec.gateway?.namespace ?? c.namespace
  return c.facts.gateways.find((g) => g.metadata.name === gatewayName(c.spec) && g.metadata.namespace === namespace)
}

function boundHosts(c: Check): string[] | undefined {
  const gateway = c.spec.gateway
  if (!gateway?.existing) return gatewayHosts(gateway)
  const live = existingGateway(c) as {spec?: {servers?: {hosts?: string[]}[]}} | undefined
  return live?.spec?.servers?.flatMap((s) => (s.hosts ?? []).map((h) => h.replace(/^[^/]*\//, '')))
}

function checkCoverage(c: Check): void {
  const gateway = c.spec.gateway
  if (gateway?.existing) {
    const ref = `${gateway.namespace ?? c.namespace}/${gatewayName(c.spec)}`
    if (c.facts.live && !existingGateway(c)) {
      c.error(['gateway', 'name'], `Gateway ${ref} not found`, 'create it first, or drop "existing: true" to have scaffold generate it')
    }
    if (!c.facts.live) c.warn(['gateway', 'existing'], `Gateway ${ref} is not checked in a client dry run: its hosts must cover the VirtualService hosts`)
  }
  const hosts = boundHosts(c)
  if (!hosts) return
  for (const [i, vs] of (c.spec.virtualServices ?? []).entries()) {
    if (gateway?.existing && !vs.hosts) c.error(['virtualServices', i], 'a VirtualService on an existing Gateway needs its own hosts', 'add hosts: [app.example.com]')
    ;(vs.hosts ?? []).forEach((host, h) => {
      if (!hosts.some((g) => hostsIntersect(g, host))) {
        c.error(['virtualServices', i, 'hosts', h], `host "${host}" is not served by Gateway ${gatewayName(c.spec)} (hosts: ${hosts.join(', ')}): requests would get 404`, 'add it to the Gateway hosts or fix the spelling')
      }
    })
  }
}

function checkTls(c: Check): void {
  const gateway = c.spec.gateway
  if (!gateway || gateway.existing) return
  if (gateway.httpsRedirect && (gateway.tls ?? 'none') === 'none' && !gateway.servers) {
    c.error(['gateway', 'httpsRedirect'], 'an HTTPS redirect needs an HTTPS server to redirect to', 'add --tls simple (or mutual, passthrough) with --credential')
  }
  gatewayServers(gateway).forEach((server, i) => {
    const path: SpecPath = gateway.servers ? ['gateway', 'servers', i] : ['gateway', 'tls']
    const mode = server.tls?.mode
    if (server.protocol === 'HTTPS' && !mode) c.error(path, `server on port ${server.port} is HTTPS but has no TLS mode`, 'set tls.mode: SIMPLE or MUTUAL')
    if ((mode === 'SIMPLE' || mode === 'MUTUAL') && !server.tls?.credential) {
      c.error(gateway.servers ? [...path, 'tls'] : ['gateway', 'credential'], `TLS mode ${mode} needs a credential secret`, 'pass --credential SECRET (a kubernetes.io/tls secret in the gateway workload\'s namespace)')
    }
    if (mode === 'PASSTHROUGH' && server.tls?.credential) c.warn(path, 'PASSTHROUGH does not terminate TLS: the credential is ignored')
    if (server.tls?.credential && mode) checkCredential(c, gateway.servers ? [...path, 'tls', 'credential'] : ['gateway', 'credential'], server.tls.credential, mode)
  })
}

/** generateCert: something to issue, for hosts a certificate can name. */
function checkGenerateCert(c: Check): void {
  const gateway = c.spec.gateway
  if (!gateway?.generateCert) return
  const path: SpecPath = ['gateway', 'generateCert']
  if (gateway.existing) {
    c.error(path, 'certificates are generated for a Gateway scaffold creates, not an existing one', 'drop generateCert, or use kubectl gw certs create for the existing Gateway\'s credential')
    return
  }
  const wanted = wantedCredentials(c.spec, c.facts, c.namespace)
  if (wanted.length === 0) {
    const tls = gateway.servers ? 'no server with tls.mode SIMPLE or MUTUAL' : `TLS is ${gateway.tls ?? 'none'}`
    c.error(path, `a certificate is generated only for TLS SIMPLE or MUTUAL, and ${tls}`, 'pass --tls simple or --tls mutual, or drop --generate-cert')
  }
  for (const credential of wanted) {
    for (const host of credential.hosts) {
      const problem = certificateHostProblem(host)
      if (problem) c.error(credential.path, `no certificate can name host "${host}": ${problem}`, 'list the exact names, or a wildcard like *.example.com')
    }
    // An existing credential is reused, never regenerated: it must already name every host.
    const existing = c.facts.secrets.find((s) => s.name === credential.name && s.namespace === credential.namespace)
    const named = existing?.certificateHosts
    const uncovered = named ? credential.hosts.filter((host) => hostCoveredBy(host, named) === false) : []
    if (uncovered.length) {
      const rotate = `kubectl gw certs rotate ${credential.name} -n ${credential.namespace} ${credential.hosts.map((h) => `--host ${h}`).join(' ')}`
      c.error(credential.path, `secret ${credential.namespace}/${credential.name} exists and its certificate does not cover ${uncovered.join(', ')} (it names ${named!.join(', ') || 'no host'}); reusing it would break TLS for ${uncovered.length > 1 ? 'them' : 'it'}`, `re-issue it for every host, then run scaffold again: ${rotate}`)
    }
  }
}

const certKeys = [['tls.crt', 'tls.key'], ['cert', 'key']]
const caKeys = ['ca.crt', 'cacert']

/** The classic mistake: Istio reads credentials only from the gateway workload's namespace. */
function checkCredential(c: Check, path: SpecPath, name: string, mode: string): void {
  if (!c.facts.live) return
  const namespace = credentialNamespace(c.spec, c.facts, c.namespace)
  const where = c.spec.api === 'gateway-api' ? "the Gateway's namespace" : "the gateway workload's namespace, the only one Istio reads credentials from"
  const secret = c.facts.secrets.find((s) => s.name === name && s.namespace === namespace)
  // generateCert creates it where Istio reads it; a copy elsewhere no longer matters.
  if (!secret && c.spec.gateway?.generateCert) return
  if (!secret) {
    const elsewhere = c.facts.secrets.filter((s) => s.name === name).map((s) => s.namespace)
    if (elsewhere.length) {
      c.warn(path, `secret ${name} is in namespace ${elsewhere.join(', ')}, but must be in ${namespace} (${where}); TLS handshakes will fail until it is`, `kubectl get secret ${name} -n ${elsewhere[0]} -o yaml | sed 's/namespace: .*/namespace: ${namespace}/' | kubectl apply -f -`)
    } else {
      c.warn(path, `secret ${namespace}/${name} does not exist yet; create it before traffic arrives${mode === 'MUTUAL' ? ' (with ca.crt for client certificates)' : ''}`, `kubectl create -n ${namespace} secret tls ${name} --cert=server.crt --key=server.key`)
    }
    return
  }
  if (!certKeys.some((pair) => pair.every((k) => secret.keys.includes(k)))) {
    c.error(path, `secret ${namespace}/${name} has no certificate and key (keys: ${secret.keys.join(', ') || 'none'})`, 'it needs tls.crt + tls.key (or cert + key)')
  }
  if (mode === 'MUTUAL') {
    const companion = c.facts.secrets.find((s) => s.name === `${name}-cacert` && s.namespace === namespace)
    const hasCa = caKeys.some((k) => secret.keys.includes(k)) || (companion !== undefined && caKeys.some((k) => companion.keys.includes(k)))
    if (!hasCa) {
      c.error(path, `MUTUAL TLS needs a CA to verify client certificates: neither ${namespace}/${name} has ca.crt nor does a secret ${name}-cacert exist`, `kubectl create -n ${namespace} secret generic ${name}-cacert --from-file=ca.crt=client-ca.crt`)
    }
  }
}

function checkRegex(c: Check, path: SpecPath, value: string | {exact?: string; prefix?: string; regex?: string}, bare: 'prefix' | 'exact'): void {
  const parsed = parseMatchText(value, bare)
  if (parsed.kind === 'regex') {
    const problem = re2Problem(parsed.value)
    if (problem) c.error(path, `regex "${parsed.value}": ${problem}`, 'rewrite it without that construct')
  } else if (path[path.length - 1] === 'match' && !parsed.value.startsWith('/')) {
    c.error(path, `path "${parsed.value}" must start with "/"`, 'write /api, exact:/health or regex:/v[0-9]+/.*')
  }
}

function checkRoute(c: Check, path: SpecPath, route: RouteSpec, mustSumTo100: boolean): void {
  if (route.match !== undefined) checkRegex(c, [...path, 'match'], route.match, 'prefix')
  for (const [kind, values] of [['headers', route.headers], ['query', route.query]] as const) {
    for (const [key, value] of Object.entries(values ?? {})) checkRegex(c, [...path, kind, key], value, 'exact')
  }
  const destinations = routeDestinations(route)
  if (route.redirect && destinations.length) c.error([...path, 'redirect'], 'a route either redirects or sends to destinations, not both', 'remove "to" or "redirect"')
  if (!route.redirect && destinations.length === 0) c.error(path, 'the route sends nowhere', 'add to: SERVICE[:PORT]')
  const weightIssue = weightProblem(destinations.map((d) => d.weight), mustSumTo100)
  if (weightIssue) c.error([...path, 'to'], weightIssue, 'e.g. --weights v1=90,v2=10')
  const seen = new Set<string>()
  destinations.forEach((d, i) => {
    const key = `${d.service}|${d.subset ?? ''}|${d.port ?? ''}`
    if (seen.has(key)) c.error([...path, 'to', i], `destination ${d.service}${d.subset ? ` subset ${d.subset}` : ''} is listed twice`)
    seen.add(key)
    checkDestination(c, typeof route.to === 'string' ? [...path, 'to'] : [...path, 'to', i], d.service, d.port)
  })
}

function checkDestination(c: Check, path: SpecPath, host: string, port: number | undefined): void {
  const ref = serviceRef(host, c.namespace)
  if (!ref) {
    if (port === undefined) c.error(path, `external host ${host} needs a port`, `write ${host}:443`)
    return
  }
  if (!c.facts.live) return
  const ports = c.facts.services.get(serviceKey(ref))
  if (!ports) {
    c.error(path, `Service ${serviceKey(ref)} not found`, `check the name (kubectl get svc -n ${ref.namespace}) or create the Service first`)
    return
  }
  const listing = ports.map((p) => (p.name ? `${p.port} (${p.name})` : String(p.port))).join(', ')
  if (port !== undefined && !ports.some((p) => p.port === port)) {
    c.error(path, `Service ${serviceKey(ref)} has no port ${port} (ports: ${listing})`, `use one of its ports, e.g. ${ref.name}:${ports[0]?.port ?? 80}`)
  }
  if (port === undefined && ports.length > 1) {
    c.error(path, `Service ${serviceKey(ref)} has several ports (${listing}); say which one`, `write ${host}:${ports[0]?.port}`)
  }
}

function checkRoutes(c: Check): void {
  const mustSumTo100 = requiresWeightsSumTo100(c.facts.istioVersion)
  const passthrough = isPassthrough(c.spec.gateway)
  for (const [i, vs] of (c.spec.virtualServices ?? []).entries()) {
    for (const [r, route] of vs.routes.entries()) {
      const path: SpecPath = ['virtualServices', i, 'routes', r]
      checkRoute(c, path, route, mustSumTo100)
      if (passthrough) {
        const httpOnly = (['match', 'headers', 'query', 'rewrite', 'redirect', 'timeout', 'retries', 'requestHeaders', 'responseHeaders'] as const).filter((k) => route[k] !== undefined)
        if (httpOnly.length) c.error([...path, httpOnly[0] as string], `TLS passthrough routes by SNI only: ${httpOnly.join(', ')} cannot apply to encrypted traffic`, 'use --tls simple to terminate TLS at the gateway, or drop these')
      }
      if (c.spec.api === 'gateway-api') checkGatewayApiRoute(c, path, route)
    }
  }
}

function checkGatewayApiRoute(c: Check, path: SpecPath, route: RouteSpec): void {
  for (const [kind, values] of [['headers', route.headers], ['query', route.query]] as const) {
    for (const [key, value] of Object.entries(values ?? {})) {
      if (parseMatchText(value, 'exact').kind === 'prefix') c.error([...path, kind, key], 'HTTPRoute has no prefix match for headers or query parameters', 'use regex:^VALUE.* or --api istio')
    }
  }
  if (route.retries) c.error([...path, 'retries'], 'HTTPRoute retries are not in the standard Gateway API channel', 'drop retries or use --api istio')
  routeDestinations(route).forEach((d, i) => {
    if (d.subset) c.error([...path, 'to', i], `subset ${d.subset}: HTTPRoute has no subsets; route to one Service per version instead`, 'or use --api istio')
    const ref = serviceRef(d.service, c.namespace)
    if (ref && ref.namespace !== c.namespace) {
      c.warn([...path, 'to', i], `backend ${serviceKey(ref)} is in another namespace: the HTTPRoute needs a ReferenceGrant in ${ref.namespace} to use it`, `create a ReferenceGrant in ${ref.namespace} allowing HTTPRoutes from ${c.namespace}`)
    }
  })
}

function checkGatewayApi(c: Check): void {
  const gateway = c.spec.gateway
  if (c.spec.api !== 'gateway-api' || !gateway) return
  if (c.facts.live && !c.facts.gatewayApiServed) c.error(['api'], 'gateway.networking.k8s.io is not served by this cluster', 'install the Gateway API CRDs, or use --api istio')
  if (gateway.servers) c.error(['gateway', 'servers'], 'explicit servers are Istio Gateway syntax', 'use hosts / tls / credential with --api gateway-api')
  if (gateway.tls === 'passthrough') c.error(['gateway', 'tls'], 'TLS passthrough needs a TLSRoute, which is not in the standard Gateway API channel', 'use --api istio for passthrough')
  if (gateway.tls === 'mutual') c.error(['gateway', 'tls'], 'client certificate validation is not in the standard Gateway API channel', 'use --api istio for mutual TLS')
  if (gateway.selector) c.warn(['gateway', 'selector'], `with --api gateway-api Istio deploys the gateway pods itself (labelled ${labelSelectorString(gatewayApiWorkload(c.spec, c.namespace).selector)}); the selector is ignored`)
}

function checkSubsets(c: Check): void {
  const used = referencedSubsets(c.spec)
  for (const [d, dr] of (c.spec.destinationRules ?? []).entries()) {
    const declared = dr.subsets?.map((s) => s.name)
    const missing = declared ? (used.get(dr.host) ?? []).filter((s) => !declared.includes(s)) : []
    if (missing.length) c.error(['destinationRules', d, 'subsets'], `routes use subset ${missing.join(', ')} of ${dr.host}, which this DestinationRule does not define: requests would get 503 NC`, `add - name: ${missing[0]}`)
    if (c.facts.live) {
      for (const [s, subset] of (dr.subsets ?? []).entries()) {
        if (!subset.labels) checkSubsetPods(c, ['destinationRules', d, 'subsets', s], dr.host, subset.name)
      }
    }
  }
  if (!c.facts.live) return
  for (const [i, vs] of (c.spec.virtualServices ?? []).entries()) {
    for (const [r, route] of vs.routes.entries()) {
      routeDestinations(route).forEach((d, t) => {
        const declared = c.spec.destinationRules?.find((dr) => dr.host === d.service)
        if (d.subset && !declared?.subsets) checkSubsetPods(c, ['virtualServices', i, 'routes', r, 'to', t], d.service, d.subset)
      })
    }
  }
}

function checkSubsetPods(c: Check, path: SpecPath, host: string, subset: string): void {
  const ref = serviceRef(host, c.namespace)
  if (!ref || !c.facts.services.get(serviceKey(ref))) return
  if (!c.facts.subsetLabels.get(`${serviceKey(ref)}/${subset}`)) {
    c.error(path, `no pod of Service ${serviceKey(ref)} has a label with value "${subset}": subset ${subset} would select no pods (503 UH)`, `label the pods (e.g. version: ${subset}) or declare the subset's labels in the spec`)
  }
}

function sameLabels(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  return labelSelectorString(a ?? {}) === labelSelectorString(b) && Object.keys(a ?? {}).length === Object.keys(b).length
}

function createdAt(gateway: KubeObject | undefined): number {
  const stamp = gateway?.metadata.creationTimestamp
  // Not created yet (or no timestamp): it is the newest, merged last.
  return stamp ? Date.parse(String(stamp)) : Number.POSITIVE_INFINITY
}

function mergedServers(gateway: KubeObject): MergedServer[] {
  const key = `${gateway.metadata.namespace ?? 'default'}/${gateway.metadata.name}`
  const servers = (gateway.spec as {servers?: {port?: {number?: number; protocol?: string}; hosts?: string[]; tls?: object}[]} | undefined)?.servers ?? []
  return servers.map((s) => ({gateway: key, port: s.port?.number ?? 0, protocol: s.port?.protocol ?? 'HTTP', hosts: s.hosts ?? [], ...(s.tls ? {tls: s.tls} : {})}))
}

/**
 * Istio merges the Gateways of one workload oldest first and silently drops a server that clashes
 * with an earlier one (src/istio/gateway-server-conflicts.ts): warned once per earlier Gateway and
 * port, and only when it is ours that is dropped.
 */
function checkSharedHosts(c: Check): void {
  const gateway = c.spec.gateway
  if (!gateway || gateway.existing || c.spec.api === 'gateway-api') return
  const selector = gateway.selector ?? c.facts.ingress.selector
  const ourNamespace = gateway.namespace ?? c.namespace
  const ourKey = `${ourNamespace}/${gatewayName(c.spec)}`
  const ourCreation = createdAt(existingGateway(c))
  const earlier = c.facts.gateways
    .filter((g) => `${g.metadata.namespace}/${g.metadata.name}` !== ourKey && sameLabels((g.spec as {selector?: Record<string, string>} | undefined)?.selector, selector) && createdAt(g) < ourCreation)
    .sort((a, b) => createdAt(a) - createdAt(b))
  const merged: MergedServer[] = []
  for (const server of earlier.flatMap(mergedServers)) if (!droppedGatewayServer(merged, server)) merged.push(server)
  const warned = new Set<string>()
  for (const server of gatewayServers(gateway)) {
    const ours: MergedServer = {gateway: ourKey, port: server.port, protocol: server.protocol, hosts: server.hosts, ...(server.tls ? {tls: server.tls} : {})}
    const dropped = droppedGatewayServer(merged, ours)
    if (!dropped) {
      merged.push(ours)
      continue
    }
    const once = `${dropped.winner.gateway}:${server.port}`
    if (warned.has(once)) continue
    warned.add(once)
    const holds = dropped.reason === 'duplicate host names' ? `already serves ${dropped.hosts.join(', ')} on port ${server.port} with TLS` : `already uses port ${server.port} for ${dropped.winner.protocol}${dropped.winner.tls ? ' with TLS' : ''}`
    c.warn(
      ['gateway', 'hosts'],
      `Gateway ${dropped.winner.gateway} (created earlier, same workload) ${holds}: istiod drops this Gateway's server on port ${server.port} (${dropped.reason})`,
      'use distinct hosts, or add your routes to that Gateway (gateway.existing: true)',
    )
  }
}

/**
 * A Gateway scaffold generates replaces one of the same name: hosts it drops that another
 * VirtualService is bound by would leave that VirtualService with nothing to serve it.
 */
function checkGatewayTakeover(c: Check): void {
  const gateway = c.spec.gateway
  if (!gateway || gateway.existing || c.spec.api === 'gateway-api') return
  const live = existingGateway(c)
  if (!live) return
  const ref = {namespace: live.metadata.namespace ?? c.namespace, name: live.metadata.name ?? ''}
  const ours = gatewayHosts(gateway) ?? []
  const liveHosts = ((live.spec as {servers?: {hosts?: string[]}[]} | undefined)?.servers ?? []).flatMap((s) => (s.hosts ?? []).map((h) => h.replace(/^[^/]*\//, '')))
  const dropped = [...new Set(liveHosts.filter((h) => !ours.includes(h)))]
  if (dropped.length === 0) return
  const ourVirtualServices = new Set((c.spec.virtualServices ?? []).map((_, i) => `${c.namespace}/${virtualServiceName(c.spec, i)}`))
  for (const vs of c.facts.virtualServices) {
    const id = `${vs.metadata.namespace ?? ''}/${vs.metadata.name}`
    if (ourVirtualServices.has(id) || !virtualServiceBindsGateway(vs, ref)) continue
    const vsHosts = (vs.spec as {hosts?: string[]} | undefined)?.hosts ?? []
    const stranded = dropped.filter((h) => vsHosts.some((v) => hostsIntersect(h, v)) && !vsHosts.some((v) => ours.some((o) => hostsIntersect(o, v))))
    if (stranded.length === 0) continue
    c.error(
      ['gateway', 'hosts'],
      `Gateway ${ref.namespace}/${ref.name} already serves ${stranded.join(', ')} for VirtualService ${id}: this scaffold would replace its servers and leave ${stranded.join(', ')} unserved`,
      `bind to it with gateway.existing: true (and hosts on your VirtualService), give this scaffold another gateway name, or list ${stranded.join(', ')} in its hosts too`,
    )
  }
}

/** hpa, pdb and a gateway-wide rate limit act on every Gateway of the workload: always said so. */
function checkGatewayWideObjects(c: Check): void {
  if (c.spec.api === 'gateway-api') return
  const workload = `${c.facts.ingress.namespace}/${c.spec.hpa?.deployment ?? c.facts.ingress.deployment}`
  const affected = `every Gateway on it is affected, not only ${c.spec.name}`
  if (c.spec.hpa) c.warn(['hpa'], `changes the shared gateway workload ${workload}: ${affected}`)
  if (c.spec.pdb) c.warn(['pdb'], `changes the shared gateway workload ${workload}: ${affected}`)
  if (!c.spec.rateLimit) return
  if (rateLimitScope(c.spec) === 'gateway') c.warn(['rateLimit'], `limits every host of the shared gateway workload ${workload}: ${affected}`)
  else if (applicationHosts(c.spec).length === 0) c.error(['rateLimit', 'scope'], 'a rate limit for the application\'s hosts needs hosts', 'add gateway hosts (--host), or scope: gateway for the whole gateway')
}

function checkWorkload(c: Check): void {
  const needsIngress = c.spec.api !== 'gateway-api' && ((c.spec.gateway && !c.spec.gateway.existing) || c.spec.rateLimit || c.spec.hpa || c.spec.pdb)
  if (c.facts.live && needsIngress && !c.facts.ingress.detected) {
    const selector = labelSelectorString(c.spec.gateway?.selector ?? c.facts.ingress.selector)
    c.error(['gateway', 'selector'], `no pods match the gateway selector ${selector} in any namespace: the Gateway would bind to nothing`, 'find the labels with kubectl get pods -A -l istio --show-labels, then pass --selector')
  }
  if (c.facts.live && c.spec.egress && !c.facts.egress.detected) {
    c.error(['egress'], `no egress gateway pods match ${labelSelectorString(c.facts.egress.selector)}`, 'install an egress gateway (istioctl install --set components.egressGateways[0].enabled=true) or set egress.selector')
  }
  if (c.spec.hpa && c.spec.hpa.min > c.spec.hpa.max) c.error(['hpa'], `min ${c.spec.hpa.min} is above max ${c.spec.hpa.max}`)
  if (c.spec.pdb?.minAvailable !== undefined && c.spec.pdb.maxUnavailable !== undefined) c.error(['pdb'], 'set min-available or max-unavailable, not both')
  const deployment = c.spec.hpa?.deployment ?? c.facts.ingress.deployment
  const hpaName = c.spec.hpa?.name ?? deployment
  for (const scaler of c.facts.scalers) {
    const target = (scaler.spec as {scaleTargetRef?: {name?: string}} | undefined)?.scaleTargetRef?.name
    if (c.spec.hpa && scaler.kind === 'HorizontalPodAutoscaler' && target === deployment && scaler.metadata.name !== hpaName) {
      c.error(['hpa'], `HorizontalPodAutoscaler ${scaler.metadata.namespace}/${scaler.metadata.name} already scales Deployment ${deployment}; two HPAs on one Deployment fight`, `name it to take it over: hpa.name: ${scaler.metadata.name} with --force-conflicts`)
    }
  }
}

function checkEgress(c: Check): void {
  const egress = c.spec.egress
  if (!egress) return
  const problem = hostProblem(egress.host)
  if (problem || isWildcard(egress.host)) c.error(['egress', 'host'], `egress host "${egress.host}": ${problem ?? 'must be one exact host name'}`, 'e.g. --egress api.example.com')
}

/**
 * Every check scaffold makes before writing anything. Pure: it reads the spec and what detection
 * found (or the client-dry-run defaults), and returns errors and warnings with the spec path they
 * belong to, so they can name the flag or file line.
 */
export function validateSpec(spec: ScaffoldSpec, facts: ClusterFacts, namespace: string): SpecFindings {
  const findings: SpecFindings = {errors: [], warnings: []}
  const check: Check = {
    spec,
    facts,
    namespace,
    error: (path, message, hint) => findings.errors.push({path, message, hint}),
    warn: (path, message, hint) => findings.warnings.push({path, message, hint}),
  }
  if (!spec.gateway && !spec.egress && !spec.rateLimit && !spec.hpa && !spec.pdb) {
    check.error([], 'nothing to scaffold', 'pass --host HOST (with --service or --route), or --egress HOST')
  }
  if (spec.virtualServices?.length && !spec.gateway) check.error(['virtualServices'], 'VirtualServices need a Gateway to bind to', 'add --host, or gateway: in the spec')
  for (const run of [checkHosts, checkCoverage, checkTls, checkGenerateCert, checkRoutes, checkSubsets, checkGatewayApi, checkSharedHosts, checkGatewayTakeover, checkGatewayWideObjects, checkWorkload, checkEgress]) run(check)
  return findings
}
