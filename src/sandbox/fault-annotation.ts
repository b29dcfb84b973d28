/**
 * A workload's simulated misbehaviour, stored as an annotation on its Deployment (written by
 * `kubectl gw sandbox fault` through the normal API) and read by the mesh on its next event.
 */

export const faultAnnotation = 'sandbox.kubectl-gw.io/fault'

export interface WorkloadFault {
  /** Share of requests the workload answers with 500 (0..1). */
  errorRate: number
  /** Added to every response. */
  latencyMs: number
}

/** `{"errorRate":0.3,"latencyMs":800}`; anything unreadable means "no fault" (the command validates on write). */
export function parseFault(annotation: string | undefined): WorkloadFault {
  if (!annotation) return {errorRate: 0, latencyMs: 0}
  try {
    const value = JSON.parse(annotation) as Record<string, unknown>
    const errorRate = typeof value.errorRate === 'number' ? Math.min(1, Math.max(0, value.errorRate)) : 0
    const latencyMs = typeof value.latencyMs === 'number' ? Math.max(0, value.latencyMs) : 0
    return {errorRate, latencyMs}
  } catch {
    return {errorRate: 0, latencyMs: 0}
  }
}

export function formatFault(fault: WorkloadFault): string {
  return JSON.stringify({errorRate: fault.errorRate, latencyMs: fault.latencyMs})
}
