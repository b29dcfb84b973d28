/**
 * Which Gateway servers istiod drops when several Gateways select one gateway workload
 * (pilot/pkg/model/gateway.go mergeGateways): Gateways are merged oldest first, and a server is
 * skipped when
 *  - it has TLS settings (HTTPS, TLS, or an HTTP redirect) and names a host, exactly as written,
 *    that an earlier server with TLS settings on the same port already names (duplicate host names:
 *    Envoy would get two identical SNI filter chain matches); or
 *  - its port is taken by an earlier plain-text server and the two are not both HTTP-family; or
 *  - its port is taken by TLS servers and it has no TLS settings.
 * Plain HTTP servers on one port are merged whatever their hosts: a wildcard `*` HTTP Gateway
 * drops nothing. (Gateway `bind` addresses, which split listeners, are not modelled.)
 */

export interface MergedServer {
  /** `namespace/name` of its Gateway. */
  gateway: string
  port: number
  protocol: string
  /** As written; `./host` and `*\/host` are read as istiod reads them. */
  hosts: string[]
  tls?: object
}

export interface DroppedServer {
  /** The earlier server that wins. */
  winner: MergedServer
  reason: 'duplicate host names' | 'protocol conflict on the port' | 'plain-text server on a TLS port'
  /** For duplicate host names: the hosts both name. */
  hosts: string[]
}

const httpProtocols = new Set(['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB', 'HTTP_PROXY'])
const isHttp = (protocol: string) => httpProtocols.has(protocol.toUpperCase())
/** istiod's IsTLSServer: TLS settings on a non-HTTP protocol. */
const isTlsServer = (server: MergedServer) => server.tls !== undefined && !isHttp(server.protocol)

function sanitizedHosts(server: MergedServer): string[] {
  const namespace = server.gateway.split('/')[0]
  return server.hosts.map((host) => (host.startsWith('./') ? `${namespace}/${host.slice(2)}` : host.startsWith('*/') ? host.slice(2) : host))
}

/** Why istiod skips `candidate` given the servers already merged before it (oldest Gateway first); undefined when it is served. */
export function droppedGatewayServer(merged: MergedServer[], candidate: MergedServer): DroppedServer | undefined {
  const samePort = merged.filter((s) => s.port === candidate.port)
  if (candidate.tls !== undefined) {
    const ours = sanitizedHosts(candidate)
    for (const earlier of samePort.filter((s) => s.tls !== undefined)) {
      const duplicates = sanitizedHosts(earlier).filter((h) => ours.includes(h))
      if (duplicates.length) return {winner: earlier, reason: 'duplicate host names', hosts: duplicates}
    }
  }
  const first = samePort[0]
  if (!first) return undefined
  if (!isTlsServer(first)) {
    // canMergeProtocols: both HTTP-family (HTTP with HTTP2 merges too); anything else on a plain-text port clashes.
    const sameProtocol = first.protocol.toUpperCase() === candidate.protocol.toUpperCase()
    if (!((isHttp(candidate.protocol) || sameProtocol) && isHttp(first.protocol))) return {winner: first, reason: 'protocol conflict on the port', hosts: []}
    return undefined
  }
  if (candidate.tls === undefined) return {winner: first, reason: 'plain-text server on a TLS port', hosts: []}
  return undefined
}
