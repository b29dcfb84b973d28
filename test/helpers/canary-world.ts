import {readFileSync} from 'node:fs'
import path from 'node:path'
import {createKubeClient} from '../../src/kube/connect.ts'
import type {KubeObject} from '../../src/kube/objects.ts'
import {startMeshSandbox, type MeshTestSandbox} from './sandbox-harness.ts'
import {repoRoot} from './paths.ts'

/**
 * The demo sandbox with app-service behind a Gateway, a DestinationRule (stable / canary subsets) and a
 * VirtualService whose "primary" route splits stable 100 / canary 0 next to a "health" route, with the
 * sandbox's own traffic timer running fast (real time: the CLI under test waits on real clocks).
 */
export const canaryWorldFile = path.join(repoRoot, 'test', 'fixtures', 'canary', 'app-service.yaml')

export async function startCanaryWorld(options: {requestsPerSecond?: number; tickMs?: number} = {}): Promise<MeshTestSandbox> {
  // Every request gets its own latency sample, as Envoy's histograms count each request.
  const harness = await startMeshSandbox({tickMs: options.tickMs ?? 100, requestsPerSecond: options.requestsPerSecond ?? 2500, latencySamples: 512})
  const {parseAllDocuments} = await import('yaml')
  const kube = createKubeClient({selection: {kubeconfig: harness.kubeconfig, env: {}}, requestTimeoutMs: 0})
  try {
    for (const doc of parseAllDocuments(readFileSync(canaryWorldFile, 'utf8'))) await kube.apply(doc.toJS() as KubeObject, {fieldManager: 'test'})
  } finally {
    kube.close()
  }
  harness.mesh.start()
  return harness
}
