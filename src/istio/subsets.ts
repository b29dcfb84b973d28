/** Istio's subset rules: which DestinationRule defines a host's subset, and which pods it selects. */
import type {Pod, Service} from '../kube/objects.ts'
import {labelsMatch, serviceSelects} from './gateway-workload.ts'
import {serviceFqdn} from './references.ts'
import type {DestinationRule, Subset} from './types.ts'

/** The DestinationRules for a destination host: the DR host (short names in the DR's namespace) names the same FQDN. */
export function destinationRulesFor(rules: DestinationRule[], host: string, namespace: string): DestinationRule[] {
  const fqdn = serviceFqdn(host, namespace)
  return rules.filter((rule) => rule.spec?.host !== undefined && serviceFqdn(rule.spec.host, rule.metadata.namespace ?? '') === fqdn)
}

/** The subset a route names, or undefined when no DestinationRule for the host defines it. */
export function findSubset(rules: DestinationRule[], host: string, namespace: string, subset: string): {rule: DestinationRule; subset: Subset} | undefined {
  for (const rule of destinationRulesFor(rules, host, namespace)) {
    const found = rule.spec?.subsets?.find((s) => s.name === subset)
    if (found) return {rule, subset: found}
  }
  return undefined
}

/** Pods of a Service that a subset's labels pick (both selectors apply, in the Service's namespace). */
export function subsetPods(service: Service, subset: Subset, pods: Pod[]): Pod[] {
  const namespace = service.metadata.namespace
  return pods.filter((p) => p.metadata.namespace === namespace && serviceSelects(service.spec?.selector, p.metadata.labels) && labelsMatch(subset.labels, p.metadata.labels))
}
