import type {StoredObject} from '../mesh-contract.ts'
import type {ClusterApi} from '../api/cluster.ts'
import {fromMatchLabels, matchesLabels} from '../api/selectors.ts'
import {deepEqual} from '../api/patch.ts'
import {setStatus} from './workloads.ts'

/** Objects are read loosely here: the store holds whatever JSON clients sent. */
type Obj = Record<string, any>

const endpointController = 'endpoint-controller'

/** LoadBalancer addresses come from TEST-NET-1 (192.0.2.0/24, RFC 5737): clearly simulated, never routed. */
export function loadBalancerIp(service: StoredObject, taken: Set<string>): string {
  let n = 0
  for (const char of `${service.metadata.namespace}/${service.metadata.name}`) n = (n * 31 + char.charCodeAt(0)) % 240
  for (let i = 0; i < 240; i++) {
    const ip = `192.0.2.${10 + ((n + i) % 240)}`
    if (!taken.has(ip)) return ip
  }
  return '192.0.2.254'
}

function isReady(pod: StoredObject): boolean {
  const status = pod.status as Obj | undefined
  return status?.phase === 'Running' && Boolean(status.podIP) && (status.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True')
}

/** A service port's targetPort on one pod: a number, or a container port looked up by name. */
function resolveTargetPort(port: Obj, pod: StoredObject): number | undefined {
  const target = port.targetPort ?? port.port
  if (typeof target === 'number') return target
  if (/^\d+$/.test(String(target))) return Number(target)
  const containers: Obj[] = (pod.spec as Obj)?.containers ?? []
  return containers.flatMap((c) => c.ports ?? []).find((p: Obj) => p.name === target)?.containerPort
}

/** Endpoints of a selector-based Service: ready pods grouped by the ports they resolve to. */
export async function reconcileEndpoints(api: ClusterApi, service: StoredObject): Promise<void> {
  const spec = service.spec as Obj
  if (!spec.selector || spec.type === 'ExternalName') return
  const namespace = service.metadata.namespace!
  const selector = fromMatchLabels(spec.selector)
  const ports: Obj[] = spec.ports ?? []
  const subsets = new Map<string, {addresses: Obj[]; notReadyAddresses: Obj[]; ports: Obj[]}>()
  for (const pod of api.store.list('', 'Pod', namespace)) {
    if (!matchesLabels(selector, pod.metadata.labels)) continue
    const ip = (pod.status as Obj | undefined)?.podIP
    if (!ip) continue
    const resolved = ports.map((p) => ({name: p.name, port: resolveTargetPort(p, pod), protocol: p.protocol ?? 'TCP'})).filter((p) => p.port !== undefined)
    const key = JSON.stringify(resolved)
    const subset = subsets.get(key) ?? {addresses: [], notReadyAddresses: [], ports: resolved.map((p) => (p.name ? p : {port: p.port, protocol: p.protocol}))}
    subsets.set(key, subset)
    const address = {ip, nodeName: (pod.spec as Obj).nodeName, targetRef: {kind: 'Pod', namespace, name: pod.metadata.name, uid: pod.metadata.uid}}
    ;(isReady(pod) ? subset.addresses : subset.notReadyAddresses).push(address)
  }
  const desired = [...subsets.values()].map((s) => ({
    ...(s.addresses.length > 0 ? {addresses: s.addresses.sort((a, b) => a.ip.localeCompare(b.ip))} : {}),
    ...(s.notReadyAddresses.length > 0 ? {notReadyAddresses: s.notReadyAddresses} : {}),
    ports: s.ports,
  }))
  const type = api.registry.forKind('', 'Endpoints')!
  const existing = api.store.get('', 'Endpoints', namespace, service.metadata.name)
  const labels = {...(service.metadata.labels ?? {})}
  if (!existing) {
    await api.create(type, 'v1', namespace, {apiVersion: 'v1', kind: 'Endpoints', metadata: {name: service.metadata.name, namespace, labels}, ...(desired.length > 0 ? {subsets: desired} : {})}, {fieldManager: endpointController})
  } else if (!deepEqual(existing.subsets ?? [], desired)) {
    const {subsets: _old, ...rest} = existing
    await api.update(type, 'v1', namespace, service.metadata.name, {...rest, ...(desired.length > 0 ? {subsets: desired} : {})}, {fieldManager: endpointController})
  }
}

/** LoadBalancer services get an ingress address; others none. */
export async function reconcileLoadBalancer(api: ClusterApi, service: StoredObject): Promise<void> {
  const spec = service.spec as Obj
  const current = (service.status as Obj | undefined)?.loadBalancer?.ingress?.[0]?.ip
  if (spec.type !== 'LoadBalancer') {
    if (current) await setStatus(api, service, {loadBalancer: {}})
    return
  }
  if (current) return
  const taken = new Set<string>()
  for (const other of api.store.list('', 'Service')) {
    const ip = (other.status as Obj | undefined)?.loadBalancer?.ingress?.[0]?.ip
    if (ip) taken.add(ip)
  }
  await setStatus(api, service, {loadBalancer: {ingress: [{ip: loadBalancerIp(service, taken), ipMode: 'VIP'}]}})
}
