import type {KubeClient} from '../kube/client.ts'
import {UsageError} from '../errors.ts'
import {faultAnnotation, formatFault, type WorkloadFault} from '../sandbox/fault-annotation.ts'

/** The tool's side of `kubectl gw sandbox fault`: validate the flags, write the annotation with one merge patch. */

/** --error-rate as a share: "0.3" or "30%". */
export function parseErrorRate(value: string): number {
  const text = value.trim()
  const percent = text.endsWith('%')
  const n = Number(percent ? text.slice(0, -1) : text)
  const rate = percent ? n / 100 : n
  if (text === '' || !Number.isFinite(rate) || rate < 0 || rate > 1) {
    throw new UsageError(`invalid --error-rate "${value}"`, {hint: 'give a share between 0 and 1 (0.3) or a percentage (30%)'})
  }
  return rate
}

export interface FaultResult {
  namespace: string
  workload: string
  errorRate: number
  latencyMs: number
  cleared: boolean
}

/** Sets (or clears, with fault undefined) the fault of Deployment `workload`; one merge patch. */
export async function setWorkloadFault(kube: KubeClient, namespace: string, workload: string, fault: WorkloadFault | undefined): Promise<FaultResult> {
  // Only the sandbox reads the annotation: on a real cluster it would be a silent no-op, so refuse.
  const version = await kube.serverVersion()
  if (!version.gitVersion.endsWith('-gw-sandbox')) {
    throw new UsageError(`the cluster is not a kubectl-gw sandbox (server ${version.gitVersion}); sandbox fault only works there`, {hint: 'point --kubeconfig/--context at the sandbox (kubectl gw sandbox status shows its kubeconfig)'})
  }
  const ref = {apiVersion: 'apps/v1', kind: 'Deployment', namespace, name: workload}
  const existing = await kube.get(ref)
  if (!existing) {
    throw new UsageError(`deployment "${workload}" not found in namespace "${namespace}"`, {hint: 'name a Deployment (kubectl get deployments -n NAMESPACE), or pass -n'})
  }
  await kube.patch(ref, {metadata: {annotations: {[faultAnnotation]: fault ? formatFault(fault) : null}}}, 'merge')
  return {namespace, workload, errorRate: fault?.errorRate ?? 0, latencyMs: fault?.latencyMs ?? 0, cleared: fault === undefined}
}
