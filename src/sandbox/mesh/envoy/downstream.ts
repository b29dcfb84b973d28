import {X509Certificate, createHash, randomUUID} from 'node:crypto'
import http, {type IncomingMessage, type ServerResponse} from 'node:http'
import http2, {type Http2ServerRequest, type Http2ServerResponse} from 'node:http2'
import type {Duplex} from 'node:stream'
import {setTimeout as sleep} from 'node:timers/promises'
import tls from 'node:tls'
import {answerAsBackend, type BackendResponse} from '../backend.ts'
import type {BuiltCluster, ClusterEndpoint} from '../istiod/clusters.ts'
import type {BuiltListener} from '../istiod/listeners.ts'
import type {ProxyConfig} from '../istiod/proxy-config.ts'
import {versionOf, type Outcome} from '../traffic.ts'
import type {MeshPod, MeshWorld, Workload} from '../world.ts'
import type {SimulatedProxy} from './proxy.ts'
import {chooseRoute, durationMs, pickWeightedCluster, redirectTarget, rewrittenPath, stripPort, type RoutedRequest} from './router.ts'

/**
 * The gateway Envoy's downstream side for real connections (kubectl port-forward to the gateway's
 * Service or pod): the listener on the forwarded port, TLS inspection of the ClientHello's SNI to
 * pick the filter chain (as envoy.filters.listener.tls_inspector and the filter chain matcher do),
 * TLS termination with the chain's SDS certificate (MUTUAL: the client certificate is demanded and
 * verified against the credential's CA), then HTTP/1.1 through the HTTP connection manager: the
 * live RouteConfiguration of the chain, Envoy's route actions, and httpbin-like upstream pods.
 * Every request is counted in the proxy's stats and istio_requests_total and written to its
 * access log in Istio's default format.
 */

type Json = Record<string, unknown>

const asObject = (value: unknown): Json => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {})

export interface DataPlaneHooks {
  /** The current push (recomputed lazily after any change), and the proxy of the pod in it. */
  current(namespace: string, pod: string): {world: MeshWorld; proxy: SimulatedProxy} | undefined
  /** The destination pod's sidecar proxy, if it has one. */
  sidecar(pod: MeshPod): SimulatedProxy | undefined
  /** Counts one request the way the simulated stream counts its own. */
  record(world: MeshWorld, proxy: SimulatedProxy, sidecar: SimulatedProxy | undefined, statPrefix: string, listenerName: string, host: string, outcome: Omit<Outcome, 'count'>, endpoint?: ClusterEndpoint, attempts?: number): void
  random(): number
  now(): Date
}

/** What the connection brought to the HTTP connection manager. */
interface Connection {
  namespace: string
  pod: string
  port: number
  listenerName: string
  routeName: string
  statPrefix: string
  scheme: 'http' | 'https'
  sni?: string
  peer?: X509Certificate
  remote: string
}

/** The chain-selection part of Envoy's FilterChainMatch: server_names exact, then longest wildcard, then none. */
export function selectFilterChain(chains: Json[], sni: string | undefined, tlsConnection: boolean): Json | undefined {
  const candidates = chains.filter((chain) => {
    const transport = asObject(chain.filter_chain_match).transport_protocol
    return transport === undefined || transport === (tlsConnection ? 'tls' : 'raw_buffer')
  })
  const names = (chain: Json) => (asObject(chain.filter_chain_match).server_names as string[] | undefined) ?? []
  if (sni) {
    const host = sni.toLowerCase()
    const exact = candidates.find((chain) => names(chain).includes(host))
    if (exact) return exact
    let best: {chain: Json; length: number} | undefined
    for (const chain of candidates) {
      for (const name of names(chain)) {
        if (name.startsWith('*.') && host.endsWith(name.slice(1)) && (!best || name.length > best.length)) best = {chain, length: name.length}
      }
    }
    if (best) return best.chain
  }
  return candidates.find((chain) => names(chain).length === 0)
}

/** SNI from a TLS ClientHello record (RFC 8446 4.1.2, RFC 6066 3); undefined when absent or not TLS. */
export function parseClientHelloSni(record: Buffer): string | undefined {
  try {
    if (record[0] !== 0x16 || record[5] !== 0x01) return undefined
    let offset = 9 + 2 + 32
    offset += 1 + record[offset]!
    offset += 2 + record.readUInt16BE(offset)
    offset += 1 + record[offset]!
    const end = offset + 2 + record.readUInt16BE(offset)
    offset += 2
    while (offset + 4 <= end) {
      const type = record.readUInt16BE(offset)
      const length = record.readUInt16BE(offset + 2)
      if (type === 0) {
        const nameLength = record.readUInt16BE(offset + 7)
        return record.subarray(offset + 9, offset + 9 + nameLength).toString('latin1')
      }
      offset += 4 + length
    }
  } catch {
    return undefined
  }
  return undefined
}

/** Reads the first TLS record (or the first bytes of a plaintext connection) without consuming it. */
function peekFirstRecord(socket: Duplex): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    let buffered = Buffer.alloc(0)
    const done = (value: Buffer | undefined) => {
      socket.off('data', onData)
      socket.off('end', onEnd)
      socket.off('error', onEnd)
      socket.pause()
      if (buffered.length > 0) socket.unshift(buffered)
      resolve(value)
    }
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk])
      if (buffered[0] !== 0x16) return done(buffered)
      if (buffered.length >= 5 && buffered.length >= 5 + buffered.readUInt16BE(3)) done(buffered)
    }
    const onEnd = () => done(undefined)
    socket.on('data', onData)
    socket.once('end', onEnd)
    socket.once('error', onEnd)
  })
}

function sdsBytes(config: ProxyConfig, name: string, pick: (secret: Json) => unknown): string | undefined {
  const secret = config.secrets.find((s) => s.name === name && s.ok)?.secret
  const bytes = asObject(pick(asObject(secret))).inline_bytes
  return typeof bytes === 'string' ? Buffer.from(bytes, 'base64').toString('utf8') : undefined
}

/** RFC 2253 order (most specific last in the certificate, first here), as Envoy prints subjects. */
function rfc2253(subject: string): string {
  return subject.split('\n').reverse().join(',')
}

function hopByHop(name: string): boolean {
  return ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer'].includes(name)
}

export class GatewayDataPlane {
  private readonly hooks: DataPlaneHooks
  private readonly http: http.Server
  private readonly connections = new WeakMap<object, Connection>()
  private readonly cursors = new Map<string, number>()
  private sequence = 0
  readonly accessLogs = new Map<string, string[]>()

  constructor(hooks: DataPlaneHooks) {
    this.hooks = hooks
    this.http = http.createServer({requestTimeout: 0, keepAliveTimeout: 60_000}, (req, res) => {
      this.serve(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500)
        res.end()
      })
    })
  }

  /** Accepts a connection to the proxy's listener on `port`; false when nothing listens there. */
  accept(proxy: SimulatedProxy, port: number, socket: Duplex): boolean {
    const listener = proxy.config?.listeners.find((l) => l.port === port)
    if (!listener || listener.warming) return false
    const base = {namespace: proxy.pod.namespace, pod: proxy.pod.name, port, listenerName: listener.name, remote: `127.0.0.1:${32768 + (this.sequence++ % 28000)}`}
    void this.route(proxy.config!, listener, socket, base)
    return true
  }

  private async route(config: ProxyConfig, listener: BuiltListener & {warming: boolean}, socket: Duplex, base: Pick<Connection, 'namespace' | 'pod' | 'port' | 'listenerName' | 'remote'>): Promise<void> {
    const chains = ((listener.json.filter_chains as Json[] | undefined) ?? [])
    const inspects = Array.isArray(listener.json.listener_filters)
    let sni: string | undefined
    let isTls = false
    if (inspects) {
      const first = await peekFirstRecord(socket)
      if (!first) return void socket.end()
      isTls = first[0] === 0x16
      sni = isTls ? parseClientHelloSni(first) : undefined
    }
    const chain = selectFilterChain(chains, sni, isTls)
    const hcm = asObject(asObject(((chain?.filters as Json[] | undefined) ?? [])[0]).typed_config)
    const routeName = asObject(hcm.rds).route_config_name
    if (!chain || typeof routeName !== 'string') {
      // No filter chain for this connection (e.g. an unknown SNI) or a TCP proxy chain: Envoy closes it (NR).
      this.log(base, `[${this.hooks.now().toISOString()}] "- - -" 0 NR filter_chain_not_found - "-" 0 0 0 - "-" "-" "-" "-" "-" - - ${this.localAddress(base)} ${base.remote} ${sni ?? '-'} -`)
      return void socket.end()
    }
    const statPrefix = String(hcm.stat_prefix ?? '')
    const connection: Connection = {...base, routeName, statPrefix, scheme: 'http', sni}
    const transport = asObject(asObject(chain.transport_socket).typed_config)
    if (Object.keys(transport).length === 0) {
      // Envoy's HCM codec is AUTO: an HTTP/2 connection preface (prior knowledge) gets HTTP/2.
      const first = inspects ? undefined : await peekFirstRecord(socket)
      if (!inspects && !first) return void socket.end()
      if (first?.subarray(0, 14).toString('latin1') === 'PRI * HTTP/2.0') return this.serveHttp2(socket, connection)
      this.connections.set(socket, connection)
      this.http.emit('connection', socket)
      // The peek paused the socket; a 'data' listener does not resume an explicitly paused stream.
      socket.resume()
      return
    }
    const common = asObject(transport.common_tls_context)
    const certName = String(asObject(((common.tls_certificate_sds_secret_configs as Json[] | undefined) ?? [])[0]).name ?? '')
    const validation = asObject(common.combined_validation_context)
    const caName = asObject(validation.validation_context_sds_secret_config).name
    const cert = sdsBytes(config, certName, (s) => asObject(s.tls_certificate).certificate_chain)
    const key = sdsBytes(config, certName, (s) => asObject(s.tls_certificate).private_key)
    const ca = typeof caName === 'string' ? sdsBytes(config, caName, (s) => asObject(s.validation_context).trusted_ca) : undefined
    if (!cert || !key) return void socket.end()
    const requireClient = transport.require_client_certificate === true
    const params = asObject(common.tls_params)
    const versions: Record<string, tls.SecureVersion> = {TLSv1_2: 'TLSv1.2', TLSv1_3: 'TLSv1.3', TLSV1_2: 'TLSv1.2', TLSV1_3: 'TLSv1.3'}
    // A tls.Server (never listening) does what Envoy's transport socket does: handshake, demand and verify the peer.
    const terminator = tls.createServer({
      cert,
      key,
      ca,
      minVersion: versions[String(params.tls_minimum_protocol_version)] ?? 'TLSv1.2',
      maxVersion: versions[String(params.tls_maximum_protocol_version)] ?? 'TLSv1.3',
      requestCert: ca !== undefined,
      rejectUnauthorized: requireClient,
      ALPNProtocols: ['h2', 'http/1.1'],
    })
    terminator.on('tlsClientError', () => socket.end())
    terminator.once('secureConnection', (secure: tls.TLSSocket) => {
      secure.on('error', () => secure.destroy())
      // The forwarded stream ends with the TLS connection, as the pod's socket would close.
      secure.on('close', () => socket.end())
      const peerCert = secure.getPeerX509Certificate()
      // OPTIONAL_MUTUAL: a certificate that is offered must still verify.
      if (peerCert && ca !== undefined && !secure.authorized) return void secure.destroy()
      const sans = ((validation.default_validation_context as Json | undefined)?.match_subject_alt_names as {exact?: string}[] | undefined) ?? []
      if (peerCert && sans.length > 0 && !sans.some((m) => (peerCert.subjectAltName ?? '').split(', ').some((entry) => entry.replace(/^[A-Z]+:/, '') === m.exact))) return void secure.destroy()
      const secured: Connection = {...connection, scheme: 'https', peer: peerCert}
      if (secure.alpnProtocol === 'h2') return this.serveHttp2(secure, secured)
      this.connections.set(secure, secured)
      this.http.emit('connection', secure)
    })
    terminator.emit('connection', socket)
  }

  /** One HTTP/2 session on the connection, each stream routed like an HTTP/1.1 request. */
  private serveHttp2(socket: Duplex, connection: Connection): void {
    const server = http2.createServer((req, res) => {
      this.serve(req, res, connection).catch(() => {
        if (!res.headersSent) res.writeHead(500)
        res.end()
      })
    })
    server.on('sessionError', () => socket.destroy())
    server.emit('connection', socket)
  }

  private localAddress(c: Pick<Connection, 'namespace' | 'pod' | 'port'>): string {
    const current = this.hooks.current(c.namespace, c.pod)
    return `${current?.proxy.pod.ip ?? '0.0.0.0'}:${c.port}`
  }

  private log(c: Pick<Connection, 'namespace' | 'pod'>, line: string): void {
    const key = `${c.namespace}/${c.pod}`
    const lines = this.accessLogs.get(key) ?? []
    lines.push(line)
    if (lines.length > 2000) lines.splice(0, lines.length - 2000)
    this.accessLogs.set(key, lines)
  }

  private nextEndpoint(cluster: BuiltCluster, usable: ClusterEndpoint[], avoid?: ClusterEndpoint): ClusterEndpoint {
    const start = this.cursors.get(cluster.name) ?? 0
    for (let i = 0; i < usable.length; i++) {
      const candidate = usable[(start + i) % usable.length]!
      if (candidate !== avoid || usable.length === 1) {
        this.cursors.set(cluster.name, (start + i + 1) % usable.length)
        return candidate
      }
    }
    return usable[0]!
  }

  private async serve(req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse, h2Connection?: Connection): Promise<void> {
    const started = Date.now()
    const startTime = this.hooks.now().toISOString()
    const connection = h2Connection ?? this.connections.get(req.socket)
    const body = await readAll(req)
    if (!connection) return abort(res)
    const current = this.hooks.current(connection.namespace, connection.pod)
    const config = current?.proxy.config
    if (!current || !config) return abort(res)
    const {world, proxy} = current
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && !name.startsWith(':')) headers[name] = Array.isArray(value) ? value.join(',') : value
    // HTTP/2's :authority is HTTP/1.1's Host (Envoy normalises both to :authority).
    const h2Authority = req.headers[':authority']
    if (typeof h2Authority === 'string') headers.host = h2Authority
    // use_remote_address: Envoy sets the scheme it saw, appends the peer to XFF, marks loopback peers internal.
    headers['x-forwarded-proto'] = connection.scheme
    headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, 127.0.0.1` : '127.0.0.1'
    headers['x-envoy-internal'] = 'true'
    headers['x-request-id'] ??= randomUUID()
    if (connection.peer) {
      const peer = connection.peer
      const dns = (peer.subjectAltName ?? '').split(', ').filter((s) => s.startsWith('DNS:')).map((s) => `DNS=${s.slice(4)}`)
      headers['x-forwarded-client-cert'] = [`Hash=${createHash('sha256').update(peer.raw).digest('hex')}`, `Subject="${rfc2253(peer.subject)}"`, 'URI=', ...dns].join(';')
    } else delete headers['x-forwarded-client-cert']
    const authority = headers.host ?? ''
    const request: RoutedRequest = {method: req.method ?? 'GET', path: req.url ?? '/', authority, scheme: connection.scheme, headers}
    const host = stripPort(authority).toLowerCase()
    const routeConfig = config.routes.get(connection.routeName)?.config
    const statPrefix = connection.statPrefix.replace(/;$/, '')
    const responseHeaders: Record<string, string | string[]> = {date: new Date().toUTCString(), server: 'istio-envoy'}
    res.sendDate = false
    let status = 404
    let flags = '-'
    let details = 'route_not_found'
    let responseBody = ''
    let outcome: Omit<Outcome, 'count'> | undefined
    let endpoint: ClusterEndpoint | undefined
    let attempts = 1
    let upstreamMs: number | undefined
    let routeName = '-'
    let cluster: BuiltCluster | undefined
    const choice = routeConfig ? chooseRoute(routeConfig, request) : ({kind: 'no_vhost'} as const)
    if (choice.kind === 'no_vhost' || choice.kind === 'no_route') {
      flags = 'NR'
      proxy.stats.inc('http', statPrefix, 'no_route')
    } else if (choice.kind === 'require_tls') {
      status = 301
      details = 'direct_response'
      responseHeaders.location = choice.location
      proxy.stats.inc('http', statPrefix, 'rq_redirect')
    } else {
      const route = choice.route
      if (typeof route.name === 'string') routeName = route.name
      if (route.redirect) {
        const target = redirectTarget(route, request, connection.port)
        status = target.status
        details = 'direct_response'
        responseHeaders.location = target.location
        proxy.stats.inc('http', statPrefix, 'rq_redirect')
      } else if (route.direct_response) {
        const direct = asObject(route.direct_response)
        status = Number(direct.status ?? 200)
        details = 'direct_response'
        responseBody = String(asObject(direct.body).inline_string ?? '')
        if (responseBody) responseHeaders['content-type'] = 'text/plain'
        proxy.stats.inc('http', statPrefix, 'rq_direct_response')
      } else {
        const forwarded = await this.forward(world, config, route, asObject(route.route), request, body)
        ;({status, flags, details, responseBody, endpoint, attempts, upstreamMs, cluster} = forwarded)
        Object.assign(responseHeaders, forwarded.headers)
        if (status === 503 && flags === 'NC') proxy.stats.inc('http', statPrefix, 'no_cluster')
      }
      applyHeaderOps(responseHeaders, route.response_headers_to_add, route.response_headers_to_remove)
      applyHeaderOps(responseHeaders, choice.vhost.response_headers_to_add, choice.vhost.response_headers_to_remove)
    }
    if (upstreamMs !== undefined) responseHeaders['x-envoy-upstream-service-time'] = String(upstreamMs)
    const sent = Buffer.byteLength(responseBody)
    const head = {...responseHeaders, 'content-length': String(sent)}
    if ('stream' in res) res.writeHead(status, head)
    else res.writeHead(status, head)
    res.end(req.method === 'HEAD' ? '' : responseBody)
    const duration = Date.now() - started
    outcome = {code: status, flags, cluster, pod: endpoint?.pod, durationMs: Math.max(0.1, duration)}
    this.hooks.record(world, proxy, endpoint?.pod ? this.hooks.sidecar(endpoint.pod) : undefined, connection.statPrefix, connection.listenerName, host, outcome, endpoint, attempts)
    const q = (v: string | undefined) => `"${v ?? '-'}"`
    this.log(connection, [
      `[${startTime}]`, `"${request.method} ${headers['x-envoy-original-path'] ?? request.path} HTTP/${req.httpVersion === '2.0' ? '2' : req.httpVersion}"`, status, flags, details, '-', '"-"',
      body.length, sent, duration, upstreamMs ?? '-', q(headers['x-forwarded-for']), q(headers['user-agent']), q(headers['x-request-id']), q(authority),
      q(endpoint ? `${endpoint.address}:${endpoint.port}` : undefined), cluster?.name ?? '-', endpoint ? `${proxy.pod.ip ?? '0.0.0.0'}:${40000 + (this.sequence++ % 20000)}` : '-',
      this.localAddress(connection), connection.remote, connection.sni ?? '-', routeName,
    ].join(' '))
  }

  /** The router filter for a route action: fault filter, cluster pick, endpoints, retries, timeout. */
  private async forward(world: MeshWorld, config: ProxyConfig, route: Json, action: Json, request: RoutedRequest, body: Buffer): Promise<{status: number; flags: string; details: string; responseBody: string; headers: Record<string, string>; endpoint?: ClusterEndpoint; attempts: number; upstreamMs?: number; cluster?: BuiltCluster}> {
    const random = () => this.hooks.random()
    const fault = asObject(asObject(route.typed_per_filter_config)['envoy.filters.http.fault'])
    const share = (p: unknown) => Number(asObject(p).numerator ?? 0) / (asObject(p).denominator === 'HUNDRED' ? 100 : asObject(p).denominator === 'TEN_THOUSAND' ? 10_000 : 1_000_000)
    const abort = asObject(fault.abort)
    const delay = asObject(fault.delay)
    let faultFlag = ''
    if (Object.keys(delay).length > 0 && random() < share(delay.percentage)) {
      await sleep(durationMs(delay.fixed_delay))
      faultFlag = 'DI'
    }
    if (abort.http_status !== undefined && random() < share(abort.percentage)) {
      return {status: Number(abort.http_status), flags: faultFlag ? `${faultFlag},FI` : 'FI', details: 'fault_filter_abort', responseBody: 'fault filter abort', headers: {'content-type': 'text/plain'}, attempts: 1}
    }
    const withFault = (f: string) => (faultFlag ? (f === '-' ? faultFlag : `${faultFlag},${f}`) : f)
    const clusterName = pickWeightedCluster(action, random)
    const cluster = clusterName ? config.clustersByName.get(clusterName) : undefined
    if (!cluster) {
      const status = action.cluster_not_found_response_code === 'INTERNAL_SERVER_ERROR' ? 500 : action.cluster_not_found_response_code === 'NOT_FOUND' ? 404 : 503
      return {status, flags: withFault('NC'), details: 'cluster_not_found', responseBody: '', headers: {}, attempts: 1}
    }
    const healthy = cluster.endpoints.filter((e) => !(e.pod && world.workloadOf(e.pod).fault.errorRate >= 0.5 && asObject(cluster.json.outlier_detection).consecutive_5xx !== undefined && cluster.endpoints.length > 1))
    const usable = healthy.length > 0 ? healthy : cluster.endpoints
    if (usable.length === 0) {
      return {status: 503, flags: withFault('UH'), details: 'no_healthy_upstream', responseBody: 'no healthy upstream', headers: {'content-type': 'text/plain'}, attempts: 1, cluster}
    }
    const upstream: Record<string, string> = {}
    for (const [name, value] of Object.entries(request.headers)) if (!hopByHop(name)) upstream[name] = value
    const rewritten = rewrittenPath(route, action, request.path)
    if (rewritten !== undefined) upstream['x-envoy-original-path'] = request.path
    upstream.host = typeof action.host_rewrite_literal === 'string' ? action.host_rewrite_literal : request.authority
    applyHeaderOps(upstream, route.request_headers_to_add, route.request_headers_to_remove)
    const path = rewritten ?? request.path
    const timeoutMs = durationMs(action.timeout)
    const policy = asObject(action.retry_policy)
    const perTryMs = durationMs(policy.per_try_timeout)
    const retryOn = String(policy.retry_on ?? '').split(',')
    const codes = (policy.retriable_status_codes as number[] | undefined) ?? []
    const retriable = (code: number) => retryOn.includes('5xx') ? code >= 500 : (retryOn.includes('gateway-error') && code >= 502 && code <= 504) || (retryOn.includes('retriable-status-codes') && codes.includes(code))
    const maxAttempts = Object.keys(policy).length > 0 ? 1 + Number(policy.num_retries ?? 1) : 1
    const started = Date.now()
    let endpoint: ClusterEndpoint | undefined
    let answer: BackendResponse | undefined
    let attempts = 0
    let timedOut: 'route' | 'per_try' | undefined
    while (attempts < maxAttempts) {
      attempts++
      timedOut = undefined
      endpoint = this.nextEndpoint(cluster, usable, endpoint)
      upstream['x-envoy-attempt-count'] = String(attempts)
      const workload: Workload | undefined = endpoint.pod ? world.workloadOf(endpoint.pod) : undefined
      answer = answerAsBackend({method: request.method, path, headers: upstream, body}, {
        pod: endpoint.pod?.name ?? endpoint.address,
        namespace: endpoint.pod?.namespace ?? cluster.service?.namespace ?? '',
        workload: workload?.name ?? 'unknown',
        version: endpoint.pod ? versionOf(endpoint.pod) : 'unknown',
        service: cluster.service?.fqdn ?? cluster.name,
      }, workload?.fault ?? {errorRate: 0, latencyMs: 0}, random)
      const remaining = timeoutMs > 0 ? timeoutMs - (Date.now() - started) : Number.POSITIVE_INFINITY
      const perTryFirst = perTryMs > 0 && perTryMs < remaining
      const limit = perTryFirst ? perTryMs : remaining
      if (answer.delayMs > limit) {
        await sleep(Math.max(0, limit))
        timedOut = perTryFirst ? 'per_try' : 'route'
        if (timedOut === 'per_try' && attempts < maxAttempts && retriable(504)) continue
        break
      }
      if (answer.delayMs > 0) await sleep(answer.delayMs)
      if (!(attempts < maxAttempts && retriable(answer.status))) break
    }
    const upstreamMs = Date.now() - started
    if (timedOut) {
      return {status: 504, flags: withFault('UT'), details: timedOut === 'per_try' ? 'upstream_per_try_timeout' : 'response_timeout', responseBody: 'upstream request timeout', headers: {'content-type': 'text/plain'}, endpoint, attempts, cluster}
    }
    const flags = attempts > 1 && retriable(answer!.status) && attempts === maxAttempts ? withFault('URX') : withFault('-')
    return {status: answer!.status, flags, details: 'via_upstream', responseBody: answer!.body, headers: answer!.headers, endpoint, attempts, upstreamMs, cluster}
  }
}

function abort(res: ServerResponse | Http2ServerResponse): void {
  if ('stream' in res) res.stream.destroy()
  else res.destroy()
}

function applyHeaderOps(headers: Record<string, string | string[]>, add: unknown, remove: unknown): void {
  for (const name of (remove as string[] | undefined) ?? []) delete headers[name.toLowerCase()]
  for (const entry of (add as Json[] | undefined) ?? []) {
    const header = asObject(entry.header)
    const key = String(header.key ?? '').toLowerCase()
    if (!key) continue
    const value = String(header.value ?? '')
    const existing = headers[key]
    if (entry.append_action === 'APPEND_IF_EXISTS_OR_ADD' && existing !== undefined) headers[key] = [...(Array.isArray(existing) ? existing : [existing]), value].join(',')
    else if (entry.append_action === 'ADD_IF_ABSENT' && existing !== undefined) continue
    else headers[key] = value
  }
}

async function readAll(req: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}
