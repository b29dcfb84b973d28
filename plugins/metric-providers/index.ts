import type {CanarySpec} from '../../src/canary/model.ts'
import {gatewayPodsFor} from '../../src/canary/plan.ts'
import type {MetricProvider} from '../../src/canary/provider.ts'
import type {GwContext} from '../../src/context.ts'
import type {KubeObject} from '../../src/kube/objects.ts'
import {createEnvoyProvider} from './envoy.ts'
import {createPrometheusProvider} from './prometheus.ts'

/** Every metric provider, one entry each; a new one is one file implementing MetricProvider (src/canary/provider.ts). */
export const metricProviders: Record<string, (ctx: GwContext, spec: CanarySpec, route: KubeObject) => Promise<MetricProvider & {check?(): Promise<void>}>> = {
  envoy: async (ctx, spec, route) => createEnvoyProvider(ctx, await gatewayPodsFor(ctx, route), spec.sides),
  prometheus: async (ctx, spec) => {
    const endpoint = spec.prometheusUrl ? {url: spec.prometheusUrl} : spec.prometheusService ? {service: spec.prometheusService} : undefined
    if (!endpoint) throw new Error('prometheus provider without an endpoint')
    return createPrometheusProvider(ctx, endpoint)
  },
}
