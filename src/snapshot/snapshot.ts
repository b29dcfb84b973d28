/**
 * One read of the cluster for checks: one paginated list per kind (all namespaces), the kinds
 * fetched concurrently; a kind the server does not serve (CRD not installed) or may not be listed
 * (403) is recorded with the reason, never thrown. Secrets are not listed: only the credentials
 * that Gateways name are read, in the namespaces where Istio looks for them (and, to name the
 * classic mistake, the Gateway's own).
 */
import type {KubeClient} from '../kube/client.ts'
import {KubeApiError} from '../kube/api-errors.ts'
import type {CustomResourceDefinition, Deployment, KubeObject, Pod, Secret, Service} from '../kube/objects.ts'
import {servedIstioApis} from '../istio/api-versions.ts'
import {cacertSecretName, credentialReferences} from '../istio/credentials.ts'
import {gatewayWorkloadFinder} from '../istio/gateway-workload.ts'
import type {GatewayProxy} from '../doctor/live.ts'
import type {Sample} from '../metrics/exposition.ts'
import type {DestinationRule, IstioGateway, KubernetesGateway, KubernetesHttpRoute, ServiceEntry, VirtualService} from '../istio/types.ts'

/** What each kind holds: the names checks declare as their inputs. */
export interface SnapshotKinds {
  CustomResourceDefinition: CustomResourceDefinition
  Deployment: Deployment
  Pod: Pod
  Service: Service
  Gateway: IstioGateway
  VirtualService: VirtualService
  DestinationRule: DestinationRule
  ServiceEntry: ServiceEntry
  KubernetesGateway: KubernetesGateway
  HTTPRoute: KubernetesHttpRoute
  /** Only the credentials Gateways reference (and their -cacert companions), where Istio reads them and in the Gateway's namespace. */
  Secret: Secret
  /** Live: what Envoy runs on each gateway pod (config_dump, clusters, stats), or why it could not be read. */
  GatewayProxy: GatewayProxy
  /** Live: istiod's own metrics (pilot_total_rejected_configs ...). */
  IstiodMetric: Sample
}

export type SnapshotKind = keyof SnapshotKinds

export type KindState<T> = {status: 'ok'; items: T[]} | {status: 'absent' | 'forbidden' | 'failed'; reason: string}

/** The checks' view of the cluster; `items` of a kind that is not ok throws (the runner skips such checks first). */
export interface Snapshot {
  readonly now: Date
  /** Istio version from istiod's image, when known. */
  readonly istioVersion?: string
  state(kind: SnapshotKind): KindState<unknown>
  items<K extends SnapshotKind>(kind: K): SnapshotKinds[K][]
}

export class SnapshotData implements Snapshot {
  readonly now: Date
  readonly istioVersion?: string
  private readonly kinds: Map<SnapshotKind, KindState<unknown>>

  constructor(kinds: Map<SnapshotKind, KindState<unknown>>, now: Date, istioVersion?: string) {
    this.kinds = kinds
    this.now = now
    this.istioVersion = istioVersion
  }

  state(kind: SnapshotKind): KindState<unknown> {
    return this.kinds.get(kind) ?? {status: 'absent', reason: `${kind} was not read`}
  }

  items<K extends SnapshotKind>(kind: K): SnapshotKinds[K][] {
    const state = this.state(kind)
    if (state.status !== 'ok') throw new Error(`${kind} is ${state.status}: ${state.reason}`)
    return state.items as SnapshotKinds[K][]
  }

  /** Every object read, for bundles (secret data is removed by the caller). */
  allObjects(): KubeObject[] {
    return [...this.kinds.values()].flatMap((s) => (s.status === 'ok' ? (s.items as KubeObject[]) : []))
  }

  /** Adds what is read later (the live layer). */
  set<K extends SnapshotKind>(kind: K, state: KindState<SnapshotKinds[K]>): void {
    this.kinds.set(kind, state)
  }

  /** The state of every kind, for the report. */
  states(): [SnapshotKind, KindState<unknown>][] {
    return [...this.kinds.entries()]
  }
}

/** Where each listed kind is served; Istio's version is discovered, Gateway API is v1. */
function listedKinds(istioNetworking: string | undefined, gatewayApi: boolean): [Exclude<SnapshotKind, 'Secret'>, string | undefined, string, string][] {
  const istio = istioNetworking ? `networking.istio.io/${istioNetworking}` : undefined
  const gwApi = gatewayApi ? 'gateway.networking.k8s.io/v1' : undefined
  return [
    ['CustomResourceDefinition', 'apiextensions.k8s.io/v1', 'CustomResourceDefinition', ''],
    ['Deployment', 'apps/v1', 'Deployment', ''],
    ['Pod', 'v1', 'Pod', ''],
    ['Service', 'v1', 'Service', ''],
    ['Gateway', istio, 'Gateway', 'networking.istio.io is not served (Istio CRDs not installed)'],
    ['VirtualService', istio, 'VirtualService', 'networking.istio.io is not served (Istio CRDs not installed)'],
    ['DestinationRule', istio, 'DestinationRule', 'networking.istio.io is not served (Istio CRDs not installed)'],
    ['ServiceEntry', istio, 'ServiceEntry', 'networking.istio.io is not served (Istio CRDs not installed)'],
    ['KubernetesGateway', gwApi, 'Gateway', 'gateway.networking.k8s.io is not served (Gateway API CRDs not installed)'],
    ['HTTPRoute', gwApi, 'HTTPRoute', 'gateway.networking.k8s.io is not served (Gateway API CRDs not installed)'],
  ]
}

function failure(error: unknown, what: string): KindState<never> {
  if (error instanceof KubeApiError) {
    if (error.status === 403) return {status: 'forbidden', reason: `forbidden: cannot ${error.intent.verb} ${error.intent.resource}${error.intent.namespace ? ` in namespace ${error.intent.namespace}` : ' at the cluster scope'}`}
    if (error.status === 404) return {status: 'absent', reason: `${what} is not served`}
  }
  throw error
}

export interface SnapshotOptions {
  pageSize?: number
  now: Date
  /** Called as each kind arrives (progress). */
  onKind?: (kind: SnapshotKind, state: KindState<unknown>) => void
}

/** Reads the cluster once. Throws only what stops everything (unreachable, unauthorised). */
export async function readSnapshot(kube: KubeClient, options: SnapshotOptions): Promise<SnapshotData> {
  const apis = servedIstioApis(await kube.discovery())
  const kinds = new Map<SnapshotKind, KindState<unknown>>()
  const record = (kind: SnapshotKind, state: KindState<unknown>) => {
    kinds.set(kind, state)
    options.onKind?.(kind, state)
  }
  await Promise.all(
    listedKinds(apis.preferredNetworkingVersion, apis.gatewayApiVersions.includes('v1')).map(async ([name, apiVersion, kind, absentReason]) => {
      if (!apiVersion) return record(name, {status: 'absent', reason: absentReason})
      try {
        const items = await kube.list(apiVersion, kind, {pageSize: options.pageSize})
        for (const item of items) withoutBookkeeping(item)
        record(name, {status: 'ok', items})
      } catch (error) {
        record(name, failure(error, `${kind} (${apiVersion})`))
      }
    }),
  )
  record('Secret', await readCredentials(kube, kinds))
  return new SnapshotData(kinds, options.now, istioVersionOf(kinds))
}

/** What no check reads and a big cluster has a lot of: field managers and kubectl's last-applied copy of the spec. */
function withoutBookkeeping(object: KubeObject): void {
  delete object.metadata.managedFields
  if (object.metadata.annotations) delete object.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']
}

function okItems<T>(kinds: Map<SnapshotKind, KindState<unknown>>, kind: SnapshotKind): T[] | undefined {
  const state = kinds.get(kind)
  return state?.status === 'ok' ? (state.items as T[]) : undefined
}

function istioVersionOf(kinds: Map<SnapshotKind, KindState<unknown>>): string | undefined {
  const istiod = okItems<Deployment>(kinds, 'Deployment')?.find((d) => d.metadata.labels?.app === 'istiod')
  const image = istiod?.spec?.template?.spec?.containers?.[0]?.image
  return image?.match(/:(\d+\.\d+(?:\.\d+)?)/)?.[1]
}

const credentialConcurrency = 16

/** GETs the named credential secrets where Istio looks (and where users mistakenly put them). */
async function readCredentials(kube: KubeClient, kinds: Map<SnapshotKind, KindState<unknown>>): Promise<KindState<Secret>> {
  const wanted = new Map<string, {namespace: string; name: string}>()
  const want = (namespace: string | undefined, name: string) => {
    if (namespace) wanted.set(`${namespace}/${name}`, {namespace, name})
  }
  const gateways = okItems<IstioGateway>(kinds, 'Gateway') ?? []
  const pods = okItems<Pod>(kinds, 'Pod')
  if (!pods && gateways.length > 0) return {status: 'absent', reason: 'not read: without Pods the gateway workload namespace where Istio reads credentials is unknown'}
  if (pods) {
    const workloadOf = gatewayWorkloadFinder(pods)
    for (const reference of credentialReferences(gateways, (selector) => workloadOf(selector)?.namespace)) {
      for (const namespace of [reference.workloadNamespace, reference.gateway.namespace]) {
        want(namespace, reference.credentialName)
        if (reference.mode === 'MUTUAL') want(namespace, cacertSecretName(reference.credentialName))
      }
    }
  }
  for (const gateway of okItems<KubernetesGateway>(kinds, 'KubernetesGateway') ?? []) {
    for (const listener of gateway.spec?.listeners ?? []) {
      for (const ref of listener.tls?.certificateRefs ?? []) if ((ref.kind ?? 'Secret') === 'Secret') want(ref.namespace ?? gateway.metadata.namespace, ref.name)
    }
  }
  const secrets: Secret[] = []
  const queue = [...wanted.values()]
  try {
    await Promise.all(
      Array.from({length: Math.min(credentialConcurrency, queue.length)}, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          const secret = await kube.get<Secret>({apiVersion: 'v1', kind: 'Secret', ...next})
          if (secret) secrets.push({...secret, apiVersion: 'v1', kind: 'Secret'})
        }
      }),
    )
  } catch (error) {
    return failure(error, 'Secret')
  }
  secrets.sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`))
  return {status: 'ok', items: secrets}
}

/** Which snapshot kind an object is, by group and kind; undefined for kinds doctor does not read. */
export function snapshotKindOf(object: KubeObject): SnapshotKind | undefined {
  const group = object.apiVersion.includes('/') ? object.apiVersion.slice(0, object.apiVersion.indexOf('/')) : ''
  if (group === 'gateway.networking.k8s.io') return object.kind === 'Gateway' ? 'KubernetesGateway' : object.kind === 'HTTPRoute' ? 'HTTPRoute' : undefined
  const byKind: Record<string, SnapshotKind> = {
    CustomResourceDefinition: 'CustomResourceDefinition',
    Deployment: 'Deployment',
    Pod: 'Pod',
    Service: 'Service',
    Secret: 'Secret',
    Gateway: 'Gateway',
    VirtualService: 'VirtualService',
    DestinationRule: 'DestinationRule',
    ServiceEntry: 'ServiceEntry',
  }
  return byKind[object.kind]
}

/** A snapshot of objects already in hand (fixtures, a bundle); kinds not given are empty unless marked absent or forbidden. */
export function snapshotFromObjects(objects: KubeObject[], options: {now: Date; absent?: SnapshotKind[]; forbidden?: SnapshotKind[]; istioVersion?: string}): SnapshotData {
  const all: SnapshotKind[] = ['CustomResourceDefinition', 'Deployment', 'Pod', 'Service', 'Gateway', 'VirtualService', 'DestinationRule', 'ServiceEntry', 'KubernetesGateway', 'HTTPRoute', 'Secret', 'GatewayProxy', 'IstiodMetric']
  const kinds = new Map<SnapshotKind, KindState<unknown>>(all.map((k) => [k, {status: 'ok', items: []}]))
  for (const object of objects) {
    const kind = snapshotKindOf(object)
    const state = kind && kinds.get(kind)
    if (state?.status === 'ok') state.items.push(object)
  }
  for (const kind of options.absent ?? []) kinds.set(kind, {status: 'absent', reason: `${kind} is not served`})
  for (const kind of options.forbidden ?? []) kinds.set(kind, {status: 'forbidden', reason: `forbidden: cannot list ${kind}`})
  return new SnapshotData(kinds, options.now, options.istioVersion ?? istioVersionOf(kinds))
}
