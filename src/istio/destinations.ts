/** Every destination a VirtualService routes to, with where it is written (for messages and patches). */
import type {Destination, VirtualService} from './types.ts'

export interface RouteDestination {
  destination: Destination
  /** JSON pointer into the VirtualService, e.g. /spec/http/0/route/1/destination. */
  pointer: string
  kind: 'route' | 'mirror'
}

export function routeDestinations(vs: VirtualService): RouteDestination[] {
  const found: RouteDestination[] = []
  ;(vs.spec?.http ?? []).forEach((route, i) => {
    ;(route.route ?? []).forEach((r, j) => r.destination && found.push({destination: r.destination, pointer: `/spec/http/${i}/route/${j}/destination`, kind: 'route'}))
    if (route.mirror) found.push({destination: route.mirror, pointer: `/spec/http/${i}/mirror`, kind: 'mirror'})
  })
  for (const section of ['tls', 'tcp'] as const) {
    ;(vs.spec?.[section] ?? []).forEach((route, i) => (route.route ?? []).forEach((r, j) => r.destination && found.push({destination: r.destination, pointer: `/spec/${section}/${i}/route/${j}/destination`, kind: 'route'})))
  }
  return found
}
