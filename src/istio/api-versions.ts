import type {ApiDiscovery} from '../kube/client.ts'

export const istioNetworkingGroup = 'networking.istio.io'
export const gatewayApiGroup = 'gateway.networking.k8s.io'

/** What the cluster serves for the APIs kubectl-gw writes. */
export interface ServedIstioApis {
  /** networking.istio.io versions served, newest first (v1, v1beta1, v1alpha3). */
  networkingVersions: string[]
  /** The version kubectl-gw emits: v1 when served (Istio >= 1.22), else v1beta1, else v1alpha3. */
  preferredNetworkingVersion?: string
  /** gateway.networking.k8s.io versions served; empty when Gateway API is not installed. */
  gatewayApiVersions: string[]
}

const istioVersionOrder = ['v1', 'v1beta1', 'v1alpha3']

export function servedIstioApis(discovery: ApiDiscovery): ServedIstioApis {
  const istio = discovery.groups.find((g) => g.name === istioNetworkingGroup)
  const networkingVersions = istio ? istioVersionOrder.filter((v) => istio.versions.includes(v)) : []
  const gatewayApi = discovery.groups.find((g) => g.name === gatewayApiGroup)
  return {
    networkingVersions,
    preferredNetworkingVersion: networkingVersions[0],
    gatewayApiVersions: gatewayApi?.versions ?? [],
  }
}

/** Istio before 1.15 rejects a weighted route whose weights do not sum to 100. */
export function requiresWeightsSumTo100(istioVersion: string | undefined): boolean {
  const parsed = parseIstioVersion(istioVersion)
  return parsed !== undefined && (parsed.major < 1 || (parsed.major === 1 && parsed.minor < 15))
}

export function parseIstioVersion(version: string | undefined): {major: number; minor: number; patch: number} | undefined {
  const match = version?.match(/^v?(\d+)\.(\d+)(?:\.(\d+))?/)
  if (!match) return undefined
  return {major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3] ?? 0)}
}
