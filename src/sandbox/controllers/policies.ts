import type {StoredObject} from '../mesh-contract.ts'
import type {ClusterApi} from '../api/cluster.ts'
import {fromLabelSelector, matchesLabels} from '../api/selectors.ts'
import {deepEqual} from '../api/patch.ts'
import {setStatus} from './workloads.ts'
import {recordEvent} from './events.ts'

/** Objects are read loosely here: the store holds whatever JSON clients sent. */
type Obj = Record<string, any>

function timestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')
}

function condition(previous: Obj[], type: string, status: string, reason: string, message: string): Obj {
  const before = previous.find((c) => c.type === type)
  return {type, status, lastTransitionTime: before?.status === status ? before.lastTransitionTime : timestamp(), reason, message}
}

/**
 * An HPA keeps its target within [minReplicas, maxReplicas]. The sandbox has no metrics server,
 * so, as on a cluster without one, it cannot compute a utilisation and says so in its conditions.
 */
export async function reconcileHpa(api: ClusterApi, hpa: StoredObject): Promise<void> {
  const spec = hpa.spec as Obj
  const ref = spec.scaleTargetRef ?? {}
  const namespace = hpa.metadata.namespace!
  const previous: Obj[] = (hpa.status as Obj | undefined)?.conditions ?? []
  const target = ref.kind === 'Deployment' ? api.store.get('apps', 'Deployment', namespace, ref.name) : undefined
  if (!target) {
    await setStatus(api, hpa, {
      currentReplicas: 0,
      desiredReplicas: 0,
      conditions: [condition(previous, 'AbleToScale', 'False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: deployments.apps "${ref.name}" not found`)],
    })
    return
  }
  const current = (target.spec as Obj).replicas ?? 1
  const desired = Math.min(spec.maxReplicas ?? current, Math.max(spec.minReplicas ?? 1, current))
  if (desired !== current) {
    const type = api.registry.forKind('apps', 'Deployment')!
    await api.patch(type, 'v1', namespace, target.metadata.name, 'merge', JSON.stringify({spec: {replicas: desired}}), {fieldManager: 'horizontal-pod-autoscaler'})
    await recordEvent(api, hpa, 'SuccessfulRescale', `New size: ${desired}; reason: ${desired > current ? 'Current number of replicas below Spec.MinReplicas' : 'Current number of replicas above Spec.MaxReplicas'}`, 'horizontal-pod-autoscaler')
  }
  const metrics = (spec.metrics ?? []) as Obj[]
  await setStatus(api, api.store.get('autoscaling', 'HorizontalPodAutoscaler', namespace, hpa.metadata.name) ?? hpa, {
    currentReplicas: (target.status as Obj | undefined)?.replicas ?? current,
    desiredReplicas: desired,
    ...(metrics.length > 0 ? {currentMetrics: null} : {}),
    conditions: [
      condition(previous, 'AbleToScale', 'True', 'ReadyForNewScale', 'recommended size matches current size'),
      metrics.length > 0
        ? condition(previous, 'ScalingActive', 'False', 'FailedGetResourceMetric', 'the HPA was unable to compute the replica count: the sandbox runs no metrics server')
        : condition(previous, 'ScalingActive', 'False', 'ScalingDisabled', 'no metrics are configured'),
      condition(previous, 'ScalingLimited', desired !== current ? 'True' : 'False', desired !== current ? 'TooFewReplicas' : 'DesiredWithinRange', desired !== current ? 'the desired replica count is outside the allowed range' : 'the desired count is within the acceptable range'),
    ],
  })
}

function resolveCount(value: unknown, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value
  const percent = /^(\d+)%$/.exec(String(value ?? ''))
  if (!percent) return 0
  const exact = (Number(percent[1]) * total) / 100
  return roundUp ? Math.ceil(exact) : Math.floor(exact)
}

/** A PDB's status: how many selected pods are healthy and how many may be disrupted now. */
export async function reconcilePdb(api: ClusterApi, pdb: StoredObject): Promise<void> {
  const spec = pdb.spec as Obj
  const selector = fromLabelSelector(spec.selector ?? {})
  const pods = api.store.list('', 'Pod', pdb.metadata.namespace).filter((pod) => matchesLabels(selector, pod.metadata.labels))
  const healthy = pods.filter((pod) => ((pod.status as Obj | undefined)?.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True')).length
  const expected = pods.length
  const desiredHealthy = spec.minAvailable !== undefined ? resolveCount(spec.minAvailable, expected, true) : Math.max(0, expected - resolveCount(spec.maxUnavailable, expected, true))
  const allowed = Math.max(0, healthy - desiredHealthy)
  const previous: Obj[] = (pdb.status as Obj | undefined)?.conditions ?? []
  const status = {
    observedGeneration: pdb.metadata.generation,
    currentHealthy: healthy,
    desiredHealthy,
    expectedPods: expected,
    disruptionsAllowed: allowed,
    conditions: [condition(previous, 'DisruptionAllowed', allowed > 0 ? 'True' : 'False', allowed > 0 ? 'SufficientPods' : 'InsufficientPods', '')],
  }
  if (!deepEqual(pdb.status, status)) await setStatus(api, pdb, status)
}
