import {RouteListRouter, type Json} from '../../src/canary/route-list.ts'
import type {KubeObject} from '../../src/kube/objects.ts'

/** Istio VirtualService: `spec.http[]` routes, `route[].destination.{host,subset}` with `weight`; subset- and host-level splits. */

/** The header stage's route carries this name, so the run can find and remove it again. */
export const headerRouteName = 'kubectl-gw-canary-header'

const http = (object: KubeObject) => ((object.spec as Json | undefined)?.http as Json[] | undefined)
const destinationsOf = (route: Json) => ((route.route as Json[] | undefined) ?? [])

export const istioVirtualServiceRouter = new RouteListRouter({
  name: 'istio-virtualservice',
  kind: 'VirtualService',
  group: 'networking.istio.io',
  routeWord: 'http route',
  routes: http,
  destinations: (route) =>
    destinationsOf(route).map((d) => {
      const destination = (d.destination as Json | undefined) ?? {}
      return {host: String(destination.host ?? ''), subset: destination.subset === undefined ? undefined : String(destination.subset), weight: typeof d.weight === 'number' ? d.weight : undefined}
    }),
  setWeights: (route, weights) => destinationsOf(route).forEach((d, i) => (d.weight = weights[i] ?? 0)),
  addDestination: (route, from, name, split) => {
    const copy = structuredClone(destinationsOf(route)[from]!)
    const destination = copy.destination as Json
    if (split === 'subset') destination.subset = name
    else destination.host = name
    copy.weight = 0
    destinationsOf(route).push(copy)
  },
  routeName: (route) => (typeof route.name === 'string' ? route.name : undefined),
  headerRoute: (managed, canaryIndex, header) => {
    const {name: _name, match, route: _route, mirror: _mirror, mirrorPercentage: _mirrorPercentage, ...rest} = structuredClone(managed)
    const matches = (match as Json[] | undefined) ?? [{}]
    const canary = structuredClone(destinationsOf(managed)[canaryIndex]!)
    delete canary.weight
    return {name: headerRouteName, match: matches.map((m) => ({...m, headers: {...(m.headers as Json | undefined), [header.name]: {exact: header.value}}})), route: [canary], ...rest}
  },
  isHeaderRoute: (route) => route.name === headerRouteName,
  // Istio rejects several destinations without weights; an absent weight among several counts as none.
  implicitWeight: () => 0,
})
