import {faultAnnotation, parseFault, type WorkloadFault} from '../fault-annotation.ts'
import type {ClusterStateView, StoredObject} from '../mesh-contract.ts'
import {translateGatewayApi} from './istiod/gateway-api.ts'

/**
 * istiod's view of the cluster: the objects the control plane reads, indexed once per change so that
 * translating one gateway pod stays O(what selects it). Plain JSON in, plain JSON out: the sandbox
 * reads objects the way istiod does, with none of kubectl-gw's own model.
 */

export type Labels = Record<string, string>
type Json = Record<string, unknown>

export const istioGroup = 'networking.istio.io'
export const clusterDomain = 'svc.cluster.local'

export function obj(value: unknown): Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {}
}
export function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : []
}
export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}
export function num(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value)
  return undefined
}
export function labelsOf(value: unknown): Labels {
  const out: Labels = {}
  for (const [k, v] of Object.entries(obj(value))) if (typeof v === 'string') out[k] = v
  return out
}

/** A selector matches when every key/value is in the labels; an empty selector matches nothing (Istio, Services). */
export function selects(selector: Labels, labels: Labels): boolean {
  const keys = Object.keys(selector)
  if (keys.length === 0) return false
  return keys.every((k) => labels[k] === selector[k])
}

/** Istio orders configs by creation time (whole seconds), then name, then namespace (model.sortConfigByCreationTime). */
export function byCreation(a: StoredObject, b: StoredObject): number {
  const ta = a.metadata.creationTimestamp ?? ''
  const tb = b.metadata.creationTimestamp ?? ''
  if (ta !== tb) return ta < tb ? -1 : 1
  const order = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0)
  return order(a.metadata.name ?? '', b.metadata.name ?? '') || order(a.metadata.namespace ?? '', b.metadata.namespace ?? '')
}

export interface ServicePort {
  name?: string
  port: number
  protocol: string
  targetPort: number | string
}

/** A Kubernetes Service or a ServiceEntry host, as istiod's service registry holds it. */
export interface MeshService {
  fqdn: string
  name: string
  namespace: string
  ports: ServicePort[]
  /** Pod selector (Service) or undefined (ServiceEntry / selector-less Service). */
  selector?: Labels
  source: StoredObject
  kind: 'Service' | 'ServiceEntry'
  /** ServiceEntry resolution (DNS, STATIC, NONE). */
  resolution?: string
}

export interface Workload {
  name: string
  namespace: string
  labels: Labels
  fault: WorkloadFault
}

export interface MeshPod {
  name: string
  namespace: string
  labels: Labels
  ip: string | undefined
  ready: boolean
  containerPorts: {name?: string; containerPort: number}[]
  isGateway: boolean
  hasSidecar: boolean
  object: StoredObject
}

function podReady(pod: StoredObject): boolean {
  const status = obj(pod.status)
  if (status.phase !== undefined && status.phase !== 'Running') return false
  const conditions = arr(status.conditions).map(obj)
  const ready = conditions.find((c) => c.type === 'Ready')
  return ready === undefined ? status.phase === 'Running' : ready.status === 'True'
}

function containers(pod: StoredObject): Json[] {
  return arr(obj(pod.spec).containers).map(obj)
}

/** A gateway runs `pilot-agent proxy router`; the labels are the fallback for pods written without a container spec. */
function isGatewayPod(pod: StoredObject, labels: Labels): boolean {
  const proxy = containers(pod).find((c) => c.name === 'istio-proxy')
  if (proxy && arr(proxy.args).includes('router')) return true
  if (proxy && arr(proxy.args).includes('sidecar')) return false
  if (labels['gateway.istio.io/managed'] !== undefined) return true
  return labels.istio !== undefined && labels.istio !== 'pilot' && labels.app !== 'istiod'
}

/** An injected pod, or one the injector would inject: the sandbox plays its sidecar. */
function hasSidecar(pod: StoredObject, labels: Labels, namespaceLabels: Labels): boolean {
  if (containers(pod).some((c) => c.name === 'istio-proxy')) return true
  const annotations = pod.metadata.annotations ?? {}
  if (annotations['sidecar.istio.io/status'] !== undefined || labels['security.istio.io/tlsMode'] === 'istio') return true
  const inject = labels['sidecar.istio.io/inject'] ?? annotations['sidecar.istio.io/inject']
  if (inject === 'false') return false
  if (namespaceLabels['istio-injection'] === 'disabled') return false
  return inject === 'true' || namespaceLabels['istio-injection'] === 'enabled' || namespaceLabels['istio.io/rev'] !== undefined
}

export function toMeshPod(pod: StoredObject, namespaceLabels: Labels = {}): MeshPod {
  const labels = labelsOf(pod.metadata.labels)
  const gateway = isGatewayPod(pod, labels)
  return {
    name: pod.metadata.name,
    namespace: pod.metadata.namespace ?? 'default',
    labels,
    ip: str(obj(pod.status).podIP),
    ready: podReady(pod),
    containerPorts: containers(pod).flatMap((c) =>
      arr(c.ports).map(obj).flatMap((p) => (num(p.containerPort) !== undefined ? [{name: str(p.name), containerPort: num(p.containerPort)!}] : [])),
    ),
    isGateway: gateway,
    hasSidecar: !gateway && hasSidecar(pod, labels, namespaceLabels),
    object: pod,
  }
}

/** Short names resolve in the referring object's namespace, like istiod's ResolveShortnameToFQDN. */
export function resolveHost(host: string, namespace: string): string {
  if (host.includes('*') || host.endsWith(`.${clusterDomain}`)) return host
  const parts = host.split('.')
  if (parts.length === 1) return `${host}.${namespace}.${clusterDomain}`
  if (parts.length === 2) return `${host}.${clusterDomain}`
  return host
}

export class MeshWorld {
  readonly gateways: StoredObject[]
  readonly virtualServicesByGateway = new Map<string, StoredObject[]>()
  readonly services = new Map<string, MeshService>()
  readonly destinationRules = new Map<string, StoredObject[]>()
  readonly pods: MeshPod[]
  readonly podsByNamespace = new Map<string, MeshPod[]>()
  readonly workloads: Workload[]
  private readonly endpointsObjects = new Map<string, StoredObject>()
  private readonly workloadByPod = new Map<string, Workload>()
  /** `ns|key=value` -> pods carrying that label: selectors start from their first pair, not from every pod. */
  private readonly podsByLabel = new Map<string, MeshPod[]>()
  private readonly state: ClusterStateView

  constructor(state: ClusterStateView) {
    this.state = state
    // Gateway API objects become internal Istio Gateways and VirtualServices first, as istiod converts them.
    const gatewayApi = translateGatewayApi(state)
    this.gateways = [...state.list(istioGroup, 'Gateway'), ...gatewayApi.gateways].sort(byCreation)
    for (const vs of [...state.list(istioGroup, 'VirtualService'), ...gatewayApi.virtualServices].sort(byCreation)) {
      const ns = vs.metadata.namespace ?? 'default'
      for (const ref of arr(obj(vs.spec).gateways)) {
        if (typeof ref !== 'string' || ref === 'mesh') continue
        const key = ref.includes('/') ? ref : `${ns}/${ref}`
        const list = this.virtualServicesByGateway.get(key) ?? []
        list.push(vs)
        this.virtualServicesByGateway.set(key, list)
      }
    }
    for (const svc of state.list('', 'Service')) this.addService(svc)
    for (const se of state.list(istioGroup, 'ServiceEntry').sort(byCreation)) this.addServiceEntry(se)
    for (const dr of state.list(istioGroup, 'DestinationRule').sort(byCreation)) {
      const host = str(obj(dr.spec).host)
      if (!host) continue
      const fqdn = resolveHost(host, dr.metadata.namespace ?? 'default')
      const list = this.destinationRules.get(fqdn) ?? []
      list.push(dr)
      this.destinationRules.set(fqdn, list)
    }
    for (const ep of state.list('', 'Endpoints')) this.endpointsObjects.set(`${ep.metadata.namespace}/${ep.metadata.name}`, ep)
    const namespaceLabels = new Map(state.list('', 'Namespace').map((n) => [n.metadata.name, labelsOf(n.metadata.labels)]))
    this.pods = state.list('', 'Pod').map((p) => toMeshPod(p, namespaceLabels.get(p.metadata.namespace ?? 'default')))
    for (const pod of this.pods) {
      const list = this.podsByNamespace.get(pod.namespace) ?? []
      list.push(pod)
      this.podsByNamespace.set(pod.namespace, list)
      for (const [k, v] of Object.entries(pod.labels)) {
        const key = `${pod.namespace}|${k}=${v}`
        const byLabel = this.podsByLabel.get(key) ?? []
        byLabel.push(pod)
        this.podsByLabel.set(key, byLabel)
      }
    }
    this.workloads = state.list('apps', 'Deployment').map((d) => ({
      name: d.metadata.name,
      namespace: d.metadata.namespace ?? 'default',
      labels: labelsOf(obj(obj(d.spec).selector).matchLabels),
      fault: parseFault(d.metadata.annotations?.[faultAnnotation]),
    }))
  }

  private addService(svc: StoredObject): void {
    const spec = obj(svc.spec)
    const ns = svc.metadata.namespace ?? 'default'
    const fqdn = `${svc.metadata.name}.${ns}.${clusterDomain}`
    const selector = labelsOf(spec.selector)
    this.services.set(fqdn, {
      fqdn,
      name: svc.metadata.name,
      namespace: ns,
      ports: arr(spec.ports).map(obj).flatMap((p) => {
        const port = num(p.port)
        if (port === undefined) return []
        const target = p.targetPort ?? port
        return [{name: str(p.name), port, protocol: str(p.protocol) ?? 'TCP', targetPort: typeof target === 'string' && !/^\d+$/.test(target) ? target : Number(target)}]
      }),
      selector: Object.keys(selector).length > 0 ? selector : undefined,
      source: svc,
      kind: 'Service',
    })
  }

  private addServiceEntry(se: StoredObject): void {
    const spec = obj(se.spec)
    const ns = se.metadata.namespace ?? 'default'
    for (const host of arr(spec.hosts)) {
      if (typeof host !== 'string' || this.services.has(host)) continue
      this.services.set(host, {
        fqdn: host,
        name: host,
        namespace: ns,
        ports: arr(spec.ports).map(obj).flatMap((p) => {
          const port = num(p.number)
          return port === undefined ? [] : [{name: str(p.name), port, protocol: str(p.protocol) ?? 'TCP', targetPort: num(p.targetPort) ?? port}]
        }),
        selector: Object.keys(labelsOf(obj(spec.workloadSelector).labels)).length > 0 ? labelsOf(obj(spec.workloadSelector).labels) : undefined,
        source: se,
        kind: 'ServiceEntry',
        resolution: str(spec.resolution) ?? 'NONE',
      })
    }
  }

  secret(namespace: string, name: string): StoredObject | undefined {
    return this.state.get('', 'Secret', namespace, name)
  }

  gatewayPods(): MeshPod[] {
    return this.pods.filter((p) => p.isGateway)
  }

  pod(namespace: string, name: string): MeshPod | undefined {
    return this.podsByNamespace.get(namespace)?.find((p) => p.name === name)
  }

  /** Services in the pod's namespace whose selector picks it (istiod's ServiceTargets for the proxy). */
  servicesSelecting(pod: MeshPod): MeshService[] {
    const out: MeshService[] = []
    for (const svc of this.services.values()) {
      if (svc.kind === 'Service' && svc.namespace === pod.namespace && svc.selector && selects(svc.selector, pod.labels)) out.push(svc)
    }
    return out
  }

  /** The Deployment whose selector picks the pod; Istio names the workload after it. */
  workloadOf(pod: MeshPod): Workload {
    const key = `${pod.namespace}/${pod.name}`
    let workload = this.workloadByPod.get(key)
    if (!workload) {
      const owner = this.deploymentOwning(pod)
      workload = (owner ? this.workloads.find((w) => w.namespace === pod.namespace && w.name === owner) : undefined) ?? this.workloads.find((w) => w.namespace === pod.namespace && selects(w.labels, pod.labels)) ?? {
        name: pod.name,
        namespace: pod.namespace,
        labels: pod.labels,
        fault: {errorRate: 0, latencyMs: 0},
      }
      this.workloadByPod.set(key, workload)
    }
    return workload
  }

  /** Pod -> ReplicaSet -> Deployment through ownerReferences, as istiod derives the workload name. */
  private deploymentOwning(pod: MeshPod): string | undefined {
    const refs = arr(pod.object.metadata.ownerReferences).map(obj)
    const rs = refs.find((r) => r.kind === 'ReplicaSet')
    if (!rs || typeof rs.name !== 'string') return undefined
    const replicaSet = this.state.get('apps', 'ReplicaSet', pod.namespace, rs.name)
    const owner = arr(replicaSet?.metadata.ownerReferences).map(obj).find((r) => r.kind === 'Deployment')
    return str(owner?.name) ?? rs.name.replace(/-[a-z0-9]{5,10}$/, '')
  }

  /** Ready endpoints of a service port, narrowed by subset labels (EDS: not-ready pods are not sent). */
  endpoints(svc: MeshService, port: ServicePort, subsetLabels?: Labels): {pod?: MeshPod; address: string; port: number}[] {
    if (svc.kind === 'ServiceEntry') {
      const entries = arr(obj(svc.source.spec).endpoints).map(obj)
      return entries.flatMap((e) => {
        const address = str(e.address)
        if (!address) return []
        const labels = labelsOf(e.labels)
        if (subsetLabels && !Object.entries(subsetLabels).every(([k, v]) => labels[k] === v)) return []
        const ports = obj(e.ports)
        return [{address, port: num(port.name ? ports[port.name] : undefined) ?? (typeof port.targetPort === 'number' ? port.targetPort : port.port)}]
      })
    }
    if (!svc.selector) return this.endpointsFromObject(svc, port)
    const out: {pod?: MeshPod; address: string; port: number}[] = []
    for (const pod of this.podsMatching(svc.namespace, svc.selector)) {
      if (!pod.ready || !pod.ip || !selects(svc.selector, pod.labels)) continue
      if (subsetLabels && !Object.entries(subsetLabels).every(([k, v]) => pod.labels[k] === v)) continue
      const target = typeof port.targetPort === 'number' ? port.targetPort : pod.containerPorts.find((c) => c.name === port.targetPort)?.containerPort
      if (target === undefined) continue
      out.push({pod, address: pod.ip, port: target})
    }
    return out
  }

  podsMatching(namespace: string, selector: Labels): MeshPod[] {
    const first = Object.entries(selector)[0]
    if (!first) return []
    return (this.podsByLabel.get(`${namespace}|${first[0]}=${first[1]}`) ?? []).filter((p) => selects(selector, p.labels))
  }

  private endpointsFromObject(svc: MeshService, port: ServicePort): {address: string; port: number}[] {
    const ep = this.endpointsObjects.get(`${svc.namespace}/${svc.name}`)
    if (!ep) return []
    return arr(ep.subsets).map(obj).flatMap((subset) => {
      const ports = arr(subset.ports).map(obj)
      const match = ports.find((p) => (port.name ? p.name === port.name : true))
      const target = num(match?.port) ?? (typeof port.targetPort === 'number' ? port.targetPort : port.port)
      return arr(subset.addresses).map(obj).flatMap((a) => (str(a.ip) ? [{address: str(a.ip)!, port: target}] : []))
    })
  }
}
