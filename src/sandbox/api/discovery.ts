import {createHash} from 'node:crypto'
import {apiVersionOf, verbsOf, type ResourceRegistry, type ResourceType} from './resources.ts'

/** The Kubernetes version the sandbox reports (kubectl 1.32 is within skew). */
export const kubernetesVersion = {major: '1', minor: '32', gitVersion: 'v1.32.0-gw-sandbox'}

export function versionInfo(): Record<string, string> {
  return {
    ...kubernetesVersion,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: 'go1.23.0',
    compiler: 'gc',
    platform: 'linux/amd64',
  }
}

function resourceEntries(type: ResourceType): Record<string, unknown>[] {
  const main = {
    name: type.plural,
    singularName: type.singular,
    namespaced: type.namespaced,
    kind: type.kind,
    verbs: verbsOf(type),
    ...(type.shortNames.length > 0 ? {shortNames: type.shortNames} : {}),
    ...(type.categories.length > 0 ? {categories: type.categories} : {}),
    storageVersionHash: createHash('sha256').update(`${type.group}/${type.kind}`).digest('base64').slice(0, 11),
  }
  const subresources: Record<string, unknown>[] = []
  if (type.hasStatus) subresources.push({name: `${type.plural}/status`, singularName: '', namespaced: type.namespaced, kind: type.kind, verbs: ['get', 'patch', 'update']})
  if (type.kind === 'Deployment' || type.kind === 'ReplicaSet') subresources.push({name: `${type.plural}/scale`, singularName: '', namespaced: true, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update']})
  if (type.kind === 'Pod') {
    subresources.push({name: 'pods/proxy', singularName: '', namespaced: true, kind: 'PodProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update']})
    subresources.push({name: 'pods/portforward', singularName: '', namespaced: true, kind: 'PodPortForwardOptions', verbs: ['create', 'get']})
    subresources.push({name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get']})
  }
  if (type.kind === 'Service') subresources.push({name: 'services/proxy', singularName: '', namespaced: true, kind: 'ServiceProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update']})
  return [main, ...subresources]
}

export function apiVersions(): Record<string, unknown> {
  return {kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1'}]}
}

function groupEntry(name: string, versions: string[]): Record<string, unknown> {
  return {
    name,
    versions: versions.map((version) => ({groupVersion: `${name}/${version}`, version})),
    preferredVersion: {groupVersion: `${name}/${versions[0]}`, version: versions[0]},
  }
}

export function apiGroupList(registry: ResourceRegistry): Record<string, unknown> {
  return {kind: 'APIGroupList', apiVersion: 'v1', groups: [...registry.groups()].map(([name, versions]) => groupEntry(name, versions))}
}

export function apiGroup(registry: ResourceRegistry, group: string): Record<string, unknown> | undefined {
  const versions = registry.groups().get(group)
  return versions ? {kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(group, versions)} : undefined
}

export function apiResourceList(registry: ResourceRegistry, group: string, version: string): Record<string, unknown> | undefined {
  const types = registry.inGroupVersion(group, version)
  if (types.length === 0) return undefined
  return {kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf(group, version), resources: types.flatMap(resourceEntries)}
}
