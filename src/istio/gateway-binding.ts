import type {KubeObject} from '../kube/objects.ts'

/**
 * Whether a VirtualService binds to a Gateway: one of its `gateways` names it as `name` (the
 * VirtualService's own namespace) or `namespace/name`. `mesh` and other Gateways do not count.
 */
export function virtualServiceBindsGateway(virtualService: KubeObject, gateway: {namespace: string; name: string}): boolean {
  const own = virtualService.metadata.namespace ?? 'default'
  const gateways = (virtualService.spec as {gateways?: string[]} | undefined)?.gateways ?? []
  return gateways.some((ref) => {
    const slash = ref.indexOf('/')
    const [namespace, name] = slash < 0 ? [own, ref] : [ref.slice(0, slash), ref.slice(slash + 1)]
    return namespace === gateway.namespace && name === gateway.name
  })
}
