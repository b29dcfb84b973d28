import type {StoredObject} from '../mesh-contract.ts'

type Obj = Record<string, any>

interface Column {
  name: string
  type: 'string' | 'integer' | 'date'
  priority?: number
  cell: (object: Obj, now: Date) => string | number
}

/** kubectl's age format: 45s, 12m, 5h, 3d (with the next unit while small). */
export function age(timestamp: string | undefined, now: Date): string {
  if (!timestamp) return '<unknown>'
  const seconds = Math.max(0, Math.floor((now.getTime() - Date.parse(timestamp)) / 1000))
  if (seconds < 120) return `${seconds}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 10) return `${minutes}m${seconds % 60}s`
  if (minutes < 180) return `${minutes}m`
  const hours = Math.floor(minutes / 60)
  if (hours < 8) return `${hours}h${minutes % 60}m`
  if (hours < 48) return `${hours}h`
  const days = Math.floor(hours / 24)
  return days < 8 ? `${days}d${hours % 24}h` : `${days}d`
}

const name: Column = {name: 'Name', type: 'string', cell: (o) => o.metadata.name}
const ageColumn: Column = {name: 'Age', type: 'date', cell: (o, now) => age(o.metadata.creationTimestamp, now)}
const list = (value: unknown) => (Array.isArray(value) && value.length > 0 ? JSON.stringify(value) : '')

function servicePorts(o: Obj): string {
  const ports: Obj[] = o.spec?.ports ?? []
  return ports.length === 0 ? '<none>' : ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',')
}

const columnsByKind: Record<string, Column[]> = {
  Pod: [
    name,
    {name: 'Ready', type: 'string', cell: (o) => `${(o.status?.containerStatuses ?? []).filter((c: Obj) => c.ready).length}/${(o.spec?.containers ?? []).length}`},
    {name: 'Status', type: 'string', cell: (o) => o.status?.phase ?? 'Pending'},
    {name: 'Restarts', type: 'integer', cell: (o) => (o.status?.containerStatuses ?? []).reduce((n: number, c: Obj) => n + (c.restartCount ?? 0), 0)},
    ageColumn,
    {name: 'IP', type: 'string', priority: 1, cell: (o) => o.status?.podIP ?? '<none>'},
    {name: 'Node', type: 'string', priority: 1, cell: (o) => o.spec?.nodeName ?? '<none>'},
  ],
  Deployment: [
    name,
    {name: 'Ready', type: 'string', cell: (o) => `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`},
    {name: 'Up-to-date', type: 'integer', cell: (o) => o.status?.updatedReplicas ?? 0},
    {name: 'Available', type: 'integer', cell: (o) => o.status?.availableReplicas ?? 0},
    ageColumn,
    {name: 'Containers', type: 'string', priority: 1, cell: (o) => (o.spec?.template?.spec?.containers ?? []).map((c: Obj) => c.name).join(',')},
    {name: 'Images', type: 'string', priority: 1, cell: (o) => (o.spec?.template?.spec?.containers ?? []).map((c: Obj) => c.image).join(',')},
  ],
  ReplicaSet: [
    name,
    {name: 'Desired', type: 'integer', cell: (o) => o.spec?.replicas ?? 0},
    {name: 'Current', type: 'integer', cell: (o) => o.status?.replicas ?? 0},
    {name: 'Ready', type: 'integer', cell: (o) => o.status?.readyReplicas ?? 0},
    ageColumn,
  ],
  Service: [
    name,
    {name: 'Type', type: 'string', cell: (o) => o.spec?.type ?? 'ClusterIP'},
    {name: 'Cluster-IP', type: 'string', cell: (o) => o.spec?.clusterIP ?? '<none>'},
    {name: 'External-IP', type: 'string', cell: (o) => (o.status?.loadBalancer?.ingress ?? []).map((i: Obj) => i.ip ?? i.hostname).join(',') || (o.spec?.type === 'LoadBalancer' ? '<pending>' : '<none>')},
    {name: 'Port(s)', type: 'string', cell: servicePorts},
    ageColumn,
    {name: 'Selector', type: 'string', priority: 1, cell: (o) => Object.entries(o.spec?.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '<none>'},
  ],
  Endpoints: [
    name,
    {name: 'Endpoints', type: 'string', cell: (o) => (o.subsets ?? []).flatMap((s: Obj) => (s.addresses ?? []).flatMap((a: Obj) => (s.ports ?? []).map((p: Obj) => `${a.ip}:${p.port}`))).join(',') || '<none>'},
    ageColumn,
  ],
  Event: [
    {name: 'Last Seen', type: 'string', cell: (o, now) => age(o.lastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp, now)},
    {name: 'Type', type: 'string', cell: (o) => o.type ?? 'Normal'},
    {name: 'Reason', type: 'string', cell: (o) => o.reason ?? ''},
    {name: 'Object', type: 'string', cell: (o) => `${String(o.involvedObject?.kind ?? '').toLowerCase()}/${o.involvedObject?.name ?? ''}`},
    {name: 'Message', type: 'string', cell: (o) => o.message ?? ''},
  ],
  Namespace: [name, {name: 'Status', type: 'string', cell: (o) => o.status?.phase ?? 'Active'}, ageColumn],
  Secret: [name, {name: 'Type', type: 'string', cell: (o) => o.type ?? 'Opaque'}, {name: 'Data', type: 'integer', cell: (o) => Object.keys(o.data ?? {}).length}, ageColumn],
  ConfigMap: [name, {name: 'Data', type: 'integer', cell: (o) => Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length}, ageColumn],
  HorizontalPodAutoscaler: [
    name,
    {name: 'Reference', type: 'string', cell: (o) => `${o.spec?.scaleTargetRef?.kind}/${o.spec?.scaleTargetRef?.name}`},
    {name: 'Targets', type: 'string', cell: (o) => (o.spec?.metrics ?? []).map((m: Obj) => `cpu: <unknown>/${m.resource?.target?.averageUtilization ?? '?'}%`.replace('cpu', m.resource?.name ?? m.type ?? 'metric')).join(', ') || '<none>'},
    {name: 'MinPods', type: 'integer', cell: (o) => o.spec?.minReplicas ?? 1},
    {name: 'MaxPods', type: 'integer', cell: (o) => o.spec?.maxReplicas ?? 0},
    {name: 'Replicas', type: 'integer', cell: (o) => o.status?.currentReplicas ?? 0},
    ageColumn,
  ],
  PodDisruptionBudget: [
    name,
    {name: 'Min Available', type: 'string', cell: (o) => String(o.spec?.minAvailable ?? 'N/A')},
    {name: 'Max Unavailable', type: 'string', cell: (o) => String(o.spec?.maxUnavailable ?? 'N/A')},
    {name: 'Allowed Disruptions', type: 'integer', cell: (o) => o.status?.disruptionsAllowed ?? 0},
    ageColumn,
  ],
  CustomResourceDefinition: [name, {name: 'Created At', type: 'date', cell: (o) => o.metadata.creationTimestamp}],
  'networking.istio.io/VirtualService': [
    name,
    {name: 'Gateways', type: 'string', cell: (o) => list(o.spec?.gateways)},
    {name: 'Hosts', type: 'string', cell: (o) => list(o.spec?.hosts)},
    ageColumn,
  ],
  'networking.istio.io/DestinationRule': [name, {name: 'Host', type: 'string', cell: (o) => o.spec?.host ?? ''}, ageColumn],
  'networking.istio.io/ServiceEntry': [
    name,
    {name: 'Hosts', type: 'string', cell: (o) => list(o.spec?.hosts)},
    {name: 'Location', type: 'string', cell: (o) => o.spec?.location ?? ''},
    {name: 'Resolution', type: 'string', cell: (o) => o.spec?.resolution ?? ''},
    ageColumn,
  ],
  'gateway.networking.k8s.io/Gateway': [
    name,
    {name: 'Class', type: 'string', cell: (o) => o.spec?.gatewayClassName ?? ''},
    {name: 'Address', type: 'string', cell: (o) => o.status?.addresses?.[0]?.value ?? ''},
    {name: 'Programmed', type: 'string', cell: (o) => (o.status?.conditions ?? []).find((c: Obj) => c.type === 'Programmed')?.status ?? 'Unknown'},
    ageColumn,
  ],
  'gateway.networking.k8s.io/HTTPRoute': [name, {name: 'Hostnames', type: 'string', cell: (o) => list(o.spec?.hostnames)}, ageColumn],
}

function columnsFor(group: string, kind: string): Column[] {
  return columnsByKind[`${group}/${kind}`] ?? (group === '' || group === 'apps' || group === 'autoscaling' || group === 'policy' || group === 'apiextensions.k8s.io' ? columnsByKind[kind] : undefined) ?? [name, ageColumn]
}

/** A meta.k8s.io Table, as kubectl get asks for with `Accept: ...;as=Table`. */
export function toTable(group: string, kind: string, objects: StoredObject[], listMetadata: Record<string, unknown>, tableVersion: string, now: Date): Record<string, unknown> {
  const columns = columnsFor(group, kind)
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${tableVersion}`,
    metadata: listMetadata,
    columnDefinitions: columns.map((c) => ({name: c.name, type: c.type, format: c.name === 'Name' ? 'name' : '', description: '', priority: c.priority ?? 0})),
    rows: objects.map((object) => ({
      cells: columns.map((c) => c.cell(object as Obj, now)),
      object: {kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata},
    })),
  }
}
