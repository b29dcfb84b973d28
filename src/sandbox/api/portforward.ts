import http, {type IncomingMessage} from 'node:http'
import {duplexPair, type Duplex} from 'node:stream'
import type {SimulatedMesh, StoredObject} from '../mesh-contract.ts'
import {SpdyServerConnection, type SpdyStream, type SpdyStreamHandlers} from './spdy.ts'
import {offeredProtocols, type WebSocketConnection} from './websocket.ts'

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

/**
 * A connection to a pod port: our end of an in-memory socket whose other end the pod serves (the
 * gateway's listeners take raw bytes; other ports answer HTTP through handlePodRequest).
 * Undefined when there is no mesh to answer at all.
 */
function dialPod(target: ForwardTarget, port: number, servers: Map<number, http.Server>, onRefused: () => void): Duplex | undefined {
  if (!target.mesh) return undefined
  const [local, remote] = duplexPair()
  local.on('error', () => undefined)
  if (target.mesh.connectPod?.(target.pod.metadata.namespace ?? '', target.pod.metadata.name, port, remote)) return local
  let server = servers.get(port)
  if (!server) {
    server = podHttpServer(target, port, onRefused)
    servers.set(port, server)
  }
  server.emit('connection', remote)
  return local
}

function closeServers(servers: Map<number, http.Server>): void {
  for (const server of servers.values()) server.close()
}

/** Serves kubectl port-forward's SPDY session for one pod (plain, or tunnelled in a WebSocket). */
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
    const local = dialPod(target, port, servers, refused)
    if (!local) {
      refused()
      return {onData: () => undefined, onFin: () => undefined, onReset: finish}
    }
    forward.local = local
    local.on('data', (chunk: Buffer) => stream.write(chunk))
    // The pod closed its side: end the data stream, and the error stream kubectl waits on (empty: no error).
    const hangUp = () => {
      stream.write(Buffer.alloc(0), true)
      forward.error?.write(Buffer.alloc(0), true)
    }
    local.on('end', hangUp)
    local.on('close', hangUp)
    return {
      onData: (data) => local.write(data),
      onFin: () => local.end(),
      onReset: finish,
    }
  })
  socket.on('close', () => closeServers(servers))
}

/** kubectl >= 1.31: SPDY/3.1 carried in binary WebSocket messages (client-go tunneling_connection.go). */
export const spdyTunnelProtocol = 'SPDY/3.1+portforward.k8s.io'
/** The kubelet's channel protocols for port-forward, in the order it prefers them. */
const channelProtocols = ['v4.channel.k8s.io', 'v4.base64.channel.k8s.io']

/** The subprotocol the API server would answer, or an error text for a 400 (kubectl then falls back to SPDY). */
export function chooseWebSocketProtocol(req: IncomingMessage): {protocol: string | undefined} | {error: string} {
  const offered = offeredProtocols(req)
  if (offered.some((p) => p.startsWith('SPDY/3.1+') && p.endsWith('.k8s.io'))) {
    return offered.includes(spdyTunnelProtocol) ? {protocol: spdyTunnelProtocol} : {error: 'unable to upgrade: no tunneling spdy protocols provided'}
  }
  if (offered.length === 0) return {protocol: undefined}
  const chosen = offered.find((p) => channelProtocols.includes(p))
  return chosen ? {protocol: chosen} : {error: `requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${channelProtocols.join(' ')}]`}
}

/** Protocol B: the WebSocket's binary messages are the SPDY connection's bytes. */
export function serveTunnelledPortForward(ws: WebSocketConnection, target: ForwardTarget): void {
  const [ours, spdySide] = duplexPair()
  // SPDY writes a frame header and its payload separately: one WebSocket message per tick carries both.
  let pending: Buffer[] = []
  const flush = () => {
    const chunk = pending.length === 1 ? pending[0]! : Buffer.concat(pending)
    pending = []
    ws.send(chunk)
  }
  ours.on('data', (chunk: Buffer) => {
    if (pending.push(chunk) === 1) setImmediate(flush)
  })
  ours.on('error', () => undefined)
  ours.on('close', () => ws.close(1000))
  ws.handlers = {
    onMessage: (data, binary) => (binary ? ours.write(data) : ws.close(1003, 'invalid message type received')),
    onClose: () => ours.destroy(),
  }
  servePortForward(spdySide, target)
}

/**
 * Protocol C (client-node, browsers): channel 2i carries port i's data, 2i+1 its errors; each
 * channel's first message is the port number (uint16 little-endian). One connection per port.
 */
export function serveChannelPortForward(ws: WebSocketConnection, target: ForwardTarget, ports: number[], base64: boolean): void {
  const servers = new Map<number, http.Server>()
  const send = (channel: number, payload: Buffer) => (base64 ? ws.send(`${String.fromCharCode(48 + channel)}${payload.toString('base64')}`, false) : ws.send(Buffer.concat([Buffer.from([channel]), payload])))
  const locals: (Duplex | undefined)[] = ports.map((port, i) => {
    const prefix = Buffer.alloc(2)
    prefix.writeUInt16LE(port)
    send(2 * i, prefix)
    send(2 * i + 1, prefix)
    const refused = () => {
      send(2 * i + 1, Buffer.from(refusedMessage(target.pod, port)))
      ws.close(1000)
    }
    const local = dialPod(target, port, servers, refused)
    if (!local) {
      refused()
      return undefined
    }
    local.on('data', (chunk: Buffer) => send(2 * i, chunk))
    // The pod hung up: the kubelet closes the WebSocket (port-forward has no per-channel close).
    local.on('end', () => ws.close(1000))
    local.on('close', () => ws.close(1000))
    return local
  })
  ws.handlers = {
    onMessage: (message, binary) => {
      const data = binary ? message : Buffer.concat([Buffer.from([message[0]! - 48]), Buffer.from(message.subarray(1).toString(), 'base64')])
      const channel = data[0]
      if (channel === undefined || channel % 2 !== 0) return
      locals[channel / 2]?.write(data.subarray(1))
    },
    onClose: () => {
      for (const local of locals) local?.destroy()
      closeServers(servers)
    },
  }
}

/** The ports of a channel port-forward: `?ports=8080&ports=9090` or comma lists; an error text for a 400. */
export function channelPorts(url: URL): number[] | string {
  const values = [...url.searchParams.getAll('ports'), ...url.searchParams.getAll('port')].flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean)
  if (values.length === 0) return 'query parameter "port" is required'
  const ports: number[] = []
  for (const value of values) {
    if (!/^\d+$/.test(value)) return `unable to parse "${value}" as a port`
    const port = Number(value)
    if (port < 1 || port > 65535) return `port "${value}" must be > 0`
    ports.push(port)
  }
  return ports
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
