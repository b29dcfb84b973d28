import {ExitCode, GwError, isGwError} from '../errors.ts'
import {KubeApiError} from '../kube/api-errors.ts'
import type {KubeClient} from '../kube/client.ts'

/** Envoy's admin port on every Istio proxy (istio-proxy container). */
export const envoyAdminPort = 15000

export interface EnvoyPodRef {
  namespace: string
  name: string
}

export type EnvoyAdminFailure = 'forbidden' | 'unreachable' | 'timeout' | 'http'

/** An admin request to one pod that did not answer with 2xx: a finding for doctor, a retryable error for canary. */
export class EnvoyAdminError extends GwError {
  readonly pod: EnvoyPodRef
  readonly path: string
  readonly reason: EnvoyAdminFailure
  readonly status?: number
  constructor(pod: EnvoyPodRef, path: string, reason: EnvoyAdminFailure, detail: string, options: {status?: number; cause?: unknown; hint?: string} = {}) {
    super(`Envoy admin ${path} on pod ${pod.namespace}/${pod.name}: ${detail}`, ExitCode.cluster, {cause: options.cause, hint: options.hint})
    this.name = 'EnvoyAdminError'
    this.pod = pod
    this.path = path
    this.reason = reason
    this.status = options.status
  }
}

/** The second way in, for clusters where `pods/proxy` is forbidden: a port-forward to the admin port. */
export interface EnvoyPortForward {
  get(pod: EnvoyPodRef, port: number, path: string, timeoutMs: number): Promise<Buffer>
}

export interface EnvoyAdminOptions {
  /** Per-request budget for one pod (ms); default 5 s. */
  timeoutMs?: number
  /** Admin requests in flight at once across all pods; default 4. */
  concurrency?: number
  /** Loaded only when the pod proxy answers 403 (it pulls in @kubernetes/client-node). */
  portForward?: () => Promise<EnvoyPortForward>
}

export interface EnvoyAdminGetOptions {
  timeoutMs?: number
}

/** Bytes from an Envoy admin endpoint of a pod; parsing is someone else's job. */
export interface EnvoyAdmin {
  get(pod: EnvoyPodRef, path: string, options?: EnvoyAdminGetOptions): Promise<Buffer>
  /** How pods were last reached: through the API server's pod proxy or a port-forward. */
  readonly route: 'pod-proxy' | 'port-forward'
}

/** The pod proxy URL kubectl uses: /api/v1/namespaces/NS/pods/POD:15000/proxy/PATH. */
export function podProxyPath(pod: EnvoyPodRef, path: string, port = envoyAdminPort): string {
  const clean = path.replace(/^\/+/, '')
  return `/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/pods/${encodeURIComponent(pod.name)}:${port}/proxy/${clean}`
}

/** A counting semaphore: at most `limit` admin requests in flight, the rest wait their turn in order. */
class Limiter {
  private active = 0
  private readonly waiting: (() => void)[] = []
  private readonly limit: number
  constructor(limit: number) {
    this.limit = limit
  }
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve))
    this.active++
    try {
      return await task()
    } finally {
      this.active--
      this.waiting.shift()?.()
    }
  }
}

function splitQuery(path: string): {path: string; query?: Record<string, string>} {
  const at = path.indexOf('?')
  if (at < 0) return {path}
  return {path: path.slice(0, at), query: Object.fromEntries(new URLSearchParams(path.slice(at + 1)))}
}

function failureOf(error: unknown): {reason: EnvoyAdminFailure; status?: number; detail: string} {
  if (error instanceof KubeApiError) {
    if (error.status === 403) return {reason: 'forbidden', status: 403, detail: error.message}
    // The API server answers 502/503 when it cannot dial the pod; any other status is the admin endpoint's own.
    if (error.status === 502 || error.status === 503) return {reason: 'unreachable', status: error.status, detail: error.message}
    return {reason: 'http', status: error.status, detail: error.message}
  }
  const message = error instanceof Error ? error.message : String(error)
  if (/did not answer within|timeout/i.test(message)) return {reason: 'timeout', detail: message}
  return {reason: 'unreachable', detail: message}
}

/** Envoy admin through the API server's pod proxy, with a lazily loaded port-forward fallback on 403. */
export function createEnvoyAdmin(kube: KubeClient, options: EnvoyAdminOptions = {}): EnvoyAdmin {
  const defaultTimeoutMs = options.timeoutMs ?? 5000
  const limiter = new Limiter(Math.max(1, options.concurrency ?? 4))
  let forwarder: Promise<EnvoyPortForward> | undefined
  let route: EnvoyAdmin['route'] = 'pod-proxy'

  async function viaPortForward(pod: EnvoyPodRef, path: string, timeoutMs: number, proxyError: unknown): Promise<Buffer> {
    const load = options.portForward
    if (!load) {
      const {detail} = failureOf(proxyError)
      throw new EnvoyAdminError(pod, path, 'forbidden', detail, {
        status: 403,
        cause: proxyError,
        hint: `kubectl auth can-i get pods/proxy -n ${pod.namespace}; or kubectl auth can-i create pods/portforward -n ${pod.namespace}`,
      })
    }
    forwarder ??= load()
    route = 'port-forward'
    try {
      return await (await forwarder).get(pod, envoyAdminPort, path, timeoutMs)
    } catch (error) {
      if (error instanceof EnvoyAdminError) throw error
      const {reason, status, detail} = failureOf(error)
      throw new EnvoyAdminError(pod, path, reason, `port-forward: ${detail}`, {status, cause: error})
    }
  }

  return {
    get route() {
      return route
    },
    get(pod, path, getOptions = {}) {
      const timeoutMs = getOptions.timeoutMs ?? defaultTimeoutMs
      return limiter.run(async () => {
        if (route === 'port-forward' && forwarder) return viaPortForward(pod, path, timeoutMs, undefined)
        const {path: adminPath, query} = splitQuery(path)
        try {
          return await kube.getRaw(podProxyPath(pod, adminPath), {verb: 'get', resource: 'pods', subresource: 'proxy', namespace: pod.namespace, name: pod.name}, query, {timeoutMs})
        } catch (error) {
          const failure = failureOf(error)
          if (failure.reason === 'forbidden') return viaPortForward(pod, path, timeoutMs, error)
          if (error instanceof EnvoyAdminError) throw error
          throw new EnvoyAdminError(pod, path, failure.reason, failure.detail, {status: failure.status, cause: error, hint: isGwError(error) ? error.hint : undefined})
        }
      })
    },
  }
}
