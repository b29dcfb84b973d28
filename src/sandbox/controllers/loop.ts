import type {StoreEvent, StoredObject} from '../mesh-contract.ts'
import type {ClusterApi} from '../api/cluster.ts'
import {reconcileEndpoints, reconcileLoadBalancer} from './services.ts'
import {PodIpAllocator, reconcileBarePod, reconcileDeployment, reconcileReplicaSet} from './workloads.ts'
import {reconcileHpa, reconcilePdb} from './policies.ts'
import {reconcileGatewayApi} from './gateway-api.ts'

const groupOf = {Deployment: 'apps', ReplicaSet: 'apps', Service: '', Pod: '', HorizontalPodAutoscaler: 'autoscaling', PodDisruptionBudget: 'policy'} as const
type WorkKind = keyof typeof groupOf
/** Gateway API status depends on many kinds at once: one pass recomputes all of it, like istiod's. */
type Work = {kind: WorkKind | 'GatewayApi'; namespace: string; name: string}
const gatewayApiInputs = new Set(['Gateway', 'HTTPRoute', 'ReferenceGrant', 'GatewayClass', 'Service', 'Secret', 'Namespace'])

/**
 * The simulated controller manager and kubelet: reacts to store events through a de-duplicating
 * queue, drained after the write that caused them, so every write path (kubectl, SSA, the world
 * builder) gets the same reconciliation.
 */
export class ControllerLoop {
  private readonly api: ClusterApi
  private readonly queue = new Map<string, Work>()
  private readonly ips: PodIpAllocator
  private readonly unsubscribe: () => void
  private scheduled = false
  private draining?: Promise<void>
  private readonly onError: (error: unknown) => void

  constructor(api: ClusterApi, onError: (error: unknown) => void = () => undefined) {
    this.api = api
    this.onError = onError
    this.ips = new PodIpAllocator(api.store.list('', 'Pod'))
    this.unsubscribe = api.store.subscribe((event) => this.observe(event))
    for (const kind of Object.keys(groupOf) as WorkKind[]) {
      for (const object of api.store.list(groupOf[kind], kind)) this.enqueue(kind, object)
    }
  }

  stop(): void {
    this.unsubscribe()
    this.queue.clear()
  }

  private enqueueGatewayApi(): void {
    this.queue.set('GatewayApi', {kind: 'GatewayApi', namespace: '', name: ''})
    if (!this.scheduled) {
      this.scheduled = true
      setImmediate(() => void this.drain())
    }
  }

  private enqueue(kind: WorkKind, object: StoredObject): void {
    const namespace = object.metadata.namespace ?? ''
    this.queue.set(`${kind}/${namespace}/${object.metadata.name}`, {kind, namespace, name: object.metadata.name})
    if (!this.scheduled) {
      this.scheduled = true
      setImmediate(() => void this.drain())
    }
  }

  private observe(event: StoreEvent): void {
    const object = event.object
    const namespace = object.metadata.namespace
    if (event.type === 'DELETED') {
      this.collectGarbage(object)
    }
    if (gatewayApiInputs.has(object.kind) && (object.kind !== 'Gateway' || object.apiVersion.startsWith('gateway.networking.k8s.io/'))) this.enqueueGatewayApi()
    switch (object.kind) {
      case 'Deployment':
        if (event.type !== 'DELETED') this.enqueue('Deployment', object)
        for (const hpa of this.api.store.list('autoscaling', 'HorizontalPodAutoscaler', namespace)) {
          const ref = (hpa.spec as {scaleTargetRef?: {kind?: string; name?: string}}).scaleTargetRef
          if (ref?.kind === 'Deployment' && ref.name === object.metadata.name) this.enqueue('HorizontalPodAutoscaler', hpa)
        }
        break
      case 'HorizontalPodAutoscaler':
      case 'PodDisruptionBudget':
        if (event.type !== 'DELETED') this.enqueue(object.kind, object)
        break
      case 'ReplicaSet': {
        if (event.type !== 'DELETED') this.enqueue('ReplicaSet', object)
        const owner = (object.metadata.ownerReferences as {kind: string; name: string}[] | undefined)?.find((r) => r.kind === 'Deployment')
        const deployment = owner && this.api.store.get('apps', 'Deployment', namespace, owner.name)
        if (deployment) this.enqueue('Deployment', deployment)
        break
      }
      case 'Pod': {
        if (event.type === 'ADDED' && !(object.metadata.ownerReferences as unknown[] | undefined)?.length) this.enqueue('Pod', object)
        const owner = (object.metadata.ownerReferences as {kind: string; name: string}[] | undefined)?.find((r) => r.kind === 'ReplicaSet')
        const replicaSet = owner && this.api.store.get('apps', 'ReplicaSet', namespace, owner.name)
        if (replicaSet) this.enqueue('ReplicaSet', replicaSet)
        for (const service of this.api.store.list('', 'Service', namespace)) if ((service.spec as {selector?: unknown})?.selector) this.enqueue('Service', service)
        for (const pdb of this.api.store.list('policy', 'PodDisruptionBudget', namespace)) this.enqueue('PodDisruptionBudget', pdb)
        break
      }
      case 'Service':
        if (event.type !== 'DELETED') this.enqueue('Service', object)
        break
    }
  }

  /** Background cascading deletion: dependents go with their owner; a Service takes its Endpoints. */
  private collectGarbage(owner: StoredObject): void {
    const namespace = owner.metadata.namespace
    if (!namespace) return
    const gatewayApiGateway = owner.kind === 'Gateway' && owner.apiVersion.startsWith('gateway.networking.k8s.io/')
    const dependentKinds = owner.kind === 'Deployment' ? [['apps', 'ReplicaSet']] : owner.kind === 'ReplicaSet' ? [['', 'Pod']] : gatewayApiGateway ? [['apps', 'Deployment'], ['', 'Service'], ['', 'ServiceAccount']] : []
    for (const [group, kind] of dependentKinds) {
      for (const dependent of this.api.store.list(group!, kind!, namespace)) {
        if ((dependent.metadata.ownerReferences as {uid: string}[] | undefined)?.some((r) => r.uid === owner.metadata.uid)) {
          if (kind === 'Pod') this.ips.release((dependent.status as {podIP?: string} | undefined)?.podIP)
          this.api.store.remove(group!, dependent)
        }
      }
    }
    if (owner.kind === 'Pod') this.ips.release((owner.status as {podIP?: string} | undefined)?.podIP)
    if (owner.kind === 'Service') {
      const endpoints = this.api.store.get('', 'Endpoints', namespace, owner.metadata.name)
      if (endpoints) this.api.store.remove('', endpoints)
    }
  }

  /** Resolves once nothing is queued (tests and `up` wait on it instead of sleeping). */
  async settled(): Promise<void> {
    for (let round = 0; round < 1000 && (this.queue.size > 0 || this.draining); round++) {
      await (this.draining ?? this.drain())
    }
  }

  private drain(): Promise<void> {
    this.scheduled = false
    if (this.draining) return this.draining
    this.draining = (async () => {
      for (let round = 0; round < 10_000 && this.queue.size > 0; round++) {
        const [key, work] = this.queue.entries().next().value as [string, Work]
        this.queue.delete(key)
        try {
          await this.reconcile(work)
        } catch (error) {
          // A write raced with another (409): reconcile again from the fresh object.
          if ((error as {code?: number}).code === 409 && round < 9_000) this.queue.set(key, work)
          else this.onError(error)
        }
      }
    })().finally(() => {
      this.draining = undefined
    })
    return this.draining
  }

  private async reconcile(work: Work): Promise<void> {
    if (work.kind === 'GatewayApi') return reconcileGatewayApi(this.api)
    const object = this.api.store.get(groupOf[work.kind], work.kind, work.namespace, work.name)
    if (!object) return
    switch (work.kind) {
      case 'Deployment':
        return reconcileDeployment(this.api, object)
      case 'ReplicaSet':
        return reconcileReplicaSet(this.api, object, this.ips)
      case 'Pod':
        return reconcileBarePod(this.api, object, this.ips)
      case 'Service':
        await reconcileEndpoints(this.api, object)
        return reconcileLoadBalancer(this.api, object)
      case 'HorizontalPodAutoscaler':
        return reconcileHpa(this.api, object)
      case 'PodDisruptionBudget':
        return reconcilePdb(this.api, object)
    }
  }
}
