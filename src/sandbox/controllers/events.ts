import {randomBytes} from 'node:crypto'
import type {StoredObject} from '../mesh-contract.ts'
import type {ClusterApi} from '../api/cluster.ts'

/** Events kept per namespace; the oldest go first (a real cluster expires them after an hour). */
const eventsKept = 1000

/** Records a core/v1 Event about an object, as kubectl describe and get events show them. */
export async function recordEvent(api: ClusterApi, involved: StoredObject, reason: string, message: string, component: string, type: 'Normal' | 'Warning' = 'Normal'): Promise<void> {
  const namespace = involved.metadata.namespace ?? 'default'
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')
  await api.create(api.registry.forKind('', 'Event')!, 'v1', namespace, {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {name: `${involved.metadata.name}.${randomBytes(8).toString('hex')}`, namespace},
    involvedObject: {apiVersion: involved.apiVersion, kind: involved.kind, name: involved.metadata.name, namespace, uid: involved.metadata.uid, resourceVersion: involved.metadata.resourceVersion},
    reason,
    message,
    source: {component},
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
    type,
    reportingComponent: component,
    reportingInstance: '',
  }, {fieldManager: component})
  const events = api.store.list('', 'Event', namespace)
  if (events.length > eventsKept) {
    const oldest = events.sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion)).slice(0, events.length - eventsKept)
    for (const event of oldest) api.store.remove('', event)
  }
}
