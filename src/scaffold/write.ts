import {chmod, mkdir, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {yamlText} from '../ui/yaml-text.ts'
import type {KubeClient} from '../kube/client.ts'
import type {KubeObject} from '../kube/objects.ts'
import {applyObjects, comparable, fieldManager} from '../kube/apply.ts'
import {redactSecret, type Secret} from '../certs/secrets.ts'
import {unifiedDiff} from '../ui/line-diff.ts'
import {withOrderFreeListsSorted} from '../istio/order-free-lists.ts'

export type ObjectAction = 'created' | 'configured' | 'unchanged' | 'generated' | 'written'

export interface ObjectOutcome {
  apiVersion: string
  kind: string
  namespace?: string
  name: string
  action: ObjectAction
  /** --out-dir: the file written. */
  file?: string
  /** --diff: unified diff of live -> after apply ("" when unchanged). */
  diff?: string
  object: KubeObject
}

function outcome(object: KubeObject, action: ObjectAction, extra: Partial<ObjectOutcome> = {}): ObjectOutcome {
  return {apiVersion: object.apiVersion, kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name ?? '', action, object, ...extra}
}

export function objectsGenerated(objects: KubeObject[]): ObjectOutcome[] {
  return objects.map((o) => outcome(o, 'generated'))
}

export function objectFileName(object: KubeObject): string {
  return `${object.kind.toLowerCase()}-${object.metadata.name}.yaml`
}

/** A Secret's private keys, shown only when asked (--show-secrets); other objects as they are. */
export function printable(object: KubeObject): KubeObject {
  return object.kind === 'Secret' && object.apiVersion === 'v1' ? redactSecret(object as Secret) : object
}

/** One YAML file per object; the directory is created when missing. Secrets (private keys) are 0600. */
export async function writeObjectFiles(objects: KubeObject[], directory: string): Promise<ObjectOutcome[]> {
  await mkdir(directory, {recursive: true})
  const results: ObjectOutcome[] = []
  for (const object of objects) {
    const file = path.join(directory, objectFileName(object))
    const mode = object.kind === 'Secret' ? 0o600 : 0o644
    await writeFile(file, yamlText(object), {mode})
    // writeFile's mode applies only to a new file; an old one keeps its bits.
    await chmod(file, mode)
    results.push(outcome(object, 'written', {file}))
  }
  return results
}

/** Server-side apply with field manager kubectl-gw (or its server dry run). */
export async function applyScaffold(kube: KubeClient, objects: KubeObject[], options: {dryRun: boolean; forceConflicts: boolean}): Promise<ObjectOutcome[]> {
  const applied = await applyObjects(kube, objects, {dryRun: options.dryRun, forceConflicts: options.forceConflicts})
  // managedFields are bookkeeping; kubectl hides them from -o yaml/json too.
  const shown = (o: KubeObject): KubeObject => ({...o, metadata: {...o.metadata, managedFields: undefined}})
  return applied.map((a, i) => outcome(objects[i] as KubeObject, a.action, {object: shown(a.object)}))
}

/** What kubectl diff shows: live object against the server's dry-run apply of ours, as YAML lines. */
export async function diffScaffold(kube: KubeClient, objects: KubeObject[], options: {forceConflicts: boolean}): Promise<ObjectOutcome[]> {
  const results: ObjectOutcome[] = []
  for (const object of objects) {
    const ref = {apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name ?? '', namespace: object.metadata.namespace}
    const live = await kube.get(ref)
    const predicted = await kube.apply(object, {fieldManager, dryRun: true, force: options.forceConflicts})
    // Like kubectl diff, never print a Secret's private keys; certificates still show what changes.
    // Compared as Istio reads them: lists whose order it ignores are sorted on both sides.
    const before = live ? yamlText(comparable(printable(withOrderFreeListsSorted(live)))) : ''
    const after = yamlText(comparable(printable(withOrderFreeListsSorted(predicted))))
    const label = `${object.kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`
    const diff = unifiedDiff(before, after, {from: `live ${label}`, to: `scaffold ${label}`})
    results.push(outcome(object, !live ? 'created' : diff ? 'configured' : 'unchanged', {diff}))
  }
  return results
}
