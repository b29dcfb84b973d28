import {UsageError} from '../errors.ts'
import type {KubeObject} from '../kube/objects.ts'
import type {SplitKind, Weights} from './model.ts'
import {namesDestination, shortHost, type HeaderRouteWanted, type LocatedRoute, type RouteKey, type RouteWanted, type TrafficRouter} from './router.ts'

/**
 * The routing logic both routers share: an ordered list of routes, each with weighted destinations.
 * A router plugin supplies only how its kind spells routes and destinations (RouteListShape).
 */

export type Json = Record<string, unknown>

export interface Destination {
  host: string
  subset?: string
  weight?: number
}

export interface RouteListShape {
  name: string
  kind: string
  group: string
  /** The route list inside the object (spec.http, spec.rules). */
  routes(object: KubeObject): Json[] | undefined
  destinations(route: Json): Destination[]
  /** Sets each destination's weight (by position). */
  setWeights(route: Json, weights: number[]): void
  /** Appends a destination copied from the one at `from`, renamed to `name`. */
  addDestination(route: Json, from: number, name: string, split: SplitKind): void
  routeName(route: Json): string | undefined
  /** The route sending only header-matching requests to the canary, placed just before `managed`. */
  headerRoute(managed: Json, canaryIndex: number, header: {name: string; value: string}): Json
  isHeaderRoute(route: Json, header: {name: string; value: string}): boolean
  /** What a destination without a weight counts as (Istio: all when alone; Gateway API: 1). */
  implicitWeight(count: number): number
  /** Word for a route in messages ("http route", "rule"). */
  routeWord: string
}

function splitOf(destinations: Destination[]): SplitKind {
  const hosts = new Set(destinations.map((d) => d.host))
  return hosts.size === 1 && destinations.every((d) => d.subset) ? 'subset' : 'host'
}

function nameOf(d: Destination, split: SplitKind): string {
  return split === 'subset' ? (d.subset ?? '') : shortHost(d.host)
}

function weightsOf(shape: RouteListShape, destinations: Destination[]): number[] {
  return destinations.map((d) => d.weight ?? (destinations.length === 1 ? 100 : shape.implicitWeight(destinations.length)))
}

/** Normalised to percent, as users read them. */
function percentWeights(raw: number[], stable: number, canary: number): Weights {
  const total = raw.reduce((s, w) => s + w, 0)
  if (total <= 0) return {stable: 0, canary: 0}
  const canaryPct = Math.round(((raw[canary] ?? 0) * 100) / total)
  return {stable: Math.round(((raw[stable] ?? 0) * 100) / total), canary: canaryPct}
}

export class RouteListRouter implements TrafficRouter {
  readonly name: string
  readonly kind: string
  readonly group: string
  private readonly shape: RouteListShape

  constructor(shape: RouteListShape) {
    this.shape = shape
    this.name = shape.name
    this.kind = shape.kind
    this.group = shape.group
  }

  private describe(routes: Json[]): string {
    return routes
      .map((r, i) => `${this.shape.routeName(r) ?? `#${i + 1}`} -> ${this.shape.destinations(r).map((d) => (d.subset ? `${d.host}/${d.subset}` : d.host)).join(', ') || '(no destinations)'}`)
      .join('; ')
  }

  private managedRoutes(object: KubeObject): Json[] {
    const routes = this.shape.routes(object)
    if (!routes || routes.length === 0) throw new UsageError(`${object.kind} ${object.metadata.name} has no ${this.shape.routeWord}s`, {hint: 'canary works on an HTTP route with weighted destinations'})
    return routes
  }

  locate(object: KubeObject, wanted: RouteWanted): LocatedRoute {
    const routes = this.managedRoutes(object)
    const where = `${object.kind} ${object.metadata.namespace}/${object.metadata.name}`
    let index: number
    if (wanted.route !== undefined) {
      index = routes.findIndex((r) => this.shape.routeName(r) === wanted.route)
      if (index < 0) throw new UsageError(`--route "${wanted.route}" is not a ${this.shape.routeWord} of ${where}`, {hint: `its ${this.shape.routeWord}s: ${this.describe(routes)}`})
    } else {
      const fits = routes
        .map((r, i) => ({i, destinations: this.shape.destinations(r)}))
        .filter(({destinations}) => {
          const split = splitOf(destinations)
          const has = (name: string | undefined) => name === undefined || destinations.some((d) => namesDestination(name, d, split))
          if (wanted.stable !== undefined) return has(wanted.stable) && (wanted.canary === undefined ? destinations.length === 2 : has(wanted.canary) || destinations.length === 1)
          return destinations.length === 2
        })
      // A route carrying both named destinations beats one where the canary would be added.
      const both = fits.filter(({destinations}) => wanted.canary === undefined || destinations.some((d) => namesDestination(wanted.canary!, d, splitOf(destinations))))
      const pool = both.length > 0 ? both : fits
      if (pool.length === 0) {
        const asked = wanted.stable ? `with destinations ${wanted.stable}${wanted.canary ? ` and ${wanted.canary}` : ''}` : 'with two weighted destinations'
        throw new UsageError(`no ${this.shape.routeWord} of ${where} ${asked}`, {hint: `its ${this.shape.routeWord}s: ${this.describe(routes)}; name them with --stable/--canary or --route`})
      }
      if (pool.length > 1) {
        throw new UsageError(`${pool.length} ${this.shape.routeWord}s of ${where} fit: ${pool.map(({i}) => this.shape.routeName(routes[i]!) ?? `#${i + 1}`).join(', ')}`, {hint: 'pick one with --route NAME (give the route a name if it has none)'})
      }
      index = pool[0]!.i
    }
    const route = routes[index]!
    const destinations = this.shape.destinations(route)
    const split = splitOf(destinations)
    const names = destinations.map((d) => nameOf(d, split))
    const pick = (name: string, flag: string) => {
      const i = destinations.findIndex((d) => namesDestination(name, d, split))
      if (i < 0 && flag === '--stable') throw new UsageError(`${flag} "${name}" is not a destination of ${this.shape.routeWord} ${this.shape.routeName(route) ?? `#${index + 1}`}`, {hint: `its destinations: ${names.join(', ')}`})
      return i
    }
    let stableIndex: number
    let canaryIndex: number
    if (wanted.stable !== undefined || wanted.canary !== undefined) {
      stableIndex = wanted.stable !== undefined ? pick(wanted.stable, '--stable') : destinations.findIndex((d) => !namesDestination(wanted.canary!, d, split))
      canaryIndex = wanted.canary !== undefined ? pick(wanted.canary, '--canary') : destinations.findIndex((_, i) => i !== stableIndex)
      if (canaryIndex < 0 && (wanted.canary === undefined || destinations.length !== 1)) {
        throw new UsageError(`--canary ${wanted.canary === undefined ? 'is needed' : `"${wanted.canary}" is not a destination of ${this.shape.routeWord} ${this.shape.routeName(route) ?? `#${index + 1}`}`}`, {hint: `its destinations: ${names.join(', ')}`})
      }
      if (stableIndex < 0) throw new UsageError('--stable is needed', {hint: `the route's destinations: ${names.join(', ')}`})
    } else {
      if (destinations.length !== 2) throw new UsageError(`${this.shape.routeWord} ${this.shape.routeName(route) ?? `#${index + 1}`} has ${destinations.length} destinations`, {hint: `name the two with --stable and --canary (destinations: ${names.join(', ')})`})
      const weights = weightsOf(this.shape, destinations)
      const named = names.indexOf('stable')
      if (named >= 0 && names.includes('canary')) stableIndex = named
      else if (weights[0] !== weights[1]) stableIndex = weights[0]! > weights[1]! ? 0 : 1
      else throw new UsageError(`cannot tell stable from canary in ${this.shape.routeWord} ${this.shape.routeName(route) ?? `#${index + 1}`} (equal weights)`, {hint: `name them: --stable ${names[0]} --canary ${names[1]}`})
      canaryIndex = 1 - stableIndex
    }
    if (stableIndex === canaryIndex) throw new UsageError('--stable and --canary name the same destination', {hint: `the route's destinations: ${names.join(', ')}`})
    const others = destinations.filter((_, i) => i !== stableIndex && i !== canaryIndex)
    if (others.length > 0) {
      throw new UsageError(`${this.shape.routeWord} ${this.shape.routeName(route) ?? `#${index + 1}`} has other destinations (${others.map((d) => nameOf(d, split)).join(', ')})`, {hint: 'canary shifts traffic between exactly two destinations of one route'})
    }
    const added = canaryIndex < 0
    const raw = weightsOf(this.shape, destinations)
    const stableDest = destinations[stableIndex]!
    const canaryName = added ? wanted.canary! : names[canaryIndex]!
    return {
      label: this.shape.routeName(route) ?? `#${index + 1}`,
      name: this.shape.routeName(route),
      stable: names[stableIndex]!,
      canary: canaryName,
      split,
      weights: added ? {stable: 100, canary: 0} : percentWeights(raw, stableIndex, canaryIndex),
      stableHost: stableDest.host,
      canaryHost: added ? (split === 'subset' ? stableDest.host : canaryName) : destinations[canaryIndex]!.host,
      canaryAdded: added,
    }
  }

  /** The managed route's index and its stable/canary destination indexes, found again by name or destinations. */
  private find(object: KubeObject, key: RouteKey, header?: {name: string; value: string}): {routes: Json[]; index: number; stable: number; canary: number} | undefined {
    const routes = this.shape.routes(object) ?? []
    const index = routes.findIndex((r) => {
      if (header && this.shape.isHeaderRoute(r, header)) return false
      if (key.route !== undefined) return this.shape.routeName(r) === key.route
      const ds = this.shape.destinations(r)
      return ds.some((d) => namesDestination(key.stable, d, key.split)) && (ds.length === 1 || ds.some((d) => namesDestination(key.canary, d, key.split)))
    })
    if (index < 0) return undefined
    const ds = this.shape.destinations(routes[index]!)
    return {routes, index, stable: ds.findIndex((d) => namesDestination(key.stable, d, key.split)), canary: ds.findIndex((d) => namesDestination(key.canary, d, key.split))}
  }

  getWeights(object: KubeObject, key: RouteKey): Weights | undefined {
    const found = this.find(object, key)
    if (!found || found.stable < 0) return undefined
    if (found.canary < 0) return {stable: 100, canary: 0}
    return percentWeights(weightsOf(this.shape, this.shape.destinations(found.routes[found.index]!)), found.stable, found.canary)
  }

  setWeights(object: KubeObject, key: RouteKey, weights: Weights, header?: HeaderRouteWanted): KubeObject {
    const next = structuredClone(object)
    const found = this.find(next, key, header)
    if (!found || found.stable < 0) throw new UsageError(`the managed route (${key.route ?? `${key.stable} + ${key.canary}`}) is gone from ${object.kind} ${object.metadata.name}`)
    const {routes} = found
    const managed = routes[found.index]!
    let canary = found.canary
    if (canary < 0) {
      this.shape.addDestination(managed, found.stable, key.canary, key.split)
      canary = this.shape.destinations(managed).length - 1
    }
    this.shape.setWeights(managed, this.shape.destinations(managed).map((_, i) => (i === found.stable ? weights.stable : i === canary ? weights.canary : 0)))
    // The header route sits just before the managed one while the header stage runs, and nowhere otherwise.
    if (header) {
      const headerAt = routes.findIndex((r) => this.shape.isHeaderRoute(r, header))
      if (headerAt >= 0) routes.splice(headerAt, 1)
      if (header.present) routes.splice(routes.indexOf(managed), 0, this.shape.headerRoute(managed, canary, header))
    }
    return next
  }

  verifyWeights(object: KubeObject, key: RouteKey, expected: Weights, headerRoute: boolean, header?: {name: string; value: string}): string | undefined {
    const actual = this.getWeights(object, key)
    const routeText = key.route ?? `${key.stable} + ${key.canary}`
    if (!actual) return `the managed route (${routeText}) is gone`
    if (actual.stable !== expected.stable || actual.canary !== expected.canary) {
      return `route ${routeText} weights are stable ${actual.stable} / canary ${actual.canary}, the run last wrote stable ${expected.stable} / canary ${expected.canary}`
    }
    const hasHeader = header ? (this.shape.routes(object) ?? []).some((r) => this.shape.isHeaderRoute(r, header)) : false
    if (hasHeader !== headerRoute) return `the header route ${header?.name}=${header?.value} was ${hasHeader ? 'added' : 'removed'} by someone else`
    return undefined
  }
}
