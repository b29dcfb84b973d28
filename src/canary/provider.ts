import {ExitCode, GwError} from '../errors.ts'
import type {CanarySpec, Measurement, SideSelector} from './model.ts'

/**
 * One metric-provider interface: prometheus and envoy implement it in plugins/metric-providers.
 * A provider measures both sides over a window; "too few samples" is data (counts the gates
 * judge), while an unreachable backend or a bad query is a ProviderError (retried, never a pass).
 */

export interface RenderedQuery {
  name: string
  query: string
}

export interface MetricProvider {
  readonly name: string
  /** Where it reads from, in words ("Prometheus at http://...", "Envoy admin of 2 gateway pods"). */
  readonly source: string
  /** The queries it runs for a window of `windowMs`, rendered (shown by --dry-run). */
  describe(spec: CanarySpec, windowMs: number): RenderedQuery[]
  /** Marks the start of a window (envoy: a counter snapshot; prometheus: nothing to do). */
  beginWindow(from: Date): Promise<void>
  measure(spec: CanarySpec, from: Date, to: Date): Promise<Measurement>
}

export class ProviderError extends GwError {
  constructor(message: string, options: {hint?: string; cause?: unknown} = {}) {
    super(message, ExitCode.cluster, options)
    this.name = 'ProviderError'
  }
}

/** Istio's labels for one side, as the gateway reports it (reporter="source"). */
export function sideLabels(side: SideSelector): Record<string, string> {
  return {
    reporter: 'source',
    destination_service_name: side.service,
    destination_service_namespace: side.namespace,
    ...(side.version !== undefined ? {destination_version: side.version} : {}),
  }
}
