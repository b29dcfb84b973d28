import type {GwContext} from '../context.ts'
import {servedIstioApis} from '../istio/api-versions.ts'
import type {Deployment} from '../kube/objects.ts'
import {KubeApiError} from '../kube/api-errors.ts'

export interface ClientVersion {
  version: string
  node: string
  platform: string
}

export interface IstioInstallation {
  /** e.g. "1.28.0"; undefined when istiod was found but no version could be read. */
  version?: string
  /** Where the version was read: "image tag" or a label name. */
  source?: string
  istiod: {namespace: string; name: string}
}

export interface ServerVersionInfo {
  kubernetes: string
  context: string
  server: string
  istio?: IstioInstallation
  /** Why Istio could not be detected, when it could not. */
  istioProblem?: string
  networkingIstioVersions: string[]
  gatewayApiVersions: string[]
}

/** `-o json` contract of `kubectl gw version`. */
export interface VersionInfo {
  client: ClientVersion
  server?: ServerVersionInfo
}

const versionLabels = ['operator.istio.io/version', 'app.kubernetes.io/version', 'istio.io/rev']

/** Reads Istio's version the way an operator would: istiod's image tag, else its version labels. */
export function istioVersionFromDeployment(deployment: Deployment): {version?: string; source?: string} {
  const containers = deployment.spec?.template?.spec?.containers ?? []
  const discovery = containers.find((c) => c.name === 'discovery') ?? containers[0]
  const tag = discovery?.image?.match(/:([^:@/]+)(?:@sha256:[0-9a-f]+)?$/)?.[1]
  if (tag && /^\d+\.\d+/.test(tag)) return {version: tag.replace(/-distroless$/, ''), source: 'image tag'}
  for (const label of versionLabels) {
    const value = deployment.metadata.labels?.[label]
    if (value && /^\d+[.-]\d+/.test(value)) return {version: value.replace(/-/g, '.'), source: `label ${label}`}
  }
  return {}
}

export async function findIstiod(ctx: GwContext): Promise<{istio?: IstioInstallation; problem?: string}> {
  const selectors = ['app=istiod', 'istio=pilot']
  try {
    for (const labelSelector of selectors) {
      const deployments = await ctx.kube.list<Deployment>('apps/v1', 'Deployment', {labelSelector})
      const istiod = deployments.sort((a, b) => (a.metadata.namespace === 'istio-system' ? -1 : b.metadata.namespace === 'istio-system' ? 1 : 0))[0]
      if (istiod) {
        return {istio: {...istioVersionFromDeployment(istiod), istiod: {namespace: istiod.metadata.namespace ?? '', name: istiod.metadata.name ?? ''}}}
      }
    }
    return {problem: 'no istiod Deployment found (label app=istiod)'}
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 403) return {problem: `cannot list deployments: ${error.message}`}
    throw error
  }
}

export async function collectVersionInfo(ctx: GwContext, options: {client: ClientVersion; clientOnly: boolean}): Promise<VersionInfo> {
  if (options.clientOnly) return {client: options.client}
  const [kubernetes, discovery, connection] = await Promise.all([ctx.kube.serverVersion(), ctx.kube.discovery(), ctx.kube.connection()])
  const served = servedIstioApis(discovery)
  const {istio, problem} = served.networkingVersions.length > 0 ? await findIstiod(ctx) : {istio: undefined, problem: 'networking.istio.io is not served: Istio CRDs are not installed'}
  return {
    client: options.client,
    server: {
      kubernetes: kubernetes.gitVersion,
      context: connection.contextName,
      server: connection.server,
      istio,
      istioProblem: istio ? undefined : problem,
      networkingIstioVersions: served.networkingVersions,
      gatewayApiVersions: served.gatewayApiVersions,
    },
  }
}
