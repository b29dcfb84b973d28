import {UsageError} from '../errors.ts'
import type {SpecPath, DestinationSpec, RouteSpec, ScaffoldSpec, TlsChoice} from './spec.ts'
import {parseDestinationText} from './shorthand.ts'

/** The scaffold flags, as the command hands them over (already split, not yet interpreted). */
export interface ScaffoldFlags {
  hosts: string[]
  service?: string
  routes: string[]
  tls?: TlsChoice
  credential?: string
  generateCert?: boolean
  httpsRedirect?: boolean
  subsets?: string
  weights?: string
  timeout?: string
  retries?: number
  perTryTimeout?: string
  retryOn?: string
  lb?: string
  rateLimit?: string
  hpa?: string
  pdb?: string
  /** The user means --hpa, --pdb or --rate-limit to change the shared gateway workload as a whole. */
  gatewayWide?: boolean
  selector: string[]
  api?: 'istio' | 'gateway-api'
  egress?: string
}

export interface FlagSpec {
  spec: ScaffoldSpec
  /** Which flag each part of the spec came from, for error messages. */
  origins: {path: SpecPath; flag: string}[]
}

/** `a=1,b=2` -> {a: "1", b: "2"}; a value without "=" is a usage error naming the flag. */
export function parseKeyValues(text: string, flag: string, example: string): Record<string, string> {
  const result: Record<string, string> = {}
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=')
    if (eq <= 0) throw new UsageError(`${flag} ${text}: "${part}" is not KEY=VALUE`, {hint: `write it like ${flag} ${example}`})
    result[part.slice(0, eq).trim()] = part.slice(eq + 1).trim()
  }
  return result
}

function integer(value: string | undefined, flag: string, key: string, example: string): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag}: ${key}=${value} is not a whole number`, {hint: `write it like ${flag} ${example}`})
  return Number(value)
}

function onlyKeys(values: Record<string, string>, allowed: string[], flag: string, example: string): void {
  const unknown = Object.keys(values).filter((k) => !allowed.includes(k))
  if (unknown.length) throw new UsageError(`${flag}: unknown key ${unknown.map((k) => `"${k}"`).join(', ')}`, {hint: `known keys: ${allowed.join(', ')}; e.g. ${flag} ${example}`})
}

/** `--route MATCH=SVC[:PORT]`: the last "=" splits, so regexes and header values may hold "=". */
export function parseRouteFlag(text: string): RouteSpec {
  const eq = text.lastIndexOf('=')
  if (eq <= 0 || eq === text.length - 1) {
    throw new UsageError(`--route ${text}: expected MATCH=SERVICE[:PORT]`, {hint: 'e.g. --route /api=api-service:8080, --route exact:/health=health:8080'})
  }
  return {match: text.slice(0, eq), to: text.slice(eq + 1)}
}

function defaultRoute(flags: ScaffoldFlags): {route: RouteSpec; origins: {path: SpecPath; flag: string}[]} | undefined {
  if (!flags.service) {
    if (flags.subsets || flags.weights) throw new UsageError('--subsets and --weights split the default route: they need --service', {hint: 'add --service SVC[:PORT]'})
    return undefined
  }
  const target = parseDestinationText(flags.service)
  if (!flags.subsets) {
    if (flags.weights) throw new UsageError('--weights needs --subsets', {hint: 'e.g. --subsets v1,v2 --weights v1=90,v2=10'})
    return {route: {to: flags.service}, origins: []}
  }
  const subsets = flags.subsets.split(',').map((s) => s.trim()).filter(Boolean)
  const weights = flags.weights ? parseKeyValues(flags.weights, '--weights', 'v1=90,v2=10') : {}
  const unknown = Object.keys(weights).filter((k) => !subsets.includes(k))
  if (unknown.length) throw new UsageError(`--weights names ${unknown.join(', ')}, which --subsets ${flags.subsets} does not list`, {hint: 'give one weight per subset'})
  const unweighted = flags.weights ? subsets.filter((s) => !(s in weights)) : []
  if (unweighted.length) {
    throw new UsageError(`--weights ${flags.weights} gives no weight to subset ${unweighted.join(', ')} of --subsets ${flags.subsets}`, {hint: `give every subset its percentage, summing to 100, e.g. --weights ${subsets.map((s, i) => `${s}=${i === 0 ? 100 - 10 * (subsets.length - 1) : 10}`).join(',')}`})
  }
  const to: DestinationSpec[] = subsets.map((subset, i) => {
    // Without --weights the first subset takes all traffic; the others exist for a later canary.
    const weight = flags.weights ? (integer(weights[subset], '--weights', subset, 'v1=90,v2=10') as number) : i === 0 ? 100 : 0
    return {...target, subset, weight}
  })
  return {route: {to: subsets.length === 1 ? [{...target, subset: subsets[0] as string}] : to}, origins: [{path: ['to'], flag: flags.weights ? '--weights' : '--subsets'}]}
}

/** Objects that act on the shared gateway workload (every Gateway on it) are made only when --gateway-wide says so. */
function checkGatewayWide(flags: ScaffoldFlags): void {
  const hint = 'pass --gateway-wide to mean it, or leave it to whoever runs the gateway'
  for (const [flag, value] of [['--hpa', flags.hpa], ['--pdb', flags.pdb]] as const) {
    if (value && !flags.gatewayWide) throw new UsageError(`${flag} changes the shared gateway workload, for every Gateway on it, not only this application`, {hint})
  }
  if (flags.rateLimit && flags.hosts.length === 0 && !flags.gatewayWide) {
    throw new UsageError('--rate-limit without --host limits every host of the shared gateway', {hint: `add --host to limit only this application's hosts, or ${hint}`})
  }
  if (flags.gatewayWide && !flags.hpa && !flags.pdb && !flags.rateLimit) throw new UsageError('--gateway-wide goes with --hpa, --pdb or --rate-limit', {hint: 'drop it, or add one of them'})
}

/** Turns the scaffold flags into the one spec shape `-f` files also use. */
export function flagsToSpec(name: string, flags: ScaffoldFlags): FlagSpec {
  const origins: {path: SpecPath; flag: string}[] = [{path: ['name'], flag: 'NAME'}]
  const spec: ScaffoldSpec = {name, api: flags.api}
  const selector = flags.selector.length ? parseKeyValues(flags.selector.join(','), '--selector', 'istio=ingressgateway') : undefined
  if (flags.egress) {
    if (flags.tls === 'mutual') throw new UsageError('--egress takes --tls none, passthrough or simple (TLS origination at the egress gateway)')
    spec.egress = {host: flags.egress, tls: flags.tls === 'passthrough' ? 'passthrough' : flags.tls === 'simple' ? 'originate' : 'none', selector}
    origins.push({path: ['egress'], flag: '--egress'}, {path: ['egress', 'tls'], flag: '--tls'})
  }
  if (flags.generateCert) {
    // Checked here, before the cluster is asked: a flag combination that cannot work is a usage error.
    if (flags.hosts.length === 0) throw new UsageError('--generate-cert issues the ingress Gateway\'s certificate: it needs --host', {hint: 'e.g. --host app.example.com --tls simple --generate-cert'})
    if (flags.tls !== 'simple' && flags.tls !== 'mutual') {
      throw new UsageError(`--generate-cert needs --tls simple or --tls mutual (got --tls ${flags.tls ?? 'none'}): only a terminating gateway uses a certificate`, {hint: 'pass --tls simple (or mutual), or drop --generate-cert'})
    }
  }
  if (flags.hosts.length > 0 || !flags.egress) {
    spec.gateway = {hosts: flags.hosts, tls: flags.tls, credential: flags.credential, generateCert: flags.generateCert || undefined, httpsRedirect: flags.httpsRedirect || undefined, selector: flags.egress ? undefined : selector}
    origins.push(
      {path: ['gateway'], flag: '--host'},
      {path: ['gateway', 'tls'], flag: '--tls'},
      {path: ['gateway', 'credential'], flag: '--credential'},
      {path: ['gateway', 'generateCert'], flag: '--generate-cert'},
      {path: ['gateway', 'httpsRedirect'], flag: '--https-redirect'},
      {path: ['gateway', 'selector'], flag: '--selector'},
    )
    flags.hosts.forEach((host, i) => origins.push({path: ['gateway', 'hosts', i], flag: `--host ${host}`}))
  }
  const routes: RouteSpec[] = flags.routes.map(parseRouteFlag)
  flags.routes.forEach((text, i) => origins.push({path: ['virtualServices', 0, 'routes', i], flag: `--route ${text}`}))
  const fallback = defaultRoute(flags)
  if (fallback) {
    const index = routes.length
    routes.push(fallback.route)
    origins.push({path: ['virtualServices', 0, 'routes', index], flag: `--service ${flags.service}`})
    for (const o of fallback.origins) origins.push({path: ['virtualServices', 0, 'routes', index, ...o.path], flag: o.flag})
  }
  if (flags.timeout !== undefined || flags.retries !== undefined) {
    routes.forEach((route, i) => {
      if (flags.timeout !== undefined) route.timeout = flags.timeout
      if (flags.retries !== undefined) route.retries = {attempts: flags.retries, perTryTimeout: flags.perTryTimeout, retryOn: flags.retryOn}
      origins.push({path: ['virtualServices', 0, 'routes', i, 'timeout'], flag: '--timeout'}, {path: ['virtualServices', 0, 'routes', i, 'retries'], flag: '--retries'})
      origins.push({path: ['virtualServices', 0, 'routes', i, 'retries', 'perTryTimeout'], flag: '--per-try-timeout'})
    })
  } else if (flags.perTryTimeout || flags.retryOn) {
    throw new UsageError('--per-try-timeout and --retry-on need --retries', {hint: 'e.g. --retries 3 --per-try-timeout 10s'})
  }
  if (routes.length > 0) spec.virtualServices = [{routes}]
  if (flags.lb) {
    if (!flags.service) throw new UsageError('--lb sets the load balancer of the --service destination: it needs --service')
    spec.destinationRules = [{host: parseDestinationText(flags.service).service, loadBalancer: flags.lb as never}]
    origins.push({path: ['destinationRules', 0], flag: '--lb'})
  }
  if (flags.rateLimit) {
    if (!/^[1-9]\d*\/(s|m|h)$/.test(flags.rateLimit)) throw new UsageError(`--rate-limit ${flags.rateLimit}: expected COUNT/UNIT with a COUNT of at least 1`, {hint: 'e.g. --rate-limit 100/s or 6000/m'})
    spec.rateLimit = {requests: flags.rateLimit, ...(flags.gatewayWide ? {scope: 'gateway' as const} : {})}
    origins.push({path: ['rateLimit'], flag: '--rate-limit'})
  }
  if (flags.hpa) {
    const values = parseKeyValues(flags.hpa, '--hpa', 'min=2,max=10,cpu=70')
    onlyKeys(values, ['min', 'max', 'cpu'], '--hpa', 'min=2,max=10,cpu=70')
    spec.hpa = {
      min: integer(values.min, '--hpa', 'min', 'min=2,max=10,cpu=70') ?? 2,
      max: integer(values.max, '--hpa', 'max', 'min=2,max=10,cpu=70') ?? 10,
      cpu: integer(values.cpu, '--hpa', 'cpu', 'min=2,max=10,cpu=70') ?? 80,
    }
    origins.push({path: ['hpa'], flag: '--hpa'})
  }
  if (flags.pdb) {
    const values = parseKeyValues(flags.pdb, '--pdb', 'min-available=1')
    onlyKeys(values, ['min-available', 'max-unavailable'], '--pdb', 'min-available=1')
    const amount = (v: string | undefined) => (v === undefined ? undefined : /^\d+$/.test(v) ? Number(v) : v)
    spec.pdb = {minAvailable: amount(values['min-available']), maxUnavailable: amount(values['max-unavailable'])}
    origins.push({path: ['pdb'], flag: '--pdb'})
  }
  checkGatewayWide(flags)
  return {spec, origins}
}
