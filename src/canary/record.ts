import type {KubeObject} from '../kube/objects.ts'
import {canaryAnnotation, finishedPhases, type CanaryRecord, type Lock} from './model.ts'

/** The run's record lives in one annotation on the route object, written with the weights. */

export function readRecord(object: KubeObject): CanaryRecord | undefined {
  const text = object.metadata.annotations?.[canaryAnnotation]
  if (!text) return undefined
  try {
    const record = JSON.parse(text) as CanaryRecord
    return record && typeof record === 'object' && record.spec && record.state ? record : undefined
  } catch {
    return undefined
  }
}

/** The object with `record` in its annotation (a copy; every other field as it was). */
export function withRecord(object: KubeObject, record: CanaryRecord): KubeObject {
  const next = structuredClone(object)
  next.metadata.annotations = {...next.metadata.annotations, [canaryAnnotation]: JSON.stringify(record)}
  return next
}

/** Who runs this CLI, and whether a recorded holder is still alive (undefined: cannot tell, e.g. another host). */
export interface RunIdentity {
  holder: string
  alive(holder: string): boolean | undefined
}

/** Why a run may not take the route: someone holds a fresh lock. */
export function lockConflict(record: CanaryRecord | undefined, identity: RunIdentity, now: Date): Lock | undefined {
  if (!record?.lock || finishedPhases.includes(record.state.phase) || record.state.phase === 'Paused') return undefined
  if (record.lock.holder === identity.holder) return undefined
  if (Date.parse(record.lock.expiresAt) <= now.getTime()) return undefined
  // A holder on this host whose process is gone (kill -9) holds nothing.
  if (identity.alive(record.lock.holder) === false) return undefined
  return record.lock
}

/** The lock lasts two intervals past the next write, and at least 30 s. */
export function lockFor(identity: RunIdentity, intervalMs: number, now: Date): Lock {
  return {holder: identity.holder, expiresAt: new Date(now.getTime() + 2 * intervalMs + 30_000).toISOString()}
}
