import http, {type IncomingMessage} from 'node:http'
import {duplexPair, type Duplex} from 'node:stream'
import type {SimulatedMesh, StoredObject} from '../mesh-contract.ts'
import {SpdyServerConnection, type SpdyStream, type SpdyStreamHandlers} from './spdy.ts'

interface ForwardTarget {
  pod: StoredObject
  mesh: SimulatedMesh | undefined
}

/** One forwarded connection: the data stream and the error stream kubectl pairs by requestid. */
interface Forward {
  data?: SpdyStream
  error?: SpdyStream
  /** Our end of the in-memory socket the HTTP parser reads. */
  local?: Duplex
}

function refusedMessage(pod: StoredObject, port: number): string {
  const ip = (pod.status as {podIP?: string} | undefined)?.podIP ?? ''
  return `error forwarding port ${port} to pod ${pod.metadata.uid}, uid : failed to connect to localhost:${port} inside namespace "${pod.metadata.namespace}", IP: ${ip}: dial tcp4 127.0.0.1:${port}: connect: connection refused`
}

/**
 * An HTTP/1.1 server with no listening socket: each forwarded stream becomes one connection, and
 * each request on it is answered by the mesh as the pod's port would answer.
 */
function podHttpServer(target: ForwardTarget, port: number, onRefused: () => void): http.Server {
  return http.createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const url = new URL(req.url ?? '/', 'http://localhost')
    const headers: Record<string, string> = {}
    for (const [key, value] of Object.entries(req.headers)) if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : value
    const response = await target.mesh
      ?.handlePodRequest({namespace: target.pod.metadata.namespace ?? '', pod: target.pod.metadata.name, port, method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers, body: chunks.length > 0 ? Buffer.concat(chunks) : undefined})
      .catch(() => undefined)
    if (!response) {
      onRefused()
      res.destroy()
      return
    }
    res.writeHead(response.status, response.headers)
    res.end(response.body)
  })
}

/** Serves kubectl port-forward's SPDY session for one pod. */
export function servePortForward(socket: Duplex, target: ForwardTarget): void {
  const forwards = new Map<string, Forward>()
  const servers = new Map<number, http.Server>()
  new SpdyServerConnection(socket, (stream): SpdyStreamHandlers => {
    const requestId = stream.headers.requestid?.[0] ?? String(stream.id)
    const port = Number.parseInt(stream.headers.port?.[0] ?? '', 10)
    const forward = forwards.get(requestId) ?? {}
    forwards.set(requestId, forward)
    const finish = () => {
      forward.local?.destroy()
      forwards.delete(requestId)
    }
    if (stream.headers.streamtype?.[0] === 'error') {
      forward.error = stream
      return {onData: () => undefined, onFin: () => undefined, onReset: finish}
    }
    forward.data = stream
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      forward.error?.write(Buffer.from(`invalid port ${stream.headers.port?.[0] ?? ''}`), true)
      stream.reset()
      return {onData: () => undefined, onFin: () => undefined, onReset: finish}
    }
    const refused = () => {
      forward.error?.write(Buffer.from(refusedMessage(target.pod, port)), true)
      stream.write(Buffer.alloc(0), true)
    }
    if (!target.mesh) {
      refused()
      return {onData: () => undefined, onFin: () => undefined, onReset: finish}
    }
    let server = servers.get(port)
    if (!server) {
      server = podHttpServer(target, port, () => refused())
      servers.set(port, server)
    }
    const [local, remote] = duplexPair()
    forward.local = local
    local.on('data', (chunk: Buffer) => stream.write(chunk))
    local.on('end', () => stream.write(Buffer.alloc(0), true))
    local.on('error', () => undefined)
    server.emit('connection', remote)
    return {
      onData: (data) => local.write(data),
      onFin: () => local.end(),
      onReset: finish,
    }
  })
  socket.on('close', () => {
    for (const server of servers.values()) server.close()
  })
}

/** The 101 answer that hands the socket to SPDY, as the kubelet's streaming server gives it. */
export function acceptSpdyUpgrade(req: IncomingMessage, socket: Duplex): boolean {
  const upgrade = String(req.headers.upgrade ?? '').toLowerCase()
  if (!upgrade.startsWith('spdy/3.1')) return false
  const protocols = String(req.headers['x-stream-protocol-version'] ?? '').split(',').map((p) => p.trim())
  if (protocols.length > 0 && protocols[0] !== '' && !protocols.includes('portforward.k8s.io')) return false
  socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n')
  return true
}
