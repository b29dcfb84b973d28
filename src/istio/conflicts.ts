/**
 * Which Gateway servers istiod drops across every Gateway of the cluster: Gateways are taken oldest
 * first, grouped by the workload they select (selector) and port, and each server is judged by the
 * one merge rule, droppedGatewayServer (gateway-server-conflicts.ts), which scaffold's warning uses too.
 */
import {droppedGatewayServer, type DroppedServer, type MergedServer} from './gateway-server-conflicts.ts'
import {labelSelectorString} from './gateway-workload.ts'
import {gatewayHostName} from './hosts.ts'
import type {IstioGateway} from './types.ts'

export type ConflictReason = DroppedServer['reason']

export interface ServerConflict {
  /** The Gateway whose server istiod drops. */
  gateway: {namespace: string; name: string}
  port: number
  protocol: string
  /** Hosts of the dropped server that clash (all of them for a protocol clash). */
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

/**
 * istiod's order (sortConfigByCreationTime): oldest first; creation times are whole seconds, so ties
 * are common and go by name, then namespace, compared byte by byte as Go does (not by locale).
 */
export function byCreation<T extends {metadata: {creationTimestamp?: string; name?: string; namespace?: string}}>(a: T, b: T): number {
  const at = a.metadata.creationTimestamp ?? ''
  const bt = b.metadata.creationTimestamp ?? ''
  if (at !== bt) return at < bt ? -1 : 1
  return compareBytes(a.metadata.name ?? '', b.metadata.name ?? '') || compareBytes(a.metadata.namespace ?? '', b.metadata.namespace ?? '')
}

function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** The servers istiod would drop, given every Istio Gateway (all namespaces). */
export function gatewayServerConflicts(gateways: IstioGateway[]): ServerConflict[] {
  const conflicts: ServerConflict[] = []
  const mergedByWorkload = new Map<string, MergedServer[]>()
  for (const gateway of [...gateways].sort(byCreation)) {
    const key = `${gateway.metadata.namespace ?? ''}/${gateway.metadata.name ?? ''}`
    const selector = labelSelectorString(Object.fromEntries(Object.entries(gateway.spec?.selector ?? {}).sort()))
    const merged = mergedByWorkload.get(selector) ?? []
    mergedByWorkload.set(selector, merged)
    for (const server of gateway.spec?.servers ?? []) {
      const port = server.port?.number
      if (port === undefined) continue
      const candidate: MergedServer = {gateway: key, port, protocol: server.port?.protocol ?? 'HTTP', hosts: server.hosts ?? [], ...(server.tls ? {tls: server.tls} : {})}
      const dropped = droppedGatewayServer(merged, candidate)
      if (!dropped) {
        merged.push(candidate)
        continue
      }
      const [keptNamespace, keptName] = dropped.winner.gateway.split('/') as [string, string]
      conflicts.push({
        gateway: {namespace: gateway.metadata.namespace ?? '', name: gateway.metadata.name ?? ''},
        port,
        protocol: candidate.protocol.toUpperCase(),
        hosts: (dropped.hosts.length ? dropped.hosts : candidate.hosts).map(gatewayHostName),
        keptBy: {namespace: keptNamespace, name: keptName},
        reason: dropped.reason,
        selector,
      })
    }
  }
  return conflicts
}

/** One line for a conflict, in istiod's own words. */
export function conflictText(conflict: ServerConflict): string {
  const kept = `${conflict.keptBy.namespace}/${conflict.keptBy.name}`
  if (conflict.reason === 'duplicate host names') {
    return `port ${conflict.port} ${conflict.protocol} host ${conflict.hosts.join(', ')} is already served with TLS by Gateway ${kept} on the same workload (${conflict.selector}); istiod drops this server (duplicate host names)`
  }
  return `port ${conflict.port} ${conflict.protocol} cannot share the port with Gateway ${kept} on the same workload (${conflict.selector}); istiod drops this server (${conflict.reason})`
}
