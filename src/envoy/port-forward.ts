/**
 * The second way to Envoy admin, for clusters where `pods/proxy` is forbidden: a WebSocket
 * port-forward (v4/v5.channel.k8s.io) through @kubernetes/client-node's PortForward, loaded only
 * on this path. One HTTP/1.1 request is written into the forwarded stream and its response read
 * back (Content-Length or chunked), then the socket is closed.
 */
import {readFileSync} from 'node:fs'
import {PassThrough, Writable} from 'node:stream'
import type {KubeClient} from '../kube/client.ts'
import type {ClusterConnection} from '../kube/kubeconfig.ts'
import {EnvoyAdminError, type EnvoyPodRef, type EnvoyPortForward} from './admin.ts'

/** client-node's KubeConfig options from the connection our own kubeconfig loader resolved. */
export function clientNodeOptions(connection: ClusterConnection): Record<string, unknown> {
  const base64 = (b: Buffer | undefined) => b?.toString('base64')
  return {
    clusters: [{name: connection.clusterName || 'cluster', server: connection.server, caData: base64(connection.caData), skipTLSVerify: connection.insecureSkipTlsVerify, tlsServerName: connection.tlsServerName}],
    users: [
      {
        name: connection.userName || 'user',
        // client-node has no tokenFile: read it now, as our transport does per request.
        token: connection.token ?? (connection.tokenFile ? readFileSync(connection.tokenFile, 'utf8').trim() : undefined),
        certData: base64(connection.clientCertData),
        keyData: base64(connection.clientKeyData),
        username: connection.username,
        password: connection.password,
        ...(connection.exec ? {exec: connection.exec} : {}),
      },
    ],
    contexts: [{name: connection.contextName || 'context', cluster: connection.clusterName || 'cluster', user: connection.userName || 'user', namespace: connection.namespace}],
    currentContext: connection.contextName || 'context',
  }
}

/** An HTTP/1.1 response read from raw bytes; undefined until it is complete. */
export function parseHttpResponse(bytes: Buffer): {status: number; body: Buffer} | undefined {
  const end = bytes.indexOf('\r\n\r\n')
  if (end < 0) return undefined
  const head = bytes.subarray(0, end).toString('latin1').split('\r\n')
  const status = Number(head[0]?.split(' ')[1])
  const headers = new Map(head.slice(1).map((line) => [line.slice(0, line.indexOf(':')).trim().toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]))
  const rest = bytes.subarray(end + 4)
  const length = headers.get('content-length')
  if (length !== undefined) return rest.length >= Number(length) ? {status, body: rest.subarray(0, Number(length))} : undefined
  if (headers.get('transfer-encoding')?.toLowerCase() === 'chunked') {
    const parts: Buffer[] = []
    let at = 0
    for (;;) {
      const lineEnd = rest.indexOf('\r\n', at)
      if (lineEnd < 0) return undefined
      const size = parseInt(rest.subarray(at, lineEnd).toString('latin1'), 16)
      if (Number.isNaN(size)) return undefined
      if (size === 0) return {status, body: Buffer.concat(parts)}
      if (rest.length < lineEnd + 2 + size + 2) return undefined
      parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size))
      at = lineEnd + 2 + size + 2
    }
  }
  // Neither: the body runs to the end of the stream (Connection: close); completed on close.
  return undefined
}

export async function createPortForward(kube: KubeClient): Promise<EnvoyPortForward> {
  const {KubeConfig, PortForward} = await import('@kubernetes/client-node')
  const config = new KubeConfig()
  config.loadFromOptions(clientNodeOptions(await kube.connection()))
  const forward = new PortForward(config, true)
  return {
    get(pod: EnvoyPodRef, port: number, path: string, timeoutMs: number): Promise<Buffer> {
      return new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = []
        const errors: Buffer[] = []
        let socket: {close(): void} | undefined
        let settled = false
        const finish = (error: Error | undefined, body?: Buffer) => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          socket?.close()
          if (error) reject(error)
          else resolve(body as Buffer)
        }
        const received = () => {
          const response = parseHttpResponse(Buffer.concat(chunks))
          if (!response) return
          if (response.status >= 200 && response.status < 300) finish(undefined, response.body)
          else finish(new EnvoyAdminError(pod, path, 'http', `port-forward: HTTP ${response.status}: ${response.body.toString().slice(0, 200)}`, {status: response.status}))
        }
        const output = new Writable({
          write(chunk: Buffer, _encoding, callback) {
            chunks.push(chunk)
            received()
            callback()
          },
        })
        const errorStream = new Writable({
          write(chunk: Buffer, _encoding, callback) {
            errors.push(chunk)
            callback()
          },
        })
        const input = new PassThrough()
        const timer = setTimeout(() => finish(new Error(`port-forward to ${pod.namespace}/${pod.name}:${port} did not answer within ${timeoutMs} ms`)), timeoutMs)
        forward
          .portForward(pod.namespace, pod.name, [port], output, errorStream, input)
          .then((ws) => {
            socket = ws as unknown as {close(): void; on?: (event: string, listener: () => void) => void}
            const events = ws as unknown as {on?: (event: string, listener: () => void) => void}
            events.on?.('close', () => {
              if (errors.length) return finish(new Error(`port-forward: ${Buffer.concat(errors).toString().trim()}`))
              const all = Buffer.concat(chunks)
              const headEnd = all.indexOf('\r\n\r\n')
              if (headEnd >= 0 && Number(all.subarray(0, headEnd).toString().split(' ')[1]) < 300) return finish(undefined, all.subarray(headEnd + 4))
              finish(new Error('port-forward closed before Envoy answered'))
            })
            if (settled) return socket.close()
            input.write(`GET /${path.replace(/^\/+/, '')} HTTP/1.1\r\nHost: localhost:${port}\r\nUser-Agent: kubectl-gw\r\nAccept: */*\r\nConnection: close\r\n\r\n`)
          })
          .catch((error: unknown) => finish(error instanceof Error ? error : new Error(String((error as {message?: string})?.message ?? error))))
      })
    },
  }
}
