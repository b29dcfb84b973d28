/**
 * Which Gateway servers istiod drops when several Gateways program one workload (pilot/pkg/model
 * gateway.go mergeGateways): Gateways are taken oldest first; on one port, plaintext HTTP servers
 * are merged into one route table (a shared host is not a conflict: its routes are merged); a
 * server whose protocol class differs from the port's first server is dropped; among HTTPS/TLS
 * servers a host already claimed on the port is dropped ("duplicate host names"), as is a second
 * HTTPS server of one Gateway reusing a port name. Keyed by workload selector, port and protocol.
 */
import {labelSelectorString} from './gateway-workload.ts'
import {gatewayHostName} from './hosts.ts'
import type {IstioGateway} from './types.ts'

export type ConflictReason = 'duplicate-hosts' | 'protocol' | 'port-name'

export interface ServerConflict {
  /** The Gateway whose server istiod drops. */
  gateway: {namespace: string; name: string}
  port: number
  protocol: string
  /** Hosts of the dropped server that clash (all of them for a protocol or port-name clash). */
  hosts: string[]
  /** The older Gateway that keeps the port or the hosts. */
  keptBy: {namespace: string; name: string}
  reason: ConflictReason
  selector: string
}

const plaintextProtocols = new Set(['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB', 'TCP', 'MONGO', 'REDIS', 'MYSQL'])
const httpProtocols = new Set(['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB'])

export function isPlaintextProtocol(protocol: string): boolean {
  return plaintextProtocols.has(protocol.toUpperCase())
}

export function isHttpProtocol(protocol: string): boolean {
  return httpProtocols.has(protocol.toUpperCase())
}

/** istiod's order: oldest first, then by name and namespace. */
export function byCreation<T extends {metadata: {creationTimestamp?: string; name?: string; namespace?: string}}>(a: T, b: T): number {
  const at = a.metadata.creationTimestamp ?? ''
  const bt = b.metadata.creationTimestamp ?? ''
  if (at !== bt) return at < bt ? -1 : 1
  return `${a.metadata.name}.${a.metadata.namespace}`.localeCompare(`${b.metadata.name}.${b.metadata.namespace}`)
}

interface Kept {
  gateway: {namespace: string; name: string}
  protocol: string
  portName: string
  plaintext: boolean
  hosts: string[]
}

/** The servers istiod would drop, given every Istio Gateway (all namespaces). */
export function gatewayServerConflicts(gateways: IstioGateway[]): ServerConflict[] {
  const conflicts: ServerConflict[] = []
  const byWorkloadPort = new Map<string, Kept[]>()
  for (const gateway of [...gateways].sort(byCreation)) {
    const ref = {namespace: gateway.metadata.namespace ?? '', name: gateway.metadata.name ?? ''}
    const selector = labelSelectorString(Object.fromEntries(Object.entries(gateway.spec?.selector ?? {}).sort()))
    for (const server of gateway.spec?.servers ?? []) {
      const port = server.port?.number
      if (port === undefined) continue
      const protocol = (server.port?.protocol ?? 'HTTP').toUpperCase()
      const hosts = (server.hosts ?? []).map((h) => `${server.bind ?? ''}|${gatewayHostName(h).toLowerCase()}`)
      const key = `${selector}~${port}`
      const kept = byWorkloadPort.get(key) ?? []
      const candidate: Kept = {gateway: ref, protocol, portName: server.port?.name ?? '', plaintext: isPlaintextProtocol(protocol), hosts}
      const conflict = conflictWith(kept, candidate)
      if (conflict) {
        conflicts.push({gateway: ref, port, protocol, hosts: conflict.hosts.map((h) => h.slice(h.indexOf('|') + 1)), keptBy: conflict.keptBy, reason: conflict.reason, selector})
        continue
      }
      kept.push(candidate)
      byWorkloadPort.set(key, kept)
    }
  }
  return conflicts
}

function conflictWith(kept: Kept[], candidate: Kept): {reason: ConflictReason; hosts: string[]; keptBy: Kept['gateway']} | undefined {
  const clash = kept.find((k) => k.plaintext !== candidate.plaintext || (candidate.plaintext && isHttpProtocol(k.protocol) !== isHttpProtocol(candidate.protocol)))
  if (clash) return {reason: 'protocol', hosts: candidate.hosts, keptBy: clash.gateway}
  if (candidate.plaintext) return undefined
  const samePortName = kept.find((k) => k.gateway.namespace === candidate.gateway.namespace && k.gateway.name === candidate.gateway.name && k.portName === candidate.portName && candidate.protocol === 'HTTPS')
  if (samePortName) return {reason: 'port-name', hosts: candidate.hosts, keptBy: samePortName.gateway}
  for (const k of kept) {
    const shared = candidate.hosts.filter((h) => k.hosts.includes(h))
    if (shared.length > 0) return {reason: 'duplicate-hosts', hosts: shared, keptBy: k.gateway}
  }
  return undefined
}

/** One line for a conflict, in istiod's own words where it has them. */
export function conflictText(conflict: ServerConflict): string {
  const kept = `${conflict.keptBy.namespace}/${conflict.keptBy.name}`
  switch (conflict.reason) {
    case 'duplicate-hosts':
      return `port ${conflict.port} ${conflict.protocol} host ${conflict.hosts.join(', ')} is already served by Gateway ${kept} on the same workload (${conflict.selector}); istiod drops this server (duplicate host names)`
    case 'protocol':
      return `port ${conflict.port} is ${conflict.protocol} here but Gateway ${kept} already uses it with another protocol on the same workload (${conflict.selector}); istiod drops this server`
    case 'port-name':
      return `port ${conflict.port} HTTPS reuses a port name of another HTTPS server of this Gateway; istiod drops it (non unique port name for HTTPS port)`
  }
}
