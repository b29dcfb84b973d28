import {stableJson} from '../kube/apply.ts'
import type {KubeObject} from '../kube/objects.ts'

/**
 * Lists whose order Istio ignores, per kind: a Gateway's servers and their hosts, the hosts,
 * gateways and exportTo of a VirtualService (its http/tls/tcp routes are first-match: their order
 * counts), a DestinationRule's subsets, a ServiceEntry's hosts and addresses.
 */
const orderFreeSpecLists: Record<string, string[]> = {
  Gateway: ['servers'],
  VirtualService: ['hosts', 'gateways', 'exportTo'],
  DestinationRule: ['subsets', 'exportTo'],
  ServiceEntry: ['hosts', 'addresses', 'exportTo'],
}

const orderFreeServerLists = ['hosts']

function sorted(list: unknown[]): unknown[] {
  return [...list].sort((a, b) => stableJson(a).localeCompare(stableJson(b)))
}

/**
 * The object with the lists whose order Istio ignores sorted, so two objects that configure the
 * mesh alike compare equal (scaffold --diff). Other kinds and lists are returned as they are.
 */
export function withOrderFreeListsSorted(object: KubeObject): KubeObject {
  const lists = object.apiVersion.startsWith('networking.istio.io/') ? orderFreeSpecLists[object.kind] : undefined
  const spec = object.spec as Record<string, unknown> | undefined
  if (!lists || !spec) return object
  const next: Record<string, unknown> = {...spec}
  for (const key of lists) {
    let list = next[key]
    if (!Array.isArray(list)) continue
    if (object.kind === 'Gateway' && key === 'servers') {
      list = list.map((server: Record<string, unknown>) => {
        const copy = {...server}
        for (const inner of orderFreeServerLists) if (Array.isArray(copy[inner])) copy[inner] = sorted(copy[inner] as unknown[])
        return copy
      })
    }
    next[key] = sorted(list as unknown[])
  }
  return {...object, spec: next}
}
