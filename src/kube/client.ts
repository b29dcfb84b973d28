import {ExitCode} from '../errors.ts'
import {KubeApiError, isConflict, isNotFound, type RequestIntent} from './api-errors.ts'
import type {HttpsTransport, KubeRequest, KubeResponse} from './transport.ts'
import type {ClusterConnection} from './kubeconfig.ts'
import type {KubeObject, ObjectRef} from './objects.ts'


export interface ApiResource {
  group: string
  version: string
  kind: string
  /** Plural name used in URLs, e.g. "virtualservices". */
  name: string
  namespaced: boolean
  verbs: string[]
  shortNames: string[]
}

export interface ServedGroup {
  name: string
  versions: string[]
  preferredVersion?: string
}

export interface ApiDiscovery {
  groups: ServedGroup[]
}

export interface ServerVersion {
  major: string
  minor: string
  gitVersion: string
  platform?: string
}

export interface ListOptions {
  /** Omit (or "") for all namespaces, like -A. Ignored for cluster-scoped kinds. */
  namespace?: string
  labelSelector?: string
  fieldSelector?: string
  /** Items per page (limit/continue). */
  pageSize?: number
}

export interface WriteOptions {
  /** Server-side dry run (?dryRun=All): validated and defaulted, never persisted. */
  dryRun?: boolean
}

export interface ApplyOptions extends WriteOptions {
  fieldManager?: string
  /** Take ownership of fields another manager owns (kubectl --force-conflicts). */
  force?: boolean
}

export interface RawGetOptions {
  /** This request's own time limit in ms, instead of --request-timeout. */
  timeoutMs?: number
}

export type PatchType = 'json' | 'merge' | 'strategic'

export interface UpdateOptions extends WriteOptions {
  /** How many times a 409 (someone else wrote in between) is retried with a fresh read. */
  attempts?: number
  fieldManager?: string
}

/** The one door to the cluster. Everything in the core talks to the API through this. */
export interface KubeClient {
  connection(): Promise<ClusterConnection>
  serverVersion(): Promise<ServerVersion>
  discovery(): Promise<ApiDiscovery>
  /** The API resource for a kind, or undefined when the server does not serve it. */
  resourceFor(apiVersion: string, kind: string): Promise<ApiResource | undefined>
  /** undefined when the object does not exist. */
  get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T | undefined>
  /** Every page, following metadata.continue. */
  list<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, options?: ListOptions): Promise<T[]>
  create<T extends KubeObject = KubeObject>(object: T, options?: WriteOptions): Promise<T>
  /** Server-side apply (PATCH application/apply-patch+yaml). */
  apply<T extends KubeObject = KubeObject>(object: T, options?: ApplyOptions): Promise<T>
  /** PUT guarded by metadata.resourceVersion: a stale object gets a 409. */
  replace<T extends KubeObject = KubeObject>(object: T, options?: WriteOptions): Promise<T>
  /** Read, change, write with the read resourceVersion; retried on 409. `mutate` returning undefined skips the write. */
  update<T extends KubeObject = KubeObject>(ref: ObjectRef, mutate: (current: T) => T | undefined | Promise<T | undefined>, options?: UpdateOptions): Promise<T>
  patch<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: unknown, type: PatchType, options?: ApplyOptions): Promise<T>
  /** false when it was already gone. */
  delete(ref: ObjectRef, options?: WriteOptions): Promise<boolean>
  /** A GET of any API path (pod proxy, /version, ...), body as bytes. */
  getRaw(path: string, intent: RequestIntent, query?: KubeRequest['query'], options?: RawGetOptions): Promise<Buffer>
  close(): void
}

export function splitApiVersion(apiVersion: string): {group: string; version: string} {
  const slash = apiVersion.indexOf('/')
  return slash < 0 ? {group: '', version: apiVersion} : {group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1)}
}

function groupVersionPath(apiVersion: string): string {
  const {group, version} = splitApiVersion(apiVersion)
  return group === '' ? `/api/${version}` : `/apis/${group}/${version}`
}

export function qualifiedResource(resource: Pick<ApiResource, 'group' | 'name'>): string {
  return resource.group ? `${resource.name}.${resource.group}` : resource.name
}

/** kubectl's guess of a plural, for messages about kinds the server does not serve. */
function guessPlural(kind: string): string {
  const lower = kind.toLowerCase()
  if (lower.endsWith('s')) return `${lower}es`
  if (lower.endsWith('y')) return `${lower.slice(0, -1)}ies`
  return `${lower}s`
}

const defaultPageSize = 500

/** KubeClient over HTTPS. The connection (kubeconfig) is resolved on first use, never earlier. */
const allVerbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']
const builtIn = (group: string, version: string, kind: string, name: string, namespaced: boolean, shortNames: string[]): ApiResource => ({group, version, kind, name, namespaced, verbs: allVerbs, shortNames})

/** Kinds every Kubernetes API server serves, known without a discovery round trip. */
const builtInResources: ApiResource[] = [
  builtIn('', 'v1', 'Namespace', 'namespaces', false, ['ns']),
  builtIn('', 'v1', 'Pod', 'pods', true, ['po']),
  builtIn('', 'v1', 'Service', 'services', true, ['svc']),
  builtIn('', 'v1', 'Secret', 'secrets', true, []),
  builtIn('', 'v1', 'ConfigMap', 'configmaps', true, ['cm']),
  builtIn('', 'v1', 'Endpoints', 'endpoints', true, ['ep']),
  builtIn('apps', 'v1', 'Deployment', 'deployments', true, ['deploy']),
  builtIn('apps', 'v1', 'ReplicaSet', 'replicasets', true, ['rs']),
]

export class HttpKubeClient implements KubeClient {
  private transportPromise?: Promise<HttpsTransport>
  private readonly makeTransport: () => Promise<HttpsTransport>
  private readonly resourceLists = new Map<string, Promise<ApiResource[] | undefined>>()
  private discoveryPromise?: Promise<ApiDiscovery>

  constructor(makeTransport: () => Promise<HttpsTransport>) {
    this.makeTransport = makeTransport
  }

  private transport(): Promise<HttpsTransport> {
    this.transportPromise ??= this.makeTransport()
    return this.transportPromise
  }

  async connection(): Promise<ClusterConnection> {
    return (await this.transport()).connection
  }

  private async send(req: KubeRequest): Promise<KubeResponse> {
    return (await this.transport()).request(req)
  }

  private async sendJson<T>(req: KubeRequest): Promise<T> {
    const response = await this.send(req)
    return JSON.parse(response.body.toString()) as T
  }

  async serverVersion(): Promise<ServerVersion> {
    return this.sendJson<ServerVersion>({method: 'GET', path: '/version', intent: {verb: 'get', resource: 'version'}})
  }

  discovery(): Promise<ApiDiscovery> {
    this.discoveryPromise ??= (async () => {
      const intent: RequestIntent = {verb: 'get', resource: 'apigroups'}
      // The core group has served v1 alone since Kubernetes 1.0: no need to ask /api.
      const groups = await this.sendJson<{groups?: {name: string; versions: {version: string}[]; preferredVersion?: {version: string}}[]}>({method: 'GET', path: '/apis', intent})
      return {
        groups: [
          {name: '', versions: ['v1'], preferredVersion: 'v1'},
          ...(groups.groups ?? []).map((g) => ({name: g.name, versions: g.versions.map((v) => v.version), preferredVersion: g.preferredVersion?.version})),
        ],
      }
    })()
    this.discoveryPromise.catch(() => (this.discoveryPromise = undefined))
    return this.discoveryPromise
  }

  private resourcesOf(apiVersion: string): Promise<ApiResource[] | undefined> {
    let cached = this.resourceLists.get(apiVersion)
    if (!cached) {
      const {group, version} = splitApiVersion(apiVersion)
      cached = (async () => {
        try {
          const list = await this.sendJson<{resources?: {name: string; kind: string; namespaced: boolean; verbs?: string[]; shortNames?: string[]}[]}>({
            method: 'GET',
            path: groupVersionPath(apiVersion),
            intent: {verb: 'get', resource: `apiresources.${apiVersion}`},
          })
          return (list.resources ?? [])
            .filter((r) => !r.name.includes('/'))
            .map((r) => ({group, version, kind: r.kind, name: r.name, namespaced: r.namespaced, verbs: r.verbs ?? [], shortNames: r.shortNames ?? []}))
        } catch (error) {
          if (isNotFound(error)) return undefined
          throw error
        }
      })()
      cached.catch(() => this.resourceLists.delete(apiVersion))
      this.resourceLists.set(apiVersion, cached)
    }
    return cached
  }

  async resourceFor(apiVersion: string, kind: string): Promise<ApiResource | undefined> {
    const builtIn = builtInResources.find((r) => r.kind === kind && (r.group ? `${r.group}/${r.version}` : r.version) === apiVersion)
    if (builtIn) return builtIn
    const resources = await this.resourcesOf(apiVersion)
    return resources?.find((r) => r.kind === kind)
  }

  private async requireResource(apiVersion: string, kind: string, verb: RequestIntent['verb']): Promise<ApiResource> {
    const resource = await this.resourceFor(apiVersion, kind)
    if (!resource) {
      const {group} = splitApiVersion(apiVersion)
      const intent: RequestIntent = {verb, resource: group ? `${guessPlural(kind)}.${group}` : guessPlural(kind)}
      throw new KubeApiError(
        `the server doesn't have a resource type "${kind}" in ${apiVersion}`,
        ExitCode.usage,
        404,
        'NotFound',
        [],
        intent,
        group.endsWith('istio.io') ? 'is Istio installed? (kubectl get crd | grep istio.io)' : group ? `is the CRD for ${group} installed?` : undefined,
      )
    }
    return resource
  }

  private objectPath(resource: ApiResource, apiVersion: string, namespace: string | undefined, name?: string): string {
    const base = groupVersionPath(apiVersion)
    const ns = resource.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''
    return `${base}${ns}/${resource.name}${name ? `/${encodeURIComponent(name)}` : ''}`
  }

  private intent(resource: ApiResource, verb: RequestIntent['verb'], namespace?: string, name?: string): RequestIntent {
    return {verb, resource: qualifiedResource(resource), namespace: resource.namespaced ? namespace : undefined, name}
  }

  private namespaceOf(resource: ApiResource, namespace: string | undefined, what: string): string | undefined {
    if (!resource.namespaced) return undefined
    if (!namespace) throw new KubeApiError(`${what}: a namespace is required for ${qualifiedResource(resource)}`, ExitCode.usage, 400, 'BadRequest', [], {verb: 'get', resource: qualifiedResource(resource)})
    return namespace
  }

  async get<T extends KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    const resource = await this.requireResource(ref.apiVersion, ref.kind, 'get')
    const namespace = this.namespaceOf(resource, ref.namespace, `get ${ref.kind} ${ref.name}`)
    try {
      return await this.sendJson<T>({method: 'GET', path: this.objectPath(resource, ref.apiVersion, namespace, ref.name), intent: this.intent(resource, 'get', namespace, ref.name)})
    } catch (error) {
      if (isNotFound(error)) return undefined
      throw error
    }
  }

  async list<T extends KubeObject>(apiVersion: string, kind: string, options: ListOptions = {}): Promise<T[]> {
    const resource = await this.requireResource(apiVersion, kind, 'list')
    const path = this.objectPath(resource, apiVersion, options.namespace || undefined)
    const items: T[] = []
    let continueToken: string | undefined
    do {
      const page = await this.sendJson<{items?: T[]; metadata?: {continue?: string}}>({
        method: 'GET',
        path,
        query: {
          labelSelector: options.labelSelector,
          fieldSelector: options.fieldSelector,
          limit: options.pageSize ?? defaultPageSize,
          continue: continueToken,
        },
        intent: this.intent(resource, 'list', options.namespace || undefined),
      })
      for (const item of page.items ?? []) {
        // List items carry no apiVersion/kind on a real server; put them back so objects are self-describing.
        item.apiVersion ??= apiVersion
        item.kind ??= kind
        items.push(item)
      }
      continueToken = page.metadata?.continue || undefined
    } while (continueToken)
    return items
  }

  async create<T extends KubeObject>(object: T, options: WriteOptions = {}): Promise<T> {
    const resource = await this.requireResource(object.apiVersion, object.kind, 'create')
    const namespace = this.namespaceOf(resource, object.metadata.namespace, `create ${object.kind} ${object.metadata.name}`)
    return this.sendJson<T>({
      method: 'POST',
      path: this.objectPath(resource, object.apiVersion, namespace),
      query: {dryRun: options.dryRun ? 'All' : undefined, fieldManager: 'kubectl-gw'},
      body: JSON.stringify(object),
      intent: this.intent(resource, 'create', namespace, object.metadata.name),
    })
  }

  async apply<T extends KubeObject>(object: T, options: ApplyOptions = {}): Promise<T> {
    const resource = await this.requireResource(object.apiVersion, object.kind, 'apply')
    const name = object.metadata.name
    const namespace = this.namespaceOf(resource, object.metadata.namespace, `apply ${object.kind} ${name}`)
    return this.sendJson<T>({
      method: 'PATCH',
      path: this.objectPath(resource, object.apiVersion, namespace, name),
      query: {fieldManager: options.fieldManager ?? 'kubectl-gw', force: options.force ? true : undefined, dryRun: options.dryRun ? 'All' : undefined},
      body: JSON.stringify(object),
      contentType: 'application/apply-patch+yaml',
      intent: this.intent(resource, 'apply', namespace, name),
    })
  }

  async replace<T extends KubeObject>(object: T, options: WriteOptions = {}): Promise<T> {
    const resource = await this.requireResource(object.apiVersion, object.kind, 'update')
    const name = object.metadata.name
    const namespace = this.namespaceOf(resource, object.metadata.namespace, `update ${object.kind} ${name}`)
    return this.sendJson<T>({
      method: 'PUT',
      path: this.objectPath(resource, object.apiVersion, namespace, name),
      query: {dryRun: options.dryRun ? 'All' : undefined, fieldManager: 'kubectl-gw'},
      body: JSON.stringify(object),
      intent: this.intent(resource, 'update', namespace, name),
    })
  }

  async update<T extends KubeObject>(ref: ObjectRef, mutate: (current: T) => T | undefined | Promise<T | undefined>, options: UpdateOptions = {}): Promise<T> {
    const attempts = options.attempts ?? 5
    for (let attempt = 1; ; attempt++) {
      const current = await this.get<T>(ref)
      if (!current) {
        const resource = await this.requireResource(ref.apiVersion, ref.kind, 'update')
        throw new KubeApiError(`Error from server (NotFound): ${qualifiedResource(resource)} "${ref.name}" not found`, ExitCode.usage, 404, 'NotFound', [], this.intent(resource, 'update', ref.namespace, ref.name))
      }
      const next = await mutate(structuredClone(current))
      if (!next) return current
      next.metadata.resourceVersion = current.metadata.resourceVersion
      try {
        return await this.replace(next, options)
      } catch (error) {
        if (!isConflict(error) || attempt >= attempts) throw error
      }
    }
  }

  async patch<T extends KubeObject>(ref: ObjectRef, patch: unknown, type: PatchType, options: ApplyOptions = {}): Promise<T> {
    const resource = await this.requireResource(ref.apiVersion, ref.kind, 'patch')
    const namespace = this.namespaceOf(resource, ref.namespace, `patch ${ref.kind} ${ref.name}`)
    const contentType = {json: 'application/json-patch+json', merge: 'application/merge-patch+json', strategic: 'application/strategic-merge-patch+json'}[type]
    return this.sendJson<T>({
      method: 'PATCH',
      path: this.objectPath(resource, ref.apiVersion, namespace, ref.name),
      query: {dryRun: options.dryRun ? 'All' : undefined, fieldManager: options.fieldManager ?? 'kubectl-gw'},
      body: JSON.stringify(patch),
      contentType,
      intent: this.intent(resource, 'patch', namespace, ref.name),
    })
  }

  async delete(ref: ObjectRef, options: WriteOptions = {}): Promise<boolean> {
    const resource = await this.requireResource(ref.apiVersion, ref.kind, 'delete')
    const namespace = this.namespaceOf(resource, ref.namespace, `delete ${ref.kind} ${ref.name}`)
    try {
      await this.send({
        method: 'DELETE',
        path: this.objectPath(resource, ref.apiVersion, namespace, ref.name),
        query: {dryRun: options.dryRun ? 'All' : undefined},
        intent: this.intent(resource, 'delete', namespace, ref.name),
      })
      return true
    } catch (error) {
      if (isNotFound(error)) return false
      throw error
    }
  }

  async getRaw(path: string, intent: RequestIntent, query?: KubeRequest['query'], options: RawGetOptions = {}): Promise<Buffer> {
    const response = await this.send({method: 'GET', path, query, accept: '*/*', intent, timeoutMs: options.timeoutMs})
    return response.body
  }

  close(): void {
    void this.transportPromise?.then((t) => t.close()).catch(() => undefined)
  }
}
