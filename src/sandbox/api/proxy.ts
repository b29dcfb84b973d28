import type {IncomingHttpHeaders} from 'node:http'
import type {PodHttpResponse, SimulatedMesh, StoredObject} from '../mesh-contract.ts'
import {ApiStatusError, notFound} from './status.ts'
import type {ObjectStore} from './store.ts'

export interface ProxyRequest {
  namespace: string
  /** "name", "name:port" or "scheme:name:port" as in the proxy URL. */
  name: string
  rest: string[]
  method: string
  query: URLSearchParams
  headers: IncomingHttpHeaders
  body?: Buffer
}

interface ProxyResponse {
  status: number
  headers: Record<string, string>
  body: Buffer | string
}

/** The 503 a real apiserver returns when the pod's port refuses the connection. */
function refused(namespace: string, pod: string, ip: string, port: number): ApiStatusError {
  return new ApiStatusError(503, 'ServiceUnavailable', `error trying to reach service: dial tcp ${ip}:${port}: connect: connection refused`, {name: pod, kind: 'pods'})
}

function splitTarget(target: string): {name: string; port?: string} {
  const parts = target.split(':')
  if (parts.length === 3) return {name: parts[1]!, port: parts[2] || undefined}
  return {name: parts[0]!, port: parts[1] || undefined}
}

function plainHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const result: Record<string, string> = {}
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined || key === 'authorization' || key === 'host' || key === 'connection') continue
    result[key] = Array.isArray(value) ? value.join(', ') : value
  }
  return result
}

function numericPort(pod: StoredObject, port: string | undefined): number | undefined {
  if (port === undefined) return 80
  if (/^\d+$/.test(port)) return Number(port)
  const containers = ((pod.spec as {containers?: {ports?: {name?: string; containerPort: number}[]}[]})?.containers ?? [])
  return containers.flatMap((c) => c.ports ?? []).find((p) => p.name === port)?.containerPort
}

async function sendToPod(mesh: SimulatedMesh | undefined, pod: StoredObject, port: number, request: ProxyRequest): Promise<ProxyResponse> {
  const namespace = pod.metadata.namespace ?? ''
  const ip = ((pod.status as {podIP?: string} | undefined)?.podIP) ?? '0.0.0.0'
  if (!mesh) throw refused(namespace, pod.metadata.name, ip, port)
  const response: PodHttpResponse | undefined = await mesh.handlePodRequest({
    namespace,
    pod: pod.metadata.name,
    port,
    method: request.method,
    path: `/${request.rest.join('/')}`,
    query: request.query,
    headers: plainHeaders(request.headers),
    body: request.body,
  })
  if (!response) throw refused(namespace, pod.metadata.name, ip, port)
  return response
}

/** /api/v1/namespaces/NS/pods/NAME[:PORT]/proxy/PATH -> the mesh, as the pod would answer. */
export async function proxyToPod(store: ObjectStore, mesh: SimulatedMesh | undefined, request: ProxyRequest): Promise<ProxyResponse> {
  const {name, port} = splitTarget(request.name)
  const pod = store.get('', 'Pod', request.namespace, name)
  if (!pod) throw notFound('pods', '', name)
  const number = numericPort(pod, port)
  if (number === undefined) throw new ApiStatusError(503, 'ServiceUnavailable', `no port named "${port}" on pod ${name}`)
  return sendToPod(mesh, pod, number, request)
}

/** /api/v1/namespaces/NS/services/NAME[:PORT]/proxy/PATH -> a ready endpoint of the service. */
export async function proxyToService(store: ObjectStore, mesh: SimulatedMesh | undefined, request: ProxyRequest): Promise<ProxyResponse> {
  const {name, port} = splitTarget(request.name)
  const service = store.get('', 'Service', request.namespace, name)
  if (!service) throw notFound('services', '', name)
  const servicePorts = ((service.spec as {ports?: {name?: string; port: number}[]})?.ports ?? [])
  const servicePort = port === undefined ? servicePorts[0] : servicePorts.find((p) => p.name === port || String(p.port) === port)
  if (!servicePort) throw new ApiStatusError(503, 'ServiceUnavailable', `no service port "${port}" found for service "${name}"`)
  const endpoints = store.get('', 'Endpoints', request.namespace, name)
  const subsets = ((endpoints as {subsets?: {addresses?: {targetRef?: {name: string}}[]; ports?: {name?: string; port: number}[]}[]} | undefined)?.subsets ?? [])
  for (const subset of subsets) {
    const endpointPort = subset.ports?.find((p) => (p.name ?? '') === (servicePort.name ?? '')) ?? subset.ports?.[0]
    for (const address of subset.addresses ?? []) {
      const pod = address.targetRef ? store.get('', 'Pod', request.namespace, address.targetRef.name) : undefined
      if (pod && endpointPort) return sendToPod(mesh, pod, endpointPort.port, request)
    }
  }
  throw new ApiStatusError(503, 'ServiceUnavailable', `no endpoints available for service "${name}"`)
}
