/** The kinds the sandbox API server serves, as discovery describes them. */
export interface ResourceType {
  group: string
  /** Served versions, preferred first. */
  versions: string[]
  kind: string
  /** Plural resource name, as in URLs. */
  plural: string
  singular: string
  shortNames: string[]
  categories: string[]
  namespaced: boolean
  /** Built-in kinds take strategic merge patches; custom resources do not. */
  builtin: boolean
  /** Has a status subresource (spec changes bump generation; status writes go through /status). */
  hasStatus: boolean
}

const allVerbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']

export function verbsOf(_type: ResourceType): string[] {
  return allVerbs
}

function core(kind: string, plural: string, shortNames: string[], options: Partial<ResourceType> = {}): ResourceType {
  return {group: '', versions: ['v1'], kind, plural, singular: kind.toLowerCase(), shortNames, categories: [], namespaced: true, builtin: true, hasStatus: false, ...options}
}

/** Istio's networking versions by release: v1 from 1.22, v1beta1 since 1.5, v1alpha3 always. */
export function istioNetworkingVersions(istioVersion: string): string[] {
  const [major = 1, minor = 0] = istioVersion.split('.').map((part) => Number.parseInt(part, 10))
  const atLeast = (m: number, n: number) => major > m || (major === m && minor >= n)
  return [...(atLeast(1, 22) ? ['v1'] : []), ...(atLeast(1, 5) ? ['v1beta1'] : []), 'v1alpha3']
}

const istioCategories = ['istio-io', 'networking-istio-io']

function istio(kind: string, plural: string, shortNames: string[], versions: string[]): ResourceType {
  return {group: 'networking.istio.io', versions, kind, plural, singular: kind.toLowerCase(), shortNames, categories: istioCategories, namespaced: true, builtin: false, hasStatus: true}
}

function gatewayApi(kind: string, plural: string, shortNames: string[], namespaced = true, versions = ['v1']): ResourceType {
  return {group: 'gateway.networking.k8s.io', versions, kind, plural, singular: kind.toLowerCase(), shortNames, categories: ['gateway-api'], namespaced, builtin: false, hasStatus: true}
}

/** Every served kind for one simulated Istio version. */
export function servedResources(istioVersion: string): ResourceType[] {
  const networking = istioNetworkingVersions(istioVersion)
  const v1Capable = networking
  const alpha3Only = ['v1alpha3']
  return [
    core('Namespace', 'namespaces', ['ns'], {namespaced: false, hasStatus: true}),
    core('Pod', 'pods', ['po'], {categories: ['all'], hasStatus: true}),
    core('Service', 'services', ['svc'], {categories: ['all'], hasStatus: true}),
    core('Endpoints', 'endpoints', ['ep'], {singular: 'endpoints'}),
    core('Secret', 'secrets', []),
    core('ConfigMap', 'configmaps', ['cm']),
    core('Event', 'events', ['ev']),
    core('ServiceAccount', 'serviceaccounts', ['sa']),
    core('Node', 'nodes', ['no'], {namespaced: false, hasStatus: true}),
    core('Deployment', 'deployments', ['deploy'], {group: 'apps', categories: ['all'], hasStatus: true}),
    core('ReplicaSet', 'replicasets', ['rs'], {group: 'apps', categories: ['all'], hasStatus: true}),
    core('HorizontalPodAutoscaler', 'horizontalpodautoscalers', ['hpa'], {group: 'autoscaling', versions: ['v2'], categories: ['all'], hasStatus: true}),
    core('PodDisruptionBudget', 'poddisruptionbudgets', ['pdb'], {group: 'policy', hasStatus: true}),
    core('CustomResourceDefinition', 'customresourcedefinitions', ['crd', 'crds'], {group: 'apiextensions.k8s.io', categories: ['api-extensions'], namespaced: false, hasStatus: true}),
    istio('Gateway', 'gateways', ['gw'], v1Capable),
    istio('VirtualService', 'virtualservices', ['vs'], v1Capable),
    istio('DestinationRule', 'destinationrules', ['dr'], v1Capable),
    istio('ServiceEntry', 'serviceentries', ['se'], v1Capable),
    istio('Sidecar', 'sidecars', [], v1Capable),
    istio('EnvoyFilter', 'envoyfilters', [], alpha3Only),
    gatewayApi('GatewayClass', 'gatewayclasses', ['gc'], false),
    gatewayApi('Gateway', 'gateways', ['gtw']),
    gatewayApi('HTTPRoute', 'httproutes', []),
    gatewayApi('ReferenceGrant', 'referencegrants', ['refgrant'], true, ['v1beta1']),
  ]
}

/** Group + kind key used by the store. */
export function kindKey(group: string, kind: string): string {
  return `${group}/${kind}`
}

export function apiVersionOf(group: string, version: string): string {
  return group ? `${group}/${version}` : version
}

export function splitApiVersion(apiVersion: string): {group: string; version: string} {
  const slash = apiVersion.indexOf('/')
  return slash < 0 ? {group: '', version: apiVersion} : {group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1)}
}

/** Lookups over the served resources. */
export class ResourceRegistry {
  readonly all: ResourceType[]
  private readonly byPath = new Map<string, ResourceType>()
  private readonly byKind = new Map<string, ResourceType>()

  constructor(types: ResourceType[]) {
    this.all = types
    for (const type of types) {
      this.byKind.set(kindKey(type.group, type.kind), type)
      for (const version of type.versions) this.byPath.set(`${apiVersionOf(type.group, version)}/${type.plural}`, type)
    }
  }

  /** The type served at /api(s)/GROUP/VERSION/PLURAL. */
  forPath(group: string, version: string, plural: string): ResourceType | undefined {
    return this.byPath.get(`${apiVersionOf(group, version)}/${plural}`)
  }

  forKind(group: string, kind: string): ResourceType | undefined {
    return this.byKind.get(kindKey(group, kind))
  }

  /** Group -> versions served, preferred first; core excluded. */
  groups(): Map<string, string[]> {
    const groups = new Map<string, string[]>()
    for (const type of this.all) {
      if (!type.group) continue
      const versions = groups.get(type.group) ?? []
      for (const version of type.versions) if (!versions.includes(version)) versions.push(version)
      groups.set(type.group, versions)
    }
    for (const versions of groups.values()) versions.sort(compareKubeVersions)
    return groups
  }

  inGroupVersion(group: string, version: string): ResourceType[] {
    return this.all.filter((t) => t.group === group && t.versions.includes(version))
  }
}

/** Kubernetes version priority: GA > beta > alpha, higher numbers first (v1 > v1beta1 > v1alpha3). */
export function compareKubeVersions(a: string, b: string): number {
  const rank = (v: string): [number, number, number] => {
    const match = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v)
    if (!match) return [3, 0, 0]
    const stage = match[2] === 'alpha' ? 2 : match[2] === 'beta' ? 1 : 0
    return [stage, -Number(match[1]), -Number(match[3] ?? 0)]
  }
  const [x, y] = [rank(a), rank(b)]
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]
}
