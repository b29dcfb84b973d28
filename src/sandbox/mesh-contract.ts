import type {Duplex} from 'node:stream'

/**
 * The seam between the sandbox's simulated Kubernetes API server and its simulated Istio mesh
 * (istiod + gateway Envoys + traffic). The API server stores objects and forwards HTTP aimed at
 * pods (pod proxy, port-forward); the mesh reads objects and answers as the pods would.
 *
 * Both sides are the sandbox's own: neither may import kubectl-gw's scaffold, doctor or canary
 * logic, so that the tool and its test bed can disagree.
 */

/** A stored object as the API server holds it (plain JSON). */
export interface StoredObject {
  apiVersion: string
  kind: string
  metadata: {
    name: string
    namespace?: string
    uid: string
    resourceVersion: string
    creationTimestamp: string
    labels?: Record<string, string>
    annotations?: Record<string, string>
    [key: string]: unknown
  }
  [key: string]: unknown
}

export interface StoreEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED'
  object: StoredObject
}

/** Read-only view of the API server's store. `group` is "" for core; kind as in the object. */
export interface ClusterStateView {
  list(group: string, kind: string, namespace?: string): StoredObject[]
  get(group: string, kind: string, namespace: string | undefined, name: string): StoredObject | undefined
  /** Called synchronously after every committed write. Returns an unsubscribe function. */
  subscribe(listener: (event: StoreEvent) => void): () => void
  /** The Istio version the sandbox simulates (--istio-version), e.g. "1.28". */
  readonly istioVersion: string
}

/** An HTTP request addressed to a pod's port (from the pod proxy or a port-forward stream). */
export interface PodHttpRequest {
  namespace: string
  pod: string
  port: number
  method: string
  /** Path without query, starting with "/". */
  path: string
  query: URLSearchParams
  headers: Record<string, string>
  body?: Buffer
}

export interface PodHttpResponse {
  status: number
  headers: Record<string, string>
  body: Buffer | string
}

/** The simulated mesh plugged into the API server. */
export interface SimulatedMesh {
  /** Answers HTTP sent to a pod port; undefined means nothing listens there (connection refused). */
  handlePodRequest(request: PodHttpRequest): Promise<PodHttpResponse | undefined>
  /**
   * Takes a raw connection to a pod port (a port-forward stream): the gateway's listeners speak real
   * HTTP and TLS on it. False when no listener is there (the caller falls back to handlePodRequest).
   */
  connectPod?(namespace: string, pod: string, port: number, socket: Duplex): boolean
  /** A container's log (a gateway's Envoy access log); undefined when the mesh simulates none. */
  podLogs?(namespace: string, pod: string, container: string): string | undefined
  /** Prometheus text exposition of every simulated series (the sandbox's scrape endpoint). */
  scrape(): string
  /** Starts the traffic loop. */
  start(): void
  stop(): void
}

export type MeshFactory = (state: ClusterStateView) => SimulatedMesh
