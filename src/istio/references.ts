/** How Istio resolves the names one resource uses for another. */

export interface NamespacedName {
  namespace: string
  name: string
}

/** `mesh` is the sidecars, not a Gateway resource. */
export const meshGateway = 'mesh'

/**
 * A VirtualService's `gateways` entry as Istio resolves it: `ns/name`, or a bare name in the
 * VirtualService's own namespace (not the Gateway's, not istio-system), or the legacy
 * `name.ns.svc.cluster.local`. undefined for `mesh`.
 */
export function resolveGatewayReference(reference: string, virtualServiceNamespace: string): NamespacedName | undefined {
  if (reference === meshGateway) return undefined
  const slash = reference.indexOf('/')
  if (slash >= 0) return {namespace: reference.slice(0, slash), name: reference.slice(slash + 1)}
  const parts = reference.split('.')
  if (parts.length >= 2) return {namespace: parts[1] as string, name: parts[0] as string}
  return {namespace: virtualServiceNamespace, name: reference}
}

/**
 * The Kubernetes Service a destination host names: `svc` and `svc.ns` (short names resolve in
 * the namespace of the resource that wrote them), `svc.ns.svc` and `svc.ns.svc.cluster.local`.
 * undefined for anything else (an external host, a ServiceEntry).
 */
export function serviceRef(host: string, defaultNamespace: string): NamespacedName | undefined {
  const parts = host.split('.')
  if (parts.length === 1) return {name: host, namespace: defaultNamespace}
  const rest = parts.slice(2).join('.')
  if (parts.length === 2 || rest === 'svc' || rest === 'svc.cluster.local') return {name: parts[0] as string, namespace: parts[1] as string}
  return undefined
}

/** The fully qualified name Istio uses for a Service host (clusters are `outbound|port|subset|fqdn`). */
export function serviceFqdn(host: string, defaultNamespace: string): string {
  const ref = serviceRef(host, defaultNamespace)
  return ref ? `${ref.name}.${ref.namespace}.svc.cluster.local` : host
}
