import type {StoredObject} from '../../mesh-contract.ts'
import {arr, labelsOf, num, obj, str, type MeshPod, type MeshService, type MeshWorld} from '../world.ts'

/**
 * istiod's mergeGateways for one gateway proxy: which Gateway servers it serves, on which
 * container port, and which were dropped. Gateways are visited oldest first, so the first-created
 * one wins a duplicate host on a port (pilot/pkg/model/gateway.go).
 */

export interface GatewayServer {
  gateway: StoredObject
  gatewayKey: string
  /** Gateway port.number (what clients use through the Service). */
  number: number
  /** The container port the listener binds (Service port -> targetPort). */
  targetPort: number
  portName: string
  protocol: string
  hosts: ServerHost[]
  tls: TlsSettings | undefined
  /** Gateway servers[].name (HCM stat prefix for HTTPS servers). */
  name: string | undefined
  /** `https.<number>.<portName>.<gw>.<ns>` or `http.<targetPort>`. */
  routeName: string | undefined
}

export interface ServerHost {
  /** '*' (any), '.' already resolved to the Gateway's namespace, or a namespace. */
  namespace: string
  host: string
}

export interface TlsSettings {
  mode: string
  httpsRedirect: boolean
  credentialName: string | undefined
  minProtocolVersion?: string
  maxProtocolVersion?: string
  cipherSuites?: string[]
  subjectAltNames?: string[]
}

export interface RejectedServer {
  gateway: string
  port: number
  hosts: string[]
  reason: string
}

export interface MergedGateways {
  servers: GatewayServer[]
  rejected: RejectedServer[]
}

/** HTTP-family protocols terminate HTTP at the gateway; TLS/TCP go through tcp_proxy or TLS termination. */
export function isHttpProtocol(protocol: string): boolean {
  return ['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB'].includes(protocol)
}

/** HTTPS, or TLS with SIMPLE/MUTUAL: terminated TLS, then HTTP routing. */
export function terminatesTls(server: Pick<GatewayServer, 'protocol' | 'tls'>): boolean {
  if (server.protocol === 'HTTPS') return server.tls === undefined || !['PASSTHROUGH', 'AUTO_PASSTHROUGH'].includes(server.tls.mode)
  return false
}

function parseHosts(hosts: unknown, gatewayNamespace: string): ServerHost[] {
  return arr(hosts).flatMap((h) => {
    if (typeof h !== 'string') return []
    const slash = h.indexOf('/')
    if (slash < 0) return [{namespace: '*', host: h.toLowerCase()}]
    const ns = h.slice(0, slash)
    return [{namespace: ns === '.' ? gatewayNamespace : ns, host: h.slice(slash + 1).toLowerCase()}]
  })
}

function parseTls(value: unknown): TlsSettings | undefined {
  const tls = obj(value)
  if (Object.keys(tls).length === 0) return undefined
  const names = arr(tls.credentialNames).filter((n): n is string => typeof n === 'string')
  return {
    mode: str(tls.mode) ?? 'SIMPLE',
    httpsRedirect: tls.httpsRedirect === true,
    credentialName: str(tls.credentialName) ?? names[0],
    minProtocolVersion: str(tls.minProtocolVersion),
    maxProtocolVersion: str(tls.maxProtocolVersion),
    cipherSuites: arr(tls.cipherSuites).filter((c): c is string => typeof c === 'string'),
    subjectAltNames: arr(tls.subjectAltNames).filter((c): c is string => typeof c === 'string'),
  }
}

/**
 * resolvePorts: a Gateway port is the gateway Service's port; the listener binds that Service port's
 * targetPort (80 -> 8080 on the demo gateway). A port no selecting Service declares binds as written.
 */
export function resolvePorts(selecting: MeshService[], pod: MeshPod, number: number): number[] {
  const targets = new Set<number>()
  for (const svc of selecting) {
    for (const port of svc.ports) {
      if (port.port !== number) continue
      if (typeof port.targetPort === 'number') targets.add(port.targetPort)
      else {
        const named = pod.containerPorts.find((c) => c.name === port.targetPort)
        if (named) targets.add(named.containerPort)
      }
    }
  }
  return targets.size > 0 ? [...targets].sort((a, b) => a - b) : [number]
}

/** The Gateways whose selector picks this pod (all namespaces; an empty selector picks every gateway). */
export function gatewaysFor(world: MeshWorld, pod: MeshPod): StoredObject[] {
  return world.gateways.filter((gw) => {
    // A Gateway API Gateway applies only to the endpoints of its Service, in its own namespace.
    if (gw.metadata.annotations?.['internal.istio.io/gateway-service'] && gw.metadata.namespace !== pod.namespace) return false
    const selector = labelsOf(obj(gw.spec).selector)
    return Object.entries(selector).every(([k, v]) => pod.labels[k] === v)
  })
}

export function mergeGateways(world: MeshWorld, pod: MeshPod): MergedGateways {
  const servers: GatewayServer[] = []
  const rejected: RejectedServer[] = []
  const selecting = world.servicesSelecting(pod)
  const byPort = new Map<number, PortIndex>()
  for (const gateway of gatewaysFor(world, pod)) {
    const ns = gateway.metadata.namespace ?? 'default'
    const gatewayKey = `${ns}/${gateway.metadata.name}`
    for (const raw of arr(obj(gateway.spec).servers).map(obj)) {
      const port = obj(raw.port)
      const number = num(port.number)
      if (number === undefined) continue
      const protocol = (str(port.protocol) ?? 'HTTP').toUpperCase()
      const portName = str(port.name) ?? ''
      const hosts = parseHosts(raw.hosts, ns)
      const tls = parseTls(raw.tls)
      for (const targetPort of resolvePorts(selecting, pod, number)) {
        const candidate: GatewayServer = {gateway, gatewayKey, number, targetPort, portName, protocol, hosts, tls, name: str(raw.name), routeName: undefined}
        let index = byPort.get(targetPort)
        if (!index) {
          index = {servers: [], tlsHosts: new Set()}
          byPort.set(targetPort, index)
        }
        const reason = conflict(index, candidate)
        if (reason) {
          rejected.push({gateway: gatewayKey, port: number, hosts: hosts.map((h) => h.host), reason})
          continue
        }
        if (isHttpProtocol(protocol)) candidate.routeName = `http.${targetPort}`
        else if (terminatesTls(candidate)) candidate.routeName = `https.${number}.${portName}.${gateway.metadata.name}.${ns}`
        servers.push(candidate)
        index.servers.push(candidate)
      }
    }
  }
  return {servers, rejected}
}

function plaintext(server: GatewayServer): boolean {
  return isHttpProtocol(server.protocol) || server.protocol === 'TCP' || server.protocol === 'MONGO'
}

interface PortIndex {
  servers: GatewayServer[]
  tlsHosts: Set<string>
}

/** Why istiod would skip this server, given the servers already merged on its port (first wins). */
/**
 * Why istiod would skip this server on its port, if it would. As istiod's mergeGateways does: a server
 * with a tls block (an httpsRedirect HTTP server too) first claims its hosts on the port, and a host
 * already claimed there (same namespace/host as written) drops it; its hosts stay claimed even if a
 * later rule drops it. Plaintext HTTP servers sharing a host are merged, never dropped.
 */
function conflict(index: PortIndex, candidate: GatewayServer): string | undefined {
  if (candidate.tls !== undefined) {
    const duplicates = candidate.hosts.filter((h) => index.tlsHosts.has(hostKey(h))).map((h) => h.host)
    if (duplicates.length > 0) return `duplicate host names: ${duplicates.join(', ')}`
    for (const h of candidate.hosts) index.tlsHosts.add(hostKey(h))
  }
  const samePort = index.servers
  if (samePort.length === 0) return undefined
  const candidatePlain = plaintext(candidate)
  const clash = samePort.find((s) => plaintext(s) !== candidatePlain || (candidatePlain && isHttpProtocol(s.protocol) !== isHttpProtocol(candidate.protocol)))
  if (clash) return `conflict with existing server ${clash.number}.${clash.portName} (${clash.protocol}) on gateway ${clash.gatewayKey}`
  if (terminatesTls(candidate) && samePort.some((s) => s.number === candidate.number && s.portName === candidate.portName && s.gatewayKey === candidate.gatewayKey && terminatesTls(s))) {
    return 'non unique port name for HTTPS port'
  }
  return undefined
}

function hostKey(host: ServerHost): string {
  return `${host.namespace}/${host.host}`
}
