/** How a Gateway API HTTPRoute names its parent Gateways and its backends, as Istio reads them. */
import type {Condition, KubernetesHttpRoute} from './types.ts'

type Rule = NonNullable<NonNullable<KubernetesHttpRoute['spec']>['rules']>[number]

export interface RouteParent {
  namespace: string
  name: string
  sectionName?: string
  port?: number
  /** The route's status for this parent: its Accepted condition, when the controller wrote one. */
  accepted?: Condition
}

/** The Gateways a route's parentRefs name (other parent kinds skipped), in the route's namespace unless they say another. */
export function routeParents(route: KubernetesHttpRoute): RouteParent[] {
  const namespace = route.metadata.namespace ?? ''
  return (route.spec?.parentRefs ?? []).flatMap((parent) => {
    if ((parent.kind ?? 'Gateway') !== 'Gateway') return []
    const parentNamespace = parent.namespace ?? namespace
    const status = route.status?.parents?.find((s) => s.parentRef.name === parent.name && (s.parentRef.namespace ?? namespace) === parentNamespace)
    return [{namespace: parentNamespace, name: parent.name, sectionName: parent.sectionName, port: parent.port, accepted: status?.conditions?.find((c) => c.type === 'Accepted')}]
  })
}

export interface ServiceBackend {
  namespace: string
  name: string
  port?: number
  weight?: number
  /** Position in the rule's backendRefs (for JSON pointers). */
  index: number
}

/** A rule's Service backends (other backend kinds skipped), in the route's namespace unless they say another. */
export function serviceBackends(route: KubernetesHttpRoute, rule: Rule): ServiceBackend[] {
  const namespace = route.metadata.namespace ?? ''
  return (rule.backendRefs ?? []).flatMap((b, index) => ((b.kind ?? 'Service') === 'Service' ? [{namespace: b.namespace ?? namespace, name: b.name, port: b.port, weight: b.weight, index}] : []))
}
