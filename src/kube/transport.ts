import {execFile} from 'node:child_process'
import type {Agent, ClientRequest, IncomingHttpHeaders, OutgoingHttpHeaders} from 'node:http'
import type net from 'node:net'
import path from 'node:path'
import {readFileSync} from 'node:fs'
import {ClusterError, UsageError} from '../errors.ts'
import {apiErrorFromResponse, type RequestIntent} from './api-errors.ts'
import type {ClusterConnection, ExecCredentialPlugin} from './kubeconfig.ts'

// Taken as CommonJS modules: an ES import of node:http makes Node 26 build its ES facade, whose
// getters load undici and http2 (about 50 ms of start-up) that this client never uses.
const http = process.getBuiltinModule('node:http')
const https = process.getBuiltinModule('node:https')

export interface KubeRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** Path below the server URL, starting with "/". */
  path: string
  query?: Record<string, string | number | boolean | undefined>
  body?: string | Buffer
  contentType?: string
  accept?: string
  intent: RequestIntent
  /** Overrides --request-timeout for this request (e.g. a per-pod Envoy admin budget); 0 = none. */
  timeoutMs?: number
}

export interface KubeResponse {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

export interface TransportOptions {
  /** 0 = no limit, as kubectl's --request-timeout=0. */
  requestTimeoutMs: number
  /** A new connection must be open within this, whatever --request-timeout says (kubectl's dialer: 30 s). */
  connectTimeoutMs?: number
  /** ...and its TLS handshake done within this (kubectl's TLSHandshakeTimeout: 10 s). */
  tlsHandshakeTimeoutMs?: number
  debug?: (message: string) => void
  /** Environment handed to exec credential plugins. */
  env: Record<string, string | undefined>
}

interface ExecCredential {
  token?: string
  clientCertificateData?: string
  clientKeyData?: string
  expiresAt?: number
}

const userAgent = 'kubectl-gw'
export const defaultConnectTimeoutMs = 30_000
export const defaultTlsHandshakeTimeoutMs = 10_000

/** Builds the query string the API server expects (booleans as "true", undefined skipped). */
export function buildQuery(query: KubeRequest['query']): string {
  if (!query) return ''
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === '') continue
    params.set(key, String(value))
  }
  const text = params.toString()
  return text ? `?${text}` : ''
}

/** HTTPS to one API server with kubeconfig credentials; one keep-alive agent per transport. */
export class HttpsTransport {
  readonly connection: ClusterConnection
  private readonly options: TransportOptions
  private readonly url: URL
  private agent?: Agent
  private execCredential?: ExecCredential

  constructor(connection: ClusterConnection, options: TransportOptions) {
    this.connection = connection
    this.options = options
    this.url = new URL(connection.server)
  }

  /** Sends a request; a status >= 400 becomes a KubeApiError with the DESIGN.md exit code. */
  async request(req: KubeRequest): Promise<KubeResponse> {
    let response = await this.send(req)
    if (response.status === 401 && this.connection.exec) {
      // An exec plugin's token may have expired early: fetch a fresh one once, as kubectl does.
      this.execCredential = undefined
      this.agent?.destroy()
      this.agent = undefined
      response = await this.send(req)
    }
    if (response.status >= 400) throw apiErrorFromResponse(response.status, response.body, req.intent)
    return response
  }

  /** Like request, but hands back the status of a failure instead of throwing it. */
  async requestRaw(req: KubeRequest): Promise<KubeResponse> {
    return this.send(req)
  }

  close(): void {
    this.agent?.destroy()
    this.agent = undefined
  }

  private async send(req: KubeRequest): Promise<KubeResponse> {
    const credential = await this.credential()
    const agent = this.agentFor(credential)
    const basePath = this.url.pathname.replace(/\/+$/, '')
    const fullPath = `${basePath}${req.path}${buildQuery(req.query)}`
    const headers: OutgoingHttpHeaders = {
      'User-Agent': userAgent,
      Accept: req.accept ?? 'application/json',
    }
    const token = credential.token ?? this.staticToken()
    if (token) headers.Authorization = `Bearer ${token}`
    else if (this.connection.username !== undefined && this.connection.password !== undefined) {
      headers.Authorization = `Basic ${Buffer.from(`${this.connection.username}:${this.connection.password}`).toString('base64')}`
    }
    if (req.body !== undefined) {
      headers['Content-Type'] = req.contentType ?? 'application/json'
      headers['Content-Length'] = Buffer.byteLength(req.body)
    }
    this.options.debug?.(`${req.method} ${this.url.origin}${fullPath}`)
    const started = Date.now()
    const isHttps = this.url.protocol === 'https:'
    const timeoutMs = req.timeoutMs ?? this.options.requestTimeoutMs
    return new Promise<KubeResponse>((resolve, reject) => {
      const request = (isHttps ? https : http).request(
        {
          protocol: this.url.protocol,
          hostname: this.url.hostname.replace(/^\[|\]$/g, ''),
          port: this.url.port || (isHttps ? 443 : 80),
          method: req.method,
          path: fullPath,
          headers,
          agent,
        },
        (response) => {
          const body = bodyCollector(response.headers['content-length'])
          response.on('data', body.add)
          response.on('end', () => {
            clearTimeout(timer)
            this.options.debug?.(`${response.statusCode} in ${Date.now() - started} ms`)
            resolve({status: response.statusCode ?? 0, headers: response.headers, body: body.bytes()})
          })
          response.on('error', (error) => {
            clearTimeout(timer)
            reject(this.networkError(error))
          })
        },
      )
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              request.destroy(Object.assign(new Error('timeout'), {code: 'GW_TIMEOUT', timeoutMs}))
            }, timeoutMs)
          : undefined
      request.on('socket', (socket) => this.boundHandshake(request, socket, isHttps))
      request.on('error', (error) => {
        clearTimeout(timer)
        reject(this.networkError(error))
      })
      if (req.body !== undefined) request.write(req.body)
      request.end()
    })
  }

  /**
   * A server that accepts the connection and never answers must not hang a command with no
   * --request-timeout: the connection and its TLS handshake get bounded time, as kubectl's do.
   * A kept-alive socket is already connected and is left alone.
   */
  private boundHandshake(request: ClientRequest, socket: net.Socket, isHttps: boolean): void {
    if (!socket.connecting) return
    const connectMs = this.options.connectTimeoutMs ?? defaultConnectTimeoutMs
    const tlsMs = this.options.tlsHandshakeTimeoutMs ?? defaultTlsHandshakeTimeoutMs
    const fail = (code: string) => request.destroy(Object.assign(new Error(code), {code}))
    let timer = setTimeout(() => fail('GW_CONNECT_TIMEOUT'), connectMs)
    const clear = () => clearTimeout(timer)
    socket.once('close', clear)
    socket.once('connect', () => {
      clear()
      if (!isHttps) return
      timer = setTimeout(() => fail('GW_TLS_TIMEOUT'), tlsMs)
      socket.once('secureConnect', clear)
    })
  }

  private staticToken(): string | undefined {
    if (this.connection.token) return this.connection.token
    if (this.connection.tokenFile) {
      try {
        return readFileSync(this.connection.tokenFile, 'utf8').trim()
      } catch (error) {
        throw new UsageError(`cannot read tokenFile ${this.connection.tokenFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
      }
    }
    return undefined
  }

  private agentFor(credential: ExecCredential): Agent {
    if (this.agent) return this.agent
    if (this.url.protocol === 'http:') {
      this.agent = new http.Agent({keepAlive: true})
      return this.agent
    }
    const certData = credential.clientCertificateData ? Buffer.from(credential.clientCertificateData) : this.connection.clientCertData
    const keyData = credential.clientKeyData ? Buffer.from(credential.clientKeyData) : this.connection.clientKeyData
    this.agent = new https.Agent({
      keepAlive: true,
      ca: this.connection.caData,
      cert: certData,
      key: keyData,
      rejectUnauthorized: !this.connection.insecureSkipTlsVerify,
      servername: this.connection.tlsServerName,
    })
    return this.agent
  }

  private async credential(): Promise<ExecCredential> {
    const exec = this.connection.exec
    if (!exec) return {}
    const cached = this.execCredential
    if (cached && (cached.expiresAt === undefined || cached.expiresAt > Date.now() + 10_000)) return cached
    this.execCredential = await runExecPlugin(exec, this.connection, this.options.env)
    return this.execCredential
  }

  private networkError(error: Error): Error {
    const code = (error as NodeJS.ErrnoException).code ?? ''
    const host = this.url.host
    if (code === 'GW_TIMEOUT') {
      const waitedMs = (error as {timeoutMs?: number}).timeoutMs ?? this.options.requestTimeoutMs
      return new ClusterError(`the server ${host} did not answer within ${waitedMs / 1000}s`, {
        hint: 'the cluster may be overloaded or unreachable; raise --request-timeout or check the network',
        cause: error,
      })
    }
    if (code === 'GW_CONNECT_TIMEOUT') {
      return new ClusterError(`could not connect to the server ${host} within ${(this.options.connectTimeoutMs ?? defaultConnectTimeoutMs) / 1000}s`, {
        hint: `check the server of context "${this.connection.contextName}" and the network`,
      })
    }
    if (code === 'GW_TLS_TIMEOUT') {
      return new ClusterError(`TLS handshake with ${host} did not complete within ${(this.options.tlsHandshakeTimeoutMs ?? defaultTlsHandshakeTimeoutMs) / 1000}s`, {
        hint: `something accepts connections there but is not answering as an API server; check the server of context "${this.connection.contextName}"`,
      })
    }
    if (code === 'ECONNREFUSED') {
      return new ClusterError(`The connection to the server ${host} was refused - did you specify the right host or port?`, {
        hint: `check the server of context "${this.connection.contextName}" (kubectl config view --minify)`,
        cause: error,
      })
    }
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      return new ClusterError(`cannot resolve ${this.url.hostname}: no such host`, {hint: `check the server of context "${this.connection.contextName}"`, cause: error})
    }
    if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
      return new ClusterError(`lost the connection to the server ${host} (${code})`, {cause: error})
    }
    if (/CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS|ERR_SSL|EPROTO/.test(code)) {
      return new ClusterError(`TLS with ${host} failed: ${error.message}`, {
        hint: 'the server certificate is not trusted by the certificate-authority in your kubeconfig (or the server is not HTTPS)',
        cause: error,
      })
    }
    return new ClusterError(`cannot reach the server ${host}: ${error.message}`, {cause: error})
  }
}

/** Runs a client.authentication.k8s.io exec plugin and reads its ExecCredential. */
function runExecPlugin(exec: ExecCredentialPlugin, connection: ClusterConnection, env: Record<string, string | undefined>): Promise<ExecCredential> {
  const command = exec.command.includes('/') && !path.isAbsolute(exec.command) ? path.join(exec.baseDir, exec.command) : exec.command
  const execInfo = {
    apiVersion: exec.apiVersion,
    kind: 'ExecCredential',
    spec: {
      interactive: false,
      ...(exec.provideClusterInfo ? {cluster: {server: connection.server, 'certificate-authority-data': connection.caData?.toString('base64')}} : {}),
    },
  }
  const childEnv: Record<string, string> = {}
  for (const [key, value] of Object.entries(env)) if (value !== undefined) childEnv[key] = value
  for (const {name, value} of exec.env) childEnv[name] = value
  childEnv.KUBERNETES_EXEC_INFO = JSON.stringify(execInfo)
  return new Promise((resolve, reject) => {
    execFile(command, exec.args, {env: childEnv, timeout: 60_000, maxBuffer: 4 * 1024 * 1024}, (error, stdout, stderr) => {
      if (error) {
        const detail = stderr.toString().trim().split('\n').pop() || error.message
        reject(new ClusterError(`getting credentials: exec plugin "${exec.command}" failed: ${detail}`, {hint: `run "${exec.command} ${exec.args.join(' ')}" by hand to see why`, cause: error}))
        return
      }
      try {
        const credential = JSON.parse(stdout.toString()) as {status?: {token?: string; clientCertificateData?: string; clientKeyData?: string; expirationTimestamp?: string}}
        const status = credential.status ?? {}
        if (!status.token && !(status.clientCertificateData && status.clientKeyData)) {
          throw new Error('its ExecCredential has neither status.token nor a client certificate and key')
        }
        resolve({
          token: status.token,
          clientCertificateData: status.clientCertificateData,
          clientKeyData: status.clientKeyData,
          expiresAt: status.expirationTimestamp ? Date.parse(status.expirationTimestamp) : undefined,
        })
      } catch (parseError) {
        reject(new ClusterError(`getting credentials: exec plugin "${exec.command}" printed no usable ExecCredential: ${(parseError as Error).message}`))
      }
    })
  })
}

/**
 * A response body's bytes. With a Content-Length (a config_dump's tens of MB), each chunk is copied
 * into one buffer of that size as it arrives, so the chunks are garbage at once and the body is never
 * held twice (chunks and their concatenation); otherwise the chunks are concatenated at the end.
 */
function bodyCollector(contentLength: string | undefined): {add: (chunk: Buffer) => void; bytes: () => Buffer} {
  const expected = contentLength !== undefined && /^\d+$/.test(contentLength) ? Number(contentLength) : undefined
  let whole = expected !== undefined && expected <= 1024 ** 3 ? Buffer.allocUnsafe(expected) : undefined
  let written = 0
  const chunks: Buffer[] = []
  return {
    add: (chunk) => {
      if (whole && written + chunk.length <= whole.length) {
        chunk.copy(whole, written)
        written += chunk.length
        return
      }
      if (whole) {
        // More than announced: keep what came, as it came.
        chunks.push(whole.subarray(0, written))
        whole = undefined
      }
      chunks.push(chunk)
    },
    bytes: () => (whole ? whole.subarray(0, written) : Buffer.concat(chunks)),
  }
}
