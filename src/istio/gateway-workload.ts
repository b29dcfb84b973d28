import type {KubeClient} from '../kube/client.ts'
import type {Pod} from '../kube/objects.ts'

/** The pods an Istio Gateway's `spec.selector` picks, and where they live. */
export interface GatewayWorkload {
  /** Namespace of the selected pods: where credential secrets must be (Istio reads them there only). */
  namespace: string
  selector: Record<string, string>
  /** Labels of the first selected pod. */
  podLabels: Record<string, string>
  pods: {namespace: string; name: string; ready: boolean; podIP?: string}[]
  /** Namespaces other than `namespace` that also hold selected pods (ambiguous installs). */
  otherNamespaces: string[]
}

export const defaultIngressSelector: Record<string, string> = {istio: 'ingressgateway'}
export const defaultIngressNamespace = 'istio-system'

export function labelSelectorString(selector: Record<string, string>): string {
  return Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',')
}

export function podIsReady(pod: Pod): boolean {
  return pod.status?.phase === 'Running' && (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
}

/**
 * Finds the gateway workload the way istiod and `istioctl analyze` do: the pods matching the
 * selector across all namespaces; the namespace of the first one is where credentials are read.
 * Pods in istio-system win a tie, as they do in a default install.
 */
export async function findGatewayWorkload(kube: KubeClient, selector: Record<string, string> = defaultIngressSelector): Promise<GatewayWorkload | undefined> {
  return gatewayWorkloadOf(selector, await kube.list<Pod>('v1', 'Pod', {labelSelector: labelSelectorString(selector)}))
}

/** Equality-based label selection: every pair present (an empty selector picks everything, as in a Gateway). */
export function labelsMatch(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v)
}

/** A Service's selector: one without any label selects no pods (its endpoints are managed by hand). */
export function serviceSelects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  return Object.keys(selector ?? {}).length > 0 && labelsMatch(selector, labels)
}

/** The gateway workload among `pods` (any namespaces): the pods the selector picks, ordered as istiod would see them. */
export function gatewayWorkloadOf(selector: Record<string, string>, allPods: Pod[]): GatewayWorkload | undefined {
  const pods = allPods.filter((p) => labelsMatch(selector, p.metadata.labels))
  if (pods.length === 0) return undefined
  const sorted = [...pods].sort((a, b) => {
    const aSys = a.metadata.namespace === defaultIngressNamespace ? 0 : 1
    const bSys = b.metadata.namespace === defaultIngressNamespace ? 0 : 1
    return aSys - bSys || String(a.metadata.namespace).localeCompare(String(b.metadata.namespace)) || String(a.metadata.name).localeCompare(String(b.metadata.name))
  })
  const first = sorted[0] as Pod
  const namespace = first.metadata.namespace ?? 'default'
  return {
    namespace,
    selector,
    podLabels: first.metadata.labels ?? {},
    pods: sorted
      .filter((p) => p.metadata.namespace === namespace)
      .map((p) => ({namespace, name: p.metadata.name ?? '', ready: podIsReady(p), podIP: p.status?.podIP})),
    otherNamespaces: [...new Set(sorted.map((p) => p.metadata.namespace ?? '').filter((ns) => ns !== namespace))],
  }
}

/**
 * gatewayWorkloadOf over one pod list for many selectors: each distinct selector is looked up once
 * (a thousand Gateways usually share one or two selectors).
 */
export function gatewayWorkloadFinder(pods: Pod[]): (selector: Record<string, string>) => GatewayWorkload | undefined {
  const found = new Map<string, GatewayWorkload | undefined>()
  return (selector) => {
    const key = JSON.stringify(Object.entries(selector).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    if (!found.has(key)) found.set(key, gatewayWorkloadOf(selector, pods))
    return found.get(key)
  }
}
