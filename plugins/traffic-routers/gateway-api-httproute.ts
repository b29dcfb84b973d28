import {RouteListRouter, type Json} from '../../src/canary/route-list.ts'
import type {KubeObject} from '../../src/kube/objects.ts'

/** Gateway API HTTPRoute: `spec.rules[]`, `backendRefs[].{name,weight}` (weight defaults to 1); host-level splits. */

const rules = (object: KubeObject) => ((object.spec as Json | undefined)?.rules as Json[] | undefined)
const backendRefs = (rule: Json) => ((rule.backendRefs as Json[] | undefined) ?? [])

function headerMatches(match: Json, header: {name: string; value: string}): boolean {
  return ((match.headers as Json[] | undefined) ?? []).some((h) => h.name === header.name && h.value === header.value && (h.type ?? 'Exact') === 'Exact')
}

export const gatewayApiHttpRouteRouter = new RouteListRouter({
  name: 'gateway-api-httproute',
  kind: 'HTTPRoute',
  group: 'gateway.networking.k8s.io',
  routeWord: 'rule',
  routes: rules,
  destinations: (rule) => backendRefs(rule).map((ref) => ({host: String(ref.name ?? ''), weight: typeof ref.weight === 'number' ? ref.weight : undefined})),
  setWeights: (rule, weights) => backendRefs(rule).forEach((ref, i) => (ref.weight = weights[i] ?? 0)),
  addDestination: (rule, from, name) => {
    backendRefs(rule).push({...structuredClone(backendRefs(rule)[from]!), name, weight: 0})
  },
  routeName: (rule) => (typeof rule.name === 'string' ? rule.name : undefined),
  // A rule with the same matches plus the header is more specific, so Gateway API ranks it first wherever it sits.
  headerRoute: (managed, canaryIndex, header) => {
    const {name: _name, matches, backendRefs: _refs, ...rest} = structuredClone(managed)
    const list = (matches as Json[] | undefined) ?? [{path: {type: 'PathPrefix', value: '/'}}]
    return {matches: list.map((m) => ({...m, headers: [...((m.headers as Json[] | undefined) ?? []), {type: 'Exact', name: header.name, value: header.value}]})), backendRefs: [{...structuredClone(backendRefs(managed)[canaryIndex]!), weight: 1}], ...rest}
  },
  isHeaderRoute: (rule, header) => backendRefs(rule).length === 1 && ((rule.matches as Json[] | undefined) ?? []).length > 0 && ((rule.matches as Json[]) ?? []).every((m) => headerMatches(m, header)),
  implicitWeight: () => 1,
})
