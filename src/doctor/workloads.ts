/** Gateway workloads as doctor sees them: the distinct selectors in use and the Services in front of them. */
import type {Service} from '../kube/objects.ts'
import {labelSelectorString, serviceSelects, type GatewayWorkload} from '../istio/gateway-workload.ts'
import type {IstioGateway} from '../istio/types.ts'

/** Distinct selectors of the Gateways (the default ingress selector when there are none). */
export function workloadSelectors(gateways: IstioGateway[], fallback: Record<string, string>): Record<string, string>[] {
  const selectors = new Map<string, Record<string, string>>()
  for (const gateway of gateways) {
    const selector = gateway.spec?.selector ?? {}
    selectors.set(labelSelectorString(selector), selector)
  }
  if (selectors.size === 0) selectors.set(labelSelectorString(fallback), fallback)
  return [...selectors.values()]
}

/** Services in the workload's namespace whose selector picks its pods. */
export function workloadServices(workload: GatewayWorkload, services: Service[]): Service[] {
  return services.filter((s) => s.metadata.namespace === workload.namespace && serviceSelects(s.spec?.selector, workload.podLabels))
}
