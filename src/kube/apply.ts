import {GwError, ExitCode} from '../errors.ts'
import type {KubeClient} from './client.ts'
import type {KubeObject} from './objects.ts'

export const fieldManager = 'kubectl-gw'

export type ApplyAction = 'created' | 'configured' | 'unchanged'

export interface AppliedObject {
  apiVersion: string
  kind: string
  namespace?: string
  name: string
  action: ApplyAction
  /** What the server returned (after defaulting); for dry runs, what it would store. */
  object: KubeObject
}

export interface ApplyObjectsOptions {
  /** Server-side dry run: validated by the server, nothing stored. */
  dryRun?: boolean
  /** Take over objects and fields that another manager owns (kubectl --force-conflicts). */
  forceConflicts?: boolean
}

/** Metadata that changes on every write and says nothing about the desired state. */
export const volatileMetadata = ['resourceVersion', 'managedFields', 'generation', 'creationTimestamp', 'uid', 'selfLink']

/** An object without what the server changes on every write (for comparisons and diffs). */
export function comparable(object: KubeObject): unknown {
  const metadata = {...object.metadata}
  for (const key of volatileMetadata) delete metadata[key]
  const {status: _status, ...rest} = object
  return {...rest, metadata}
}

/** JSON with object keys sorted: equal text for equal content. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))) : v,
  )
}

export function isManagedBy(object: KubeObject, manager: string): boolean {
  return (object.metadata.managedFields ?? []).some((f) => f.manager === manager)
}

/**
 * Server-side applies each object with field manager kubectl-gw and says per object whether it was
 * created, configured or unchanged. An existing object that kubectl-gw never wrote is refused unless
 * forceConflicts: nothing the user made by hand is clobbered silently.
 */
export async function applyObjects(kube: KubeClient, objects: KubeObject[], options: ApplyObjectsOptions = {}): Promise<AppliedObject[]> {
  const results: AppliedObject[] = []
  const existing = await Promise.all(
    objects.map((o) => kube.get({apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name ?? '', namespace: o.metadata.namespace})),
  )
  const foreign = objects.filter((_, i) => existing[i] && !isManagedBy(existing[i] as KubeObject, fieldManager))
  if (foreign.length > 0 && !options.forceConflicts) {
    const names = foreign.map((o) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`)
    throw new GwError(`refusing to overwrite ${names.join(', ')}: not created by kubectl-gw`, ExitCode.jobFailed, {
      hint: 'pass --force-conflicts to take them over, or pick other names',
    })
  }
  for (const [index, object] of objects.entries()) {
    const before = existing[index]
    const after = await kube.apply(object, {fieldManager, force: options.forceConflicts, dryRun: options.dryRun})
    let action: ApplyAction
    if (!before) action = 'created'
    else if (options.dryRun) action = stableJson(comparable(before)) === stableJson(comparable(after)) ? 'unchanged' : 'configured'
    else action = before.metadata.resourceVersion === after.metadata.resourceVersion ? 'unchanged' : 'configured'
    results.push({apiVersion: object.apiVersion, kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name ?? '', action, object: after})
  }
  return results
}
