/**
 * `doctor --bundle FILE.tar.gz`: what a bug report needs, in one archive written with tar-stream:
 * the report, every resource read (Secret values removed), and per gateway pod its config_dump
 * (Envoy already redacts private keys there), /clusters and Prometheus stats.
 */
import {createWriteStream} from 'node:fs'
import {pipeline} from 'node:stream/promises'
import {createGzip} from 'node:zlib'
import tar from 'tar-stream'
import type {KubeObject} from '../kube/objects.ts'
import type {SnapshotData} from '../snapshot/snapshot.ts'
import type {DoctorReport} from './doctor.ts'

export const redactedValue = 'REDACTED'

/** A Secret as it may leave the cluster: keys kept, values and any copy of them (last-applied) gone. */
export function withoutSecretData(object: KubeObject): KubeObject {
  if (object.kind !== 'Secret') return object
  const copy = structuredClone(object) as KubeObject & {data?: Record<string, string>; stringData?: unknown}
  if (copy.data) copy.data = Object.fromEntries(Object.keys(copy.data).map((k) => [k, redactedValue]))
  delete copy.stringData
  if (copy.metadata.annotations) delete copy.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']
  return copy
}

export interface BundleEntry {
  name: string
  content: Buffer | string
}

export function bundleEntries(report: DoctorReport, snapshot: SnapshotData): BundleEntry[] {
  const entries: BundleEntry[] = [{name: 'report.json', content: `${JSON.stringify(report, null, 2)}\n`}]
  const kinds = new Map<string, KubeObject[]>()
  for (const object of snapshot.allObjects()) {
    if (!('apiVersion' in object) || !object.metadata) continue
    const kind = object.kind
    kinds.set(kind, [...(kinds.get(kind) ?? []), withoutSecretData(object)])
  }
  for (const [kind, objects] of [...kinds].sort(([a], [b]) => a.localeCompare(b))) {
    entries.push({name: `resources/${kind.toLowerCase()}s.json`, content: `${JSON.stringify({apiVersion: 'v1', kind: 'List', items: objects}, null, 2)}\n`})
  }
  entries.push({name: 'resources/read-status.json', content: `${JSON.stringify(Object.fromEntries(snapshot.states().map(([k, s]) => [k, s.status === 'ok' ? 'ok' : `${s.status}: ${s.reason}`])), null, 2)}\n`})
  if (snapshot.state('GatewayProxy').status === 'ok') {
    for (const proxy of snapshot.items('GatewayProxy')) {
      const dir = `envoy/${proxy.pod.namespace}/${proxy.pod.name}`
      if (proxy.raw.configDump) entries.push({name: `${dir}/config_dump.json`, content: proxy.raw.configDump})
      if (proxy.raw.clusters) entries.push({name: `${dir}/clusters.json`, content: proxy.raw.clusters})
      if (proxy.raw.stats) entries.push({name: `${dir}/stats.prom`, content: proxy.raw.stats})
      if (proxy.unreachable) entries.push({name: `${dir}/unreachable.txt`, content: `${proxy.unreachable.reason}: ${proxy.unreachable.message}\n`})
    }
  }
  return entries
}

/** Writes the entries as a gzip'd tar (mode 0600: it describes the cluster). */
export async function writeBundle(file: string, entries: BundleEntry[], now: Date): Promise<void> {
  const pack = tar.pack()
  const done = pipeline(pack, createGzip(), createWriteStream(file, {mode: 0o600}))
  for (const entry of entries) {
    const content = typeof entry.content === 'string' ? Buffer.from(entry.content) : entry.content
    await new Promise<void>((resolve, reject) => pack.entry({name: `kubectl-gw-doctor/${entry.name}`, size: content.length, mode: 0o600, mtime: now}, content, (error) => (error ? reject(error) : resolve())))
  }
  pack.finalize()
  await done
}
