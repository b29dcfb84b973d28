import type {KubeObject} from '../kube/objects.ts'
import type {SplitKind, Weights} from './model.ts'

/**
 * One traffic-router interface (STYLE.md practice 8): Istio VirtualService and Gateway API HTTPRoute
 * implement it in plugins/traffic-routers. Routers are pure over objects: the driver reads, asks
 * the router for the changed object and writes it in one resourceVersion-guarded update.
 */

/** What the user named, or nothing (then the route is found by its destinations). */
export interface RouteWanted {
  route?: string
  stable?: string
  canary?: string
}

/** The managed route as found: names the canary run uses from then on. */
export interface LocatedRoute {
  /** The route's name, or `#N` (1-based) for an unnamed one: for messages only, never to address it. */
  label: string
  name?: string
  stable: string
  canary: string
  split: SplitKind
  weights: Weights
  /** The destination host (subset split) or the two hosts (host split), as written in the route. */
  stableHost: string
  canaryHost: string
  /** The canary destination was not in the route: the first write adds it at weight 0 + the step. */
  canaryAdded: boolean
}

/** The header stage's route: the header to match, and whether the route should be there. */
export interface HeaderRouteWanted {
  name: string
  value: string
  present: boolean
}

/** How a run addresses its route at every write: by name when it has one, else by its two destinations. */
export interface RouteKey {
  route?: string
  stable: string
  canary: string
  split: SplitKind
}

export interface TrafficRouter {
  /** Registry name, e.g. "istio-virtualservice". */
  readonly name: string
  readonly kind: string
  readonly group: string
  /** Finds the route to manage; a UsageError listing what exists when a name is unknown or the choice is ambiguous. */
  locate(object: KubeObject, wanted: RouteWanted): LocatedRoute
  /** The managed route's weights now; undefined when the route is gone. */
  getWeights(object: KubeObject, key: RouteKey): Weights | undefined
  /** A copy with the managed route's weights set and the header route put in place or removed (header given); nothing else changes. */
  setWeights(object: KubeObject, key: RouteKey, weights: Weights, header?: HeaderRouteWanted): KubeObject
  /** undefined when the object carries what the run last wrote; else what differs, in words. */
  verifyWeights(object: KubeObject, key: RouteKey, expected: Weights, headerRoute: boolean, header?: {name: string; value: string}): string | undefined
}

/** A service host's short name: "reviews.prod.svc.cluster.local" -> "reviews". */
export function shortHost(host: string): string {
  return host.split('.')[0] ?? host
}

/** Whether a user's name picks a destination: the subset, the host, or the host's short name. */
export function namesDestination(name: string, destination: {host: string; subset?: string}, split: SplitKind): boolean {
  if (split === 'subset') return destination.subset === name
  return destination.host === name || shortHost(destination.host) === name
}

export function describeWeights(w: Weights | undefined): string {
  return w ? `stable ${w.stable} / canary ${w.canary}` : 'no managed route'
}
