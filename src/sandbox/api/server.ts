import https from 'node:https'
import type {IncomingMessage, ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {timingSafeEqual} from 'node:crypto'
import {parse as parseYaml} from 'yaml'
import type {MeshFactory, SimulatedMesh, StoredObject} from '../mesh-contract.ts'
import type {SandboxPki} from '../tls.ts'
import {ClusterApi, patchContentTypes, type FieldValidation, type PatchType} from './cluster.ts'
import {apiGroup, apiGroupList, apiResourceList, apiVersions, kubernetesVersion, versionInfo} from './discovery.ts'
import {applyJsonPatch, applyMergePatch, type Json} from './patch.ts'
import {openApiDocument, openApiIndex, openApiV2} from './openapi.ts'
import {ResourceRegistry, servedResources, type ResourceType} from './resources.ts'
import {matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector} from './selectors.ts'
import {ApiStatusError, badRequest, notFound} from './status.ts'
import {ObjectStore, pageOf} from './store.ts'
import {toTable} from './table.ts'
import {decodeKubernetesProtobuf} from './protobuf.ts'
import {acceptSpdyUpgrade, channelPorts, chooseWebSocketProtocol, serveChannelPortForward, servePortForward, serveTunnelledPortForward, spdyTunnelProtocol} from './portforward.ts'
import {isWebSocketUpgrade, WebSocketConnection} from './websocket.ts'
import type {Duplex} from 'node:stream'
import {proxyToPod, proxyToService} from './proxy.ts'

export interface ApiServerOptions {
  /** 0 picks a free port. */
  port: number
  token: string
  pki: SandboxPki
  store: ObjectStore
  meshFactory?: MeshFactory
  now?: () => Date
}

const maxBodyBytes = 3 * 1024 * 1024

/** Paths a real API server answers without credentials (system:public-info-viewer). */
const publicPaths = new Set(['/healthz', '/livez', '/readyz', '/version'])

function send(res: ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  res.writeHead(status, {'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private'})
  res.end(text)
}

function sendError(res: ServerResponse, error: ApiStatusError): void {
  send(res, error.code, error.toStatus())
}

async function readBody(req: IncomingMessage): Promise<string> {
  return (await readBodyBytes(req)).toString('utf8')
}

async function readBodyBytes(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > maxBodyBytes) throw new ApiStatusError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728')
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

/** JSON, YAML, or (for kubectl's typed create commands) Kubernetes protobuf. */
async function readObject(req: IncomingMessage): Promise<unknown> {
  const contentType = req.headers['content-type']
  const body = await readBodyBytes(req)
  if (contentType?.startsWith('application/vnd.kubernetes.protobuf')) return decodeKubernetesProtobuf(body)
  return parseBody(body.toString('utf8'), contentType)
}

/** Deeper bodies are refused before anything recursive (parsers, validation, merges) sees them. */
const maxBodyNesting = 1000

/** 400 when JSON (or YAML flow) nesting goes deeper than the limit; a linear scan, strings skipped. */
function refuseDeepNesting(text: string): string {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92) i++ // backslash: skip the escaped character
      else if (c === 34) inString = false
    } else if (c === 34) inString = true
    else if (c === 123 || c === 91) {
      if (++depth > maxBodyNesting) throw badRequest(`the body of the request could not be decoded: objects and arrays nest deeper than ${maxBodyNesting} levels`)
    } else if (c === 125 || c === 93) depth--
  }
  return text
}

/** A path segment, decoded; malformed percent-encoding is the client's error (400), not ours. */
export function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    throw badRequest(`invalid URL escape in the request path: ${JSON.stringify(segment)}`)
  }
}

function parseBody(text: string, contentType: string | undefined): unknown {
  if (contentType && !/json|yaml/.test(contentType)) {
    throw new ApiStatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (not ${contentType})`)
  }
  refuseDeepNesting(text)
  try {
    return contentType?.includes('yaml') ? parseYaml(text) : JSON.parse(text)
  } catch (error) {
    throw badRequest(`the body of the request could not be decoded: ${(error as Error).message.split('\n')[0]}`)
  }
}

/** "kubectl/v1.32.0 (linux/amd64) kubernetes/abc" -> "kubectl", as the apiserver names default managers. */
function managerFromUserAgent(userAgent: string | undefined): string {
  return (userAgent ?? 'unknown').split('/')[0]!.trim() || 'unknown'
}

interface ResourceRequest {
  type: ResourceType
  version: string
  namespace?: string
  name?: string
  subresource?: string
  /** Path after "proxy". */
  rest: string[]
}

/**
 * The sandbox's Kubernetes API server: HTTPS on 127.0.0.1 with a bearer token, discovery,
 * OpenAPI v3 index, CRUD, watch, patches, server-side apply and the pod/service proxy.
 */
export class SandboxApiServer {
  readonly store: ObjectStore
  readonly registry: ResourceRegistry
  readonly api: ClusterApi
  readonly mesh?: SimulatedMesh
  private readonly options: ApiServerOptions
  private readonly server: https.Server
  private readonly token: Buffer
  private readonly now: () => Date
  private readonly openWatches = new Set<ServerResponse>()
  /** Port-forward streams: upgraded, they are no longer the HTTP server's to close. */
  private readonly upgradedSockets = new Set<Duplex>()

  constructor(options: ApiServerOptions) {
    this.options = options
    this.store = options.store
    this.now = options.now ?? (() => new Date())
    this.registry = new ResourceRegistry(servedResources(options.store.istioVersion))
    this.api = new ClusterApi(this.store, this.registry, this.now)
    this.token = Buffer.from(options.token)
    this.mesh = options.meshFactory?.(this.store)
    this.server = https.createServer({cert: options.pki.serverCertPem, key: options.pki.serverKeyPem, keepAliveTimeout: 30_000}, (req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        const status = error instanceof ApiStatusError ? error : new ApiStatusError(500, 'InternalError', `Internal error occurred: ${(error as Error).message}`)
        if (!res.headersSent) sendError(res, status)
        else res.destroy()
      })
    })
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex) => this.upgrade(req, socket))
  }

  /**
   * pods/portforward upgrades, as Kubernetes >= 1.31 serves them: SPDY/3.1 (kubectl <= 1.30 and its
   * fallback), SPDY tunnelled in a WebSocket (kubectl >= 1.31), and the kubelet's channel
   * WebSocket (`v4.channel.k8s.io`, client-node and browsers).
   */
  private upgrade(req: IncomingMessage, socket: Duplex): void {
    const refuse = (error: ApiStatusError) => {
      const body = JSON.stringify(error.toStatus())
      socket.end(`HTTP/1.1 ${error.code} ${error.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
    }
    socket.on('error', () => undefined)
    this.upgradedSockets.add(socket)
    socket.on('close', () => this.upgradedSockets.delete(socket))
    if (!this.authorized(req)) return refuse(new ApiStatusError(401, 'Unauthorized', 'Unauthorized'))
    const url = new URL(req.url ?? '/', 'https://127.0.0.1')
    const match = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/portforward$/.exec(url.pathname)
    if (!match) return refuse(new ApiStatusError(400, 'BadRequest', 'upgrade requests are served for pods/portforward only'))
    let namespace: string
    let podName: string
    try {
      ;[namespace, podName] = [decodePathSegment(match[1]!), decodePathSegment(match[2]!)]
    } catch (error) {
      return refuse(error as ApiStatusError)
    }
    const pod = this.store.get('', 'Pod', namespace, podName)
    if (!pod) return refuse(notFound('pods', '', podName))
    if ((pod.status as {phase?: string} | undefined)?.phase !== 'Running') return refuse(new ApiStatusError(400, 'BadRequest', `pod ${pod.metadata.name} is not running`))
    const target = {pod, mesh: this.mesh}
    if (isWebSocketUpgrade(req)) {
      const choice = chooseWebSocketProtocol(req)
      if ('error' in choice) return refuse(new ApiStatusError(400, 'BadRequest', choice.error))
      if (choice.protocol === spdyTunnelProtocol) return serveTunnelledPortForward(new WebSocketConnection(req, socket, choice.protocol), target)
      const ports = channelPorts(url)
      if (typeof ports === 'string') return refuse(new ApiStatusError(400, 'BadRequest', ports))
      return serveChannelPortForward(new WebSocketConnection(req, socket, choice.protocol), target, ports, choice.protocol === 'v4.base64.channel.k8s.io')
    }
    if (!acceptSpdyUpgrade(req, socket)) return refuse(new ApiStatusError(400, 'BadRequest', 'unable to upgrade: missing upgrade headers in request'))
    servePortForward(socket, target)
  }

  /** Listens on 127.0.0.1 only; resolves with the port. */
  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(this.options.port, '127.0.0.1', () => resolve())
    })
    this.mesh?.start()
    return (this.server.address() as AddressInfo).port
  }

  authorized(req: IncomingMessage): boolean {
    const header = req.headers.authorization ?? ''
    if (!header.startsWith('Bearer ')) return false
    const given = Buffer.from(header.slice(7).trim())
    return given.length === this.token.length && timingSafeEqual(given, this.token)
  }

  async close(): Promise<void> {
    this.mesh?.stop()
    for (const watch of this.openWatches) watch.end()
    // A `kubectl port-forward` left running would otherwise hold the server open: stopping ends it, as a real apiserver going away does.
    for (const socket of this.upgradedSockets) socket.destroy()
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1')
    const path = url.pathname.replace(/\/+$/, '') || '/'
    if (!publicPaths.has(path) && !this.authorized(req)) {
      send(res, 401, {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401})
      return
    }
    if (path === '/healthz' || path === '/livez' || path === '/readyz') return send(res, 200, 'ok', 'text/plain; charset=utf-8')
    if (path === '/version') return send(res, 200, versionInfo())
    if (path === '/metrics') return send(res, this.mesh ? 200 : 404, this.mesh ? this.mesh.scrape() : 'no simulated mesh is running\n', 'text/plain; version=0.0.4; charset=utf-8')
    if (path === '/api') return send(res, 200, apiVersions())
    if (path === '/apis') return send(res, 200, apiGroupList(this.registry))
    if (path === '/openapi/v3') return send(res, 200, openApiIndex(this.registry))
    if (path === '/openapi/v2') {
      const document = openApiV2(req.headers.accept ?? '', kubernetesVersion.gitVersion)
      res.writeHead(200, {'Content-Type': document.contentType, 'Content-Length': document.body.length})
      return void res.end(document.body)
    }
    if (path.startsWith('/openapi/v3/')) {
      const document = openApiDocument(this.registry, path.slice('/openapi/v3/'.length))
      if (!document) throw new ApiStatusError(404, 'NotFound', 'the server could not find the requested resource')
      return send(res, 200, document)
    }
    const segments = path.split('/').slice(1).map(decodePathSegment)
    let group: string
    let version: string
    let rest: string[]
    if (segments[0] === 'api' && segments.length >= 2) {
      ;[group, version, rest] = ['', segments[1]!, segments.slice(2)]
    } else if (segments[0] === 'apis' && segments.length >= 2) {
      if (segments.length === 2) {
        const document = apiGroup(this.registry, segments[1]!)
        if (!document) throw new ApiStatusError(404, 'NotFound', 'the server could not find the requested resource')
        return send(res, 200, document)
      }
      ;[group, version, rest] = [segments[1]!, segments[2]!, segments.slice(3)]
    } else {
      throw new ApiStatusError(404, 'NotFound', 'the server could not find the requested resource')
    }
    if (rest.length === 0) {
      const list = apiResourceList(this.registry, group, version)
      if (!list) throw new ApiStatusError(404, 'NotFound', 'the server could not find the requested resource')
      return send(res, 200, list)
    }
    const target = this.resolve(group, version, rest)
    await this.serveResource(req, res, url, target)
  }

  private resolve(group: string, version: string, rest: string[]): ResourceRequest {
    let namespace: string | undefined
    let parts = rest
    const namespaceType = this.registry.forPath('', 'v1', 'namespaces')!
    if (parts[0] === 'namespaces' && parts.length >= 3 && !(group === '' && parts.length === 3 && (parts[2] === 'status' || parts[2] === 'finalize'))) {
      namespace = parts[1]
      parts = parts.slice(2)
    }
    const type = group === '' && parts[0] === 'namespaces' ? namespaceType : this.registry.forPath(group, version, parts[0]!)
    if (!type || (namespace !== undefined && !type.namespaced)) throw new ApiStatusError(404, 'NotFound', 'the server could not find the requested resource')
    return {type, version, namespace, name: parts[1], subresource: parts[2], rest: parts.slice(3)}
  }

  private writeOptions(req: IncomingMessage, url: URL, subresource?: 'status') {
    const dryRun = url.searchParams.getAll('dryRun')
    if (dryRun.some((v) => v !== 'All')) throw badRequest(`Invalid dry run value: ${dryRun.join(',')}; supported values: All`)
    const fieldValidation = url.searchParams.get('fieldValidation') ?? 'Warn'
    if (!['Strict', 'Warn', 'Ignore'].includes(fieldValidation)) throw badRequest(`fieldValidation "${fieldValidation}" is invalid: must be one of Ignore, Warn, Strict`)
    return {
      dryRun: dryRun.includes('All'),
      fieldManager: url.searchParams.get('fieldManager') ?? '',
      fieldValidation: fieldValidation as FieldValidation,
      warnings: [] as string[],
      subresource,
      force: url.searchParams.get('force') === 'true',
      userAgentManager: managerFromUserAgent(req.headers['user-agent']),
    }
  }

  private async serveResource(req: IncomingMessage, res: ServerResponse, url: URL, target: ResourceRequest): Promise<void> {
    const {type, version, namespace, name, subresource} = target
    const method = req.method ?? 'GET'
    if (subresource === 'proxy') {
      const body = method === 'GET' || method === 'HEAD' ? undefined : Buffer.from(await readBody(req))
      const request = {namespace: namespace ?? '', name: name!, rest: target.rest, method, query: url.searchParams, headers: req.headers, body}
      const response = type.kind === 'Pod' ? await proxyToPod(this.store, this.mesh, request) : type.kind === 'Service' ? await proxyToService(this.store, this.mesh, request) : undefined
      if (!response) throw new ApiStatusError(404, 'NotFound', 'the server could not find the requested resource')
      res.writeHead(response.status, response.headers)
      res.end(response.body)
      return
    }
    if (subresource === 'log' && type.kind === 'Pod' && name) {
      const pod = this.api.get(type, namespace, name)
      const container = url.searchParams.get('container') ?? ((pod.spec as {containers?: {name: string}[]})?.containers?.[0]?.name ?? '')
      const log = this.mesh?.podLogs?.(namespace ?? '', name, container)
      if (log !== undefined) return send(res, 200, log, 'text/plain')
      return send(res, 200, `simulated container ${container} of pod ${namespace}/${name}: the kubectl-gw sandbox runs no processes, so there are no logs\n`, 'text/plain')
    }
    if (subresource === 'scale' && (type.kind === 'Deployment' || type.kind === 'ReplicaSet') && name) return this.serveScale(req, res, url, target)
    if (subresource && subresource !== 'status') throw new ApiStatusError(404, 'NotFound', 'the server could not find the requested resource')
    const options = this.writeOptions(req, url, subresource === 'status' ? 'status' : undefined)
    const manager = options.fieldManager || options.userAgentManager
    const present = (object: StoredObject) => this.api.present(object, type, version)
    // Unknown fields dropped under fieldValidation=Warn reach kubectl as Warning headers.
    const respond = async (status: number, body: unknown) => {
      await this.store.durable()
      if (options.warnings.length > 0) res.setHeader('Warning', options.warnings.map((w) => `299 - ${JSON.stringify(w)}`))
      send(res, status, body)
    }
    if (!name) {
      if (method === 'GET') return this.serveList(req, res, url, target)
      if (method === 'POST') {
        const body = await readObject(req)
        const created = await this.api.create(type, version, namespace, body, {...options, fieldManager: manager, subresource: undefined})
        return respond(201, present(created))
      }
      if (method === 'DELETE') {
        const objects = this.store.list(type.group, type.kind, namespace).filter(this.selectorFilter(url, type))
        const deleted = []
        for (const object of objects) deleted.push(present(await this.api.delete(type, namespace, object.metadata.name, options)))
        return respond(200, {kind: `${type.kind}List`, apiVersion: deleted[0]?.apiVersion ?? type.versions[0], metadata: {resourceVersion: String(this.store.resourceVersion)}, items: deleted})
      }
      throw new ApiStatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`)
    }
    switch (method) {
      case 'GET': {
        const object = present(this.api.get(type, namespace, name))
        return this.sendObjects(req, res, type, [object], undefined, object)
      }
      case 'PUT': {
        const body = await readObject(req)
        const updated = await this.api.update(type, version, namespace, name, body, {...options, fieldManager: manager})
        return respond(200, present(updated))
      }
      case 'PATCH': {
        const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim()
        const patchType: PatchType | undefined = patchContentTypes[contentType]
        if (!patchType) throw new ApiStatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${Object.keys(patchContentTypes).join(', ')}`)
        const body = refuseDeepNesting(await readBody(req))
        const existed = this.store.get(type.group, type.kind, type.namespaced ? namespace : undefined, name) !== undefined
        const fieldManager = patchType === 'apply' ? options.fieldManager : manager
        const patched = await this.api.patch(type, version, namespace, name, patchType, body, {...options, fieldManager})
        return respond(existed ? 200 : 201, present(patched))
      }
      case 'DELETE': {
        const deleted = await this.api.delete(type, namespace, name, options)
        return respond(200, present(deleted))
      }
      default:
        throw new ApiStatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource')
    }
  }

  private async serveScale(req: IncomingMessage, res: ServerResponse, url: URL, target: ResourceRequest): Promise<void> {
    const {type, version, namespace, name} = target
    const scaleOf = (object: StoredObject) => {
      const spec = object.spec as {replicas?: number; selector?: {matchLabels?: Record<string, string>}}
      const status = (object.status ?? {}) as {replicas?: number}
      return {
        kind: 'Scale',
        apiVersion: 'autoscaling/v1',
        metadata: {name: object.metadata.name, namespace: object.metadata.namespace, uid: object.metadata.uid, resourceVersion: object.metadata.resourceVersion, creationTimestamp: object.metadata.creationTimestamp},
        spec: {replicas: spec.replicas ?? 0},
        status: {replicas: status.replicas ?? 0, selector: Object.entries(spec.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',')},
      }
    }
    const current = this.api.get(type, namespace, name!)
    if (req.method === 'GET') return send(res, 200, scaleOf(current))
    const options = this.writeOptions(req, url)
    const body = await readBody(req)
    let replicas: unknown
    if (req.method === 'PUT') {
      const scale = parseBody(body, req.headers['content-type']) as {spec?: {replicas?: number}; metadata?: {resourceVersion?: string}}
      replicas = scale.spec?.replicas
    } else if (req.method === 'PATCH') {
      const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim()
      const patch = parseBody(body, 'application/json') as Json
      const scale = JSON.parse(JSON.stringify(scaleOf(current))) as Json
      const patched = (contentType === 'application/json-patch+json' ? applyJsonPatch(scale, patch) : applyMergePatch(scale, patch)) as {spec?: {replicas?: number}}
      replicas = patched.spec?.replicas
    } else throw new ApiStatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource')
    if (typeof replicas !== 'number' || replicas < 0) throw new ApiStatusError(422, 'Invalid', `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`)
    const updated = await this.api.patch(type, version, namespace, name!, 'merge', JSON.stringify({spec: {replicas}}), {...options, fieldManager: options.fieldManager || options.userAgentManager})
    await this.store.durable()
    return send(res, 200, scaleOf(updated))
  }

  private selectorFilter(url: URL, type: ResourceType): (object: StoredObject) => boolean {
    const labelSelector = url.searchParams.get('labelSelector')
    const fieldSelector = url.searchParams.get('fieldSelector')
    const labels = labelSelector ? parseLabelSelector(labelSelector) : []
    const fields = fieldSelector ? parseFieldSelector(fieldSelector, type.kind) : []
    if (labels.length === 0 && fields.length === 0) return () => true
    return (object) => matchesLabels(labels, object.metadata.labels) && matchesFields(fields, object)
  }

  private async serveList(req: IncomingMessage, res: ServerResponse, url: URL, target: ResourceRequest): Promise<void> {
    const {type, version, namespace} = target
    const keep = this.selectorFilter(url, type)
    const watch = url.searchParams.get('watch')
    if (watch === 'true' || watch === '1') return this.serveWatch(req, res, url, target, keep)
    const limit = Number.parseInt(url.searchParams.get('limit') ?? '0', 10) || 0
    const continueToken = url.searchParams.get('continue')
    let afterKey: string | undefined
    if (continueToken) {
      try {
        afterKey = (JSON.parse(Buffer.from(continueToken, 'base64url').toString('utf8')) as {start: string}).start
      } catch {
        throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)')
      }
      if (typeof afterKey !== 'string') throw badRequest('continue key is not valid')
    }
    const all = this.store.list(type.group, type.kind, type.namespaced ? namespace : undefined)
    const page = pageOf(all, afterKey, limit, keep)
    const resourceVersion = String(this.store.resourceVersion)
    const metadata: Record<string, unknown> = {resourceVersion}
    if (page.nextKey) {
      metadata.continue = Buffer.from(JSON.stringify({v: 'meta.k8s.io/v1', rv: Number(resourceVersion), start: page.nextKey})).toString('base64url')
      if (!url.searchParams.get('labelSelector') && !url.searchParams.get('fieldSelector')) metadata.remainingItemCount = page.remaining
    }
    const apiVersion = type.group ? `${type.group}/${version}` : version
    const items = page.items.map((object) => this.api.present(object, type, version))
    return this.sendObjects(req, res, type, items, {kind: `${type.kind}List`, apiVersion, metadata, items}, undefined, metadata)
  }

  /** Sends a Table when kubectl asks for one (`as=Table`), else the object or list itself. */
  private sendObjects(req: IncomingMessage, res: ServerResponse, type: ResourceType, objects: StoredObject[], list: unknown, single?: StoredObject, listMetadata: Record<string, unknown> = {}): void {
    const accept = req.headers.accept ?? ''
    const tableMatch = /as=Table;v=(v1(?:beta1)?);g=meta\.k8s\.io/.exec(accept)
    if (tableMatch) return send(res, 200, toTable(type.group, type.kind, objects, single ? {resourceVersion: single.metadata.resourceVersion} : listMetadata, tableMatch[1]!, this.now()))
    send(res, 200, single ?? list)
  }

  private serveWatch(req: IncomingMessage, res: ServerResponse, url: URL, target: ResourceRequest, keep: (object: StoredObject) => boolean): void {
    const {type, version, namespace} = target
    const fromParam = url.searchParams.get('resourceVersion')
    const timeoutSeconds = Number.parseInt(url.searchParams.get('timeoutSeconds') ?? '1800', 10)
    const nameFilter = /^metadata\.name=(.+)$/.exec(url.searchParams.get('fieldSelector') ?? '')?.[1]
    const asTable = /as=Table/.test(req.headers.accept ?? '')
    res.writeHead(200, {'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private'})
    res.flushHeaders()
    const emit = (eventType: string, object: StoredObject) => {
      const presented = this.api.present(object, type, version)
      const payload = asTable ? toTable(type.group, type.kind, [presented], {resourceVersion: object.metadata.resourceVersion}, 'v1', this.now()) : presented
      res.write(`${JSON.stringify({type: eventType, object: payload})}\n`)
    }
    const matches = (object: StoredObject) =>
      object.kind === type.kind && (!type.namespaced || namespace === undefined || object.metadata.namespace === namespace) && keep(object)
    const bookmarks = url.searchParams.get('allowWatchBookmarks') === 'true'
    const bookmark = (annotations?: Record<string, string>) =>
      res.write(`${JSON.stringify({type: 'BOOKMARK', object: {kind: type.kind, apiVersion: type.group ? `${type.group}/${version}` : version, metadata: {resourceVersion: String(this.store.resourceVersion), ...(annotations ? {annotations} : {})}}})}\n`)
    const initialEvents = url.searchParams.get('sendInitialEvents') === 'true'
    let from: number
    if (!fromParam || fromParam === '0' || initialEvents) {
      from = this.store.resourceVersion
      for (const object of this.store.list(type.group, type.kind, type.namespaced ? namespace : undefined)) if (keep(object)) emit('ADDED', object)
      // The WatchList protocol: a bookmark marks the end of the initial state.
      if (initialEvents && bookmarks) bookmark({'k8s.io/initial-events-end': 'true'})
    } else {
      from = Number.parseInt(fromParam, 10)
      if (!Number.isFinite(from) || from < this.store.oldestWatchable) {
        res.end(`${JSON.stringify({type: 'ERROR', object: new ApiStatusError(410, 'Expired', `too old resource version: ${fromParam} (${this.store.oldestWatchable})`).toStatus()})}\n`)
        return
      }
    }
    // An object leaving the selection (labels changed) is reported as DELETED, as the apiserver does.
    const selected = new Set<string>()
    const stop = this.store.watch(from, (event) => {
      if (event.group !== type.group || event.object.kind !== type.kind) return
      if (nameFilter && event.object.metadata.name !== nameFilter) return
      const key = `${event.object.metadata.namespace ?? ''}/${event.object.metadata.name}`
      if (matches(event.object)) {
        selected.add(key)
        emit(event.type, event.object)
      } else if (selected.delete(key) && event.type === 'MODIFIED') emit('DELETED', event.object)
    })
    this.openWatches.add(res)
    const finish = () => {
      stop()
      clearTimeout(timer)
      clearInterval(ticker)
      this.openWatches.delete(res)
      if (!res.writableEnded) res.end()
    }
    const timer = setTimeout(finish, Math.max(1, timeoutSeconds) * 1000)
    timer.unref()
    const ticker = bookmarks ? setInterval(() => bookmark(), 60_000) : undefined
    ticker?.unref()
    req.on('close', finish)
  }

  /** A resource type by group and kind (used by controllers and the world builder). */
  typeOf(group: string, kind: string): ResourceType {
    const type = this.registry.forKind(group, kind)
    if (!type) throw notFound('kinds', group, kind)
    return type
  }
}
