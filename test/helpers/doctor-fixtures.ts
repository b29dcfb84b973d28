import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {parseAllDocuments} from 'yaml'
import type {KubeObject} from '../../src/kube/objects.ts'
import {snapshotFromObjects, type SnapshotData, type SnapshotKind} from '../../src/snapshot/snapshot.ts'
import {repoRoot} from './paths.ts'
import {selfSignedCert, type TestCert} from './test-certs.ts'

export const doctorFixtures = path.join(repoRoot, 'test', 'fixtures', 'doctor')

const certs = new Map<string, TestCert>()

/** `{{cert:HOST[:DAYS]}}` and `{{key:HOST[:DAYS]}}` become base64 PEM of a throwaway certificate for HOST. */
function withCertificates(text: string): string {
  return text.replace(/\{\{(cert|key):([^}:]+)(?::(\d+))?\}\}/g, (_, what: string, host: string, days?: string) => {
    const id = `${host}:${days ?? 365}`
    let cert = certs.get(id)
    if (!cert) certs.set(id, (cert = selfSignedCert(host, Number(days ?? 365))))
    return Buffer.from(what === 'cert' ? cert.cert : cert.key).toString('base64')
  })
}

export function readObjects(file: string): KubeObject[] {
  return parseAllDocuments(withCertificates(readFileSync(file, 'utf8')))
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null && typeof o === 'object' && 'kind' in o)
}

const identity = (o: KubeObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`

export interface DoctorCase {
  name: string
  expect: string[]
  objects: KubeObject[]
  snapshot: SnapshotData
}

/** Header lines: `# expect: A, B` (or none), `# remove: Kind/ns/name`, `# now: ISO`, `# absent: Kind`, `# forbidden: Kind`. */
export function loadCase(file: string): DoctorCase {
  const text = readFileSync(file, 'utf8')
  const header = (key: string) => [...text.matchAll(new RegExp(`^# ${key}: (.*)$`, 'gm'))].map((m) => (m[1] as string).trim())
  const expect = (header('expect')[0] ?? 'none').split(',').map((s) => s.trim()).filter((s) => s && s !== 'none')
  const removed = new Set(header('remove'))
  const overrides = readObjects(file)
  const replaced = new Set(overrides.map(identity))
  const objects = [...readObjects(path.join(doctorFixtures, 'base.yaml')).filter((o) => !removed.has(identity(o)) && !replaced.has(identity(o))), ...overrides]
  const now = header('now')[0]
  const snapshot = snapshotFromObjects(objects, {
    now: now ? new Date(now) : new Date(),
    absent: header('absent') as SnapshotKind[],
    forbidden: header('forbidden') as SnapshotKind[],
  })
  return {name: path.basename(file, '.yaml'), expect: expect.sort(), objects, snapshot}
}

export function allCases(): DoctorCase[] {
  const dir = path.join(doctorFixtures, 'cases')
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => loadCase(path.join(dir, f)))
}
