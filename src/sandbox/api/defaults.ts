import type {StoredObject} from '../mesh-contract.ts'
import {isObject, type Json} from './patch.ts'
import type {ObjectStore} from './store.ts'

type Obj = Record<string, unknown>

/** Hands out Service cluster IPs from 10.96.0.0/12 as kube-apiserver's default range does. */
export class ClusterIpAllocator {
  private used?: Set<string>
  private next = 10
  private readonly store: ObjectStore

  constructor(store: ObjectStore) {
    this.store = store
  }

  private usedIps(): Set<string> {
    if (!this.used) {
      this.used = new Set(['10.96.0.1'])
      for (const service of this.store.list('', 'Service')) {
        const ip = (service.spec as Obj | undefined)?.clusterIP
        if (typeof ip === 'string') this.used.add(ip)
      }
    }
    return this.used
  }

  allocate(): string {
    const used = this.usedIps()
    for (let attempts = 0; attempts < 1 << 20; attempts++) {
      const n = this.next++
      const ip = `10.${96 + ((n >> 16) & 15)}.${(n >> 8) & 255}.${n & 255}`
      if ((n & 255) === 0 || (n & 255) === 255 || used.has(ip)) continue
      used.add(ip)
      return ip
    }
    throw new Error('the service cluster IP range is full')
  }
}

function defaultServiceSpec(spec: Obj, allocator: ClusterIpAllocator, current: Obj | undefined): void {
  spec.type ??= 'ClusterIP'
  spec.sessionAffinity ??= 'None'
  if (spec.type !== 'ExternalName') {
    if (!spec.clusterIP || spec.clusterIP === '') spec.clusterIP = (current?.clusterIP as string | undefined) ?? allocator.allocate()
    spec.clusterIPs = spec.clusterIP === 'None' ? ['None'] : [spec.clusterIP]
    spec.ipFamilies ??= ['IPv4']
    spec.ipFamilyPolicy ??= 'SingleStack'
    spec.internalTrafficPolicy ??= 'Cluster'
  }
  if (spec.type === 'LoadBalancer' || spec.type === 'NodePort') spec.externalTrafficPolicy ??= 'Cluster'
  if (Array.isArray(spec.ports)) {
    const currentPorts = Array.isArray(current?.ports) ? (current.ports as Obj[]) : []
    for (const port of spec.ports as Obj[]) {
      if (!isObject(port as Json)) continue
      port.protocol ??= 'TCP'
      port.targetPort ??= port.port
      if ((spec.type === 'LoadBalancer' || spec.type === 'NodePort') && port.nodePort === undefined) {
        const previous = currentPorts.find((p) => p.port === port.port)?.nodePort
        port.nodePort = previous ?? 30000 + ((Number(port.port) * 7919 + currentPorts.length) % 2768)
      }
    }
  }
}

/** Server-side defaults a real API server fills in, so objects read back as users expect. */
export function applyDefaults(object: StoredObject, context: {allocator: ClusterIpAllocator}, current?: StoredObject): void {
  const spec = (isObject(object.spec as Json) ? object.spec : undefined) as Obj | undefined
  switch (object.kind) {
    case 'Namespace':
      object.metadata.labels = {...object.metadata.labels, 'kubernetes.io/metadata.name': object.metadata.name}
      object.spec = {finalizers: ['kubernetes'], ...(spec ?? {})}
      object.status ??= {phase: 'Active'}
      break
    case 'Service':
      if (spec) defaultServiceSpec(spec, context.allocator, current?.spec as Obj | undefined)
      break
    case 'Deployment':
      if (spec) {
        spec.replicas ??= 1
        spec.revisionHistoryLimit ??= 10
        spec.progressDeadlineSeconds ??= 600
        // An empty strategy (kubectl create deployment sends one) defaults like an absent one.
        if (spec.strategy === undefined || (typeof spec.strategy === 'object' && spec.strategy !== null && Object.keys(spec.strategy).length === 0)) spec.strategy = {type: 'RollingUpdate', rollingUpdate: {maxSurge: '25%', maxUnavailable: '25%'}}
      }
      break
    case 'Secret': {
      object.type ??= 'Opaque'
      const stringData = object.stringData
      if (isObject(stringData as Json)) {
        const data = {...((object.data as Obj | undefined) ?? {})}
        for (const [key, value] of Object.entries(stringData as Obj)) data[key] = Buffer.from(String(value)).toString('base64')
        object.data = data
        delete object.stringData
      }
      break
    }
    case 'Pod':
      object.status ??= {phase: 'Pending'}
      break
  }
}
