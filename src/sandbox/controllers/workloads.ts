import {createHash, randomBytes} from 'node:crypto'
import type {StoredObject} from '../mesh-contract.ts'
import type {ClusterApi} from '../api/cluster.ts'
import {fromLabelSelector, matchesLabels} from '../api/selectors.ts'
import {deepEqual} from '../api/patch.ts'
import {recordEvent} from './events.ts'

/** Objects are read loosely here: the store holds whatever JSON clients sent. */
type Obj = Record<string, any>

export const nodeName = 'gw-sandbox-node'
const controllerManager = 'kube-controller-manager'
const revisionAnnotation = 'deployment.kubernetes.io/revision'

/** Pod IPs from 10.244.0.0/16, as a kind/flannel cluster hands them out. */
export class PodIpAllocator {
  private next = 2
  private readonly used = new Set<string>()

  constructor(existing: StoredObject[]) {
    for (const pod of existing) {
      const ip = (pod.status as Obj | undefined)?.podIP
      if (typeof ip === 'string') this.used.add(ip)
    }
  }

  allocate(): string {
    for (let attempts = 0; attempts < 65_536; attempts++) {
      const n = this.next++
      if (this.next > 65_534) this.next = 2
      const ip = `10.244.${(n >> 8) & 255}.${n & 255}`
      if ((n & 255) === 0 || (n & 255) === 255 || this.used.has(ip)) continue
      this.used.add(ip)
      return ip
    }
    throw new Error('the pod IP range 10.244.0.0/16 is full')
  }

  release(ip: string | undefined): void {
    if (ip) this.used.delete(ip)
  }
}

const safeAlphabet = 'bcdfghjklmnpqrstvwxz2456789'

/** A pod-template-hash: stable per template, from kubectl-safe characters. */
export function templateHash(template: unknown): string {
  const digest = createHash('sha256').update(JSON.stringify(template)).digest()
  return [...digest.subarray(0, 10)].map((b) => safeAlphabet[b % safeAlphabet.length]).join('')
}

function suffix(): string {
  return [...randomBytes(5)].map((b) => safeAlphabet[b % safeAlphabet.length]).join('')
}

function ownerRef(owner: StoredObject): Obj {
  return {apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid, controller: true, blockOwnerDeletion: true}
}

export function ownedBy(object: StoredObject, owner: StoredObject): boolean {
  return ((object.metadata.ownerReferences as Obj[] | undefined) ?? []).some((ref) => ref.uid === owner.metadata.uid)
}

function timestamp(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** Writes status through the status subresource unless it is already what we want. */
export async function setStatus(api: ClusterApi, object: StoredObject, status: Obj): Promise<void> {
  if (deepEqual(object.status, status)) return
  const type = api.registry.forKind(object.apiVersion.includes('/') ? object.apiVersion.split('/')[0]! : '', object.kind)!
  const version = object.apiVersion.split('/').pop()!
  await api.update(type, version, object.metadata.namespace, object.metadata.name, {...object, status}, {fieldManager: controllerManager, subresource: 'status'})
}

/** A Deployment owns one ReplicaSet per template; the current one gets the replicas, old ones none. */
export async function reconcileDeployment(api: ClusterApi, deployment: StoredObject): Promise<void> {
  const namespace = deployment.metadata.namespace!
  const spec = deployment.spec as Obj
  const template = spec.template ?? {}
  const hash = templateHash(template)
  const rsType = api.registry.forKind('apps', 'ReplicaSet')!
  const owned = api.store.list('apps', 'ReplicaSet', namespace).filter((rs) => ownedBy(rs, deployment))
  const currentName = `${deployment.metadata.name}-${hash}`
  const replicas = spec.replicas ?? 1
  let current = owned.find((rs) => rs.metadata.name === currentName)
  const labels = {...(template.metadata?.labels ?? {}), 'pod-template-hash': hash}
  const desiredSpec = {
    replicas,
    selector: {...spec.selector, matchLabels: {...(spec.selector?.matchLabels ?? {}), 'pod-template-hash': hash}},
    template: {...template, metadata: {...(template.metadata ?? {}), labels}},
  }
  const revisionOf = (object: StoredObject) => Number(object.metadata.annotations?.[revisionAnnotation] ?? 0)
  if (!current) {
    const revision = String(Math.max(0, ...owned.map(revisionOf)) + 1)
    current = await api.create(rsType, 'v1', namespace, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {name: currentName, namespace, labels, ownerReferences: [ownerRef(deployment)], annotations: {'deployment.kubernetes.io/desired-replicas': String(replicas), [revisionAnnotation]: revision}},
      spec: desiredSpec,
    }, {fieldManager: controllerManager})
    await recordEvent(api, deployment, 'ScalingReplicaSet', `Scaled up replica set ${currentName} from 0 to ${replicas}`, 'deployment-controller')
  } else if (!deepEqual((current.spec as Obj).replicas, replicas)) {
    const from = (current.spec as Obj).replicas
    current = await api.update(rsType, 'v1', namespace, current.metadata.name, {...current, spec: {...(current.spec as Obj), replicas}}, {fieldManager: controllerManager})
    await recordEvent(api, deployment, 'ScalingReplicaSet', `Scaled ${replicas > from ? 'up' : 'down'} replica set ${currentName} from ${from} to ${replicas}`, 'deployment-controller')
  }
  for (const old of owned) {
    const from = (old.spec as Obj).replicas
    if (old.metadata.name !== currentName && from !== 0) {
      await api.update(rsType, 'v1', namespace, old.metadata.name, {...old, spec: {...(old.spec as Obj), replicas: 0}}, {fieldManager: controllerManager})
      await recordEvent(api, deployment, 'ScalingReplicaSet', `Scaled down replica set ${old.metadata.name} from ${from} to 0`, 'deployment-controller')
    }
  }
  const revision = current.metadata.annotations?.[revisionAnnotation]
  if (revision && deployment.metadata.annotations?.[revisionAnnotation] !== revision) {
    const deploymentType = api.registry.forKind('apps', 'Deployment')!
    deployment = await api.update(deploymentType, 'v1', namespace, deployment.metadata.name, {...deployment, metadata: {...deployment.metadata, annotations: {...deployment.metadata.annotations, [revisionAnnotation]: revision}}}, {fieldManager: controllerManager})
  }
  const rsStatus = (current.status ?? {}) as Obj
  const ready = rsStatus.readyReplicas ?? 0
  const now = timestamp(new Date())
  const previous = ((deployment.status as Obj | undefined)?.conditions ?? []) as Obj[]
  const condition = (type: string, status: string, reason: string, message: string): Obj => {
    const before = previous.find((c) => c.type === type)
    const unchanged = before && before.status === status && before.reason === reason
    return {type, status, lastUpdateTime: unchanged ? before.lastUpdateTime : now, lastTransitionTime: before?.status === status ? before.lastTransitionTime : now, reason, message}
  }
  const available = ready >= replicas - Math.floor(replicas * 0.25)
  await setStatus(api, deployment, {
    observedGeneration: deployment.metadata.generation,
    replicas: rsStatus.replicas ?? 0,
    updatedReplicas: rsStatus.replicas ?? 0,
    readyReplicas: ready,
    availableReplicas: rsStatus.availableReplicas ?? 0,
    ...(replicas - ready > 0 ? {unavailableReplicas: replicas - ready} : {}),
    conditions: [
      condition('Available', available ? 'True' : 'False', available ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable', available ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.'),
      condition('Progressing', 'True', ready === replicas ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated', `ReplicaSet "${currentName}" ${ready === replicas ? 'has successfully progressed' : 'is progressing'}.`),
    ],
  })
}

/** A ReplicaSet keeps `replicas` pods; the simulated kubelet makes them Running and Ready at once. */
export async function reconcileReplicaSet(api: ClusterApi, replicaSet: StoredObject, ips: PodIpAllocator): Promise<void> {
  const namespace = replicaSet.metadata.namespace!
  const spec = replicaSet.spec as Obj
  const podType = api.registry.forKind('', 'Pod')!
  const selector = fromLabelSelector(spec.selector ?? {})
  const pods = api.store.list('', 'Pod', namespace).filter((pod) => ownedBy(pod, replicaSet) && matchesLabels(selector, pod.metadata.labels))
  const wanted = spec.replicas ?? 1
  for (let i = pods.length; i < wanted; i++) {
    const template = spec.template ?? {}
    const name = `${replicaSet.metadata.name}-${suffix()}`
    const podSpec = {...(template.spec ?? {}), nodeName, restartPolicy: template.spec?.restartPolicy ?? 'Always', schedulerName: 'default-scheduler'}
    const pod = await api.create(podType, 'v1', namespace, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {name, namespace, labels: {...(template.metadata?.labels ?? {})}, ...(template.metadata?.annotations ? {annotations: template.metadata.annotations} : {}), ownerReferences: [ownerRef(replicaSet)]},
      spec: podSpec,
      status: runningStatus(podSpec, ips.allocate(), new Date()),
    }, {fieldManager: controllerManager, subresource: 'status'})
    await recordEvent(api, replicaSet, 'SuccessfulCreate', `Created pod: ${name}`, 'replicaset-controller')
    await recordPodStart(api, pod)
  }
  for (const pod of pods.slice(wanted)) {
    ips.release((pod.status as Obj | undefined)?.podIP)
    await api.delete(podType, namespace, pod.metadata.name, {})
    await recordEvent(api, replicaSet, 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`, 'replicaset-controller')
  }
  const count = Math.min(pods.length, wanted) + Math.max(0, wanted - pods.length)
  await setStatus(api, api.store.get('apps', 'ReplicaSet', namespace, replicaSet.metadata.name) ?? replicaSet, {
    replicas: count,
    fullyLabeledReplicas: count,
    readyReplicas: count,
    availableReplicas: count,
    observedGeneration: replicaSet.metadata.generation,
  })
}

/** The scheduler's and kubelet's events for a pod that started (images are never pulled: simulated). */
async function recordPodStart(api: ClusterApi, pod: StoredObject): Promise<void> {
  await recordEvent(api, pod, 'Scheduled', `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${nodeName}`, 'default-scheduler')
  for (const container of ((pod.spec as Obj).containers ?? []) as Obj[]) {
    await recordEvent(api, pod, 'Pulled', `Container image "${container.image}" already present on machine (simulated)`, 'kubelet')
    await recordEvent(api, pod, 'Started', `Started container ${container.name}`, 'kubelet')
  }
}

/** What a kubelet reports for a pod whose containers all started and passed readiness. */
export function runningStatus(podSpec: Obj, podIP: string, now: Date): Obj {
  const started = timestamp(now)
  const containers: Obj[] = podSpec.containers ?? []
  return {
    phase: 'Running',
    conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({type, status: 'True', lastProbeTime: null, lastTransitionTime: started})),
    hostIP: '172.18.0.2',
    hostIPs: [{ip: '172.18.0.2'}],
    podIP,
    podIPs: [{ip: podIP}],
    startTime: started,
    qosClass: 'BestEffort',
    containerStatuses: containers.map((c) => ({
      name: c.name,
      image: c.image,
      imageID: `${c.image}@sha256:${createHash('sha256').update(String(c.image)).digest('hex')}`,
      containerID: `containerd://${createHash('sha256').update(`${podIP}/${c.name}`).digest('hex')}`,
      ready: true,
      started: true,
      restartCount: 0,
      state: {running: {startedAt: started}},
      lastState: {},
    })),
  }
}

/** A pod created directly (no owner) is scheduled and started by the simulated kubelet. */
export async function reconcileBarePod(api: ClusterApi, pod: StoredObject, ips: PodIpAllocator): Promise<void> {
  const status = pod.status as Obj | undefined
  if (status?.phase && status.phase !== 'Pending') return
  const podType = api.registry.forKind('', 'Pod')!
  const spec = pod.spec as Obj
  if (!spec.nodeName) {
    pod = await api.update(podType, 'v1', pod.metadata.namespace, pod.metadata.name, {...pod, spec: {...spec, nodeName}}, {fieldManager: 'kube-scheduler'})
  }
  await setStatus(api, pod, runningStatus(pod.spec as Obj, ips.allocate(), new Date()))
  await recordPodStart(api, pod)
}

