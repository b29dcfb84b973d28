import type {KubeObject} from '../../kube/objects.ts'

/** Fields every builder takes: where the object goes and how it is labelled. */
export interface ObjectIdentity {
  name: string
  namespace?: string
  labels?: Record<string, string>
}

/** Drops undefined values and empty arrays/objects so generated YAML holds only what was asked for. */
export function compact<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => compact(v)) as T
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => [k, compact(v)] as const)
      .filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0) && !(isPlainObject(v) && Object.keys(v).length === 0))
    return Object.fromEntries(entries) as T
  }
  return value
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function kubeObject(apiVersion: string, kind: string, identity: ObjectIdentity, body: Record<string, unknown>): KubeObject {
  const labels = identity.labels && Object.keys(identity.labels).length > 0 ? identity.labels : undefined
  return compact({apiVersion, kind, metadata: {name: identity.name, namespace: identity.namespace, labels}, ...body})
}
