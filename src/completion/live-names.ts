import type {KubeClient} from '../kube/client.ts'
import type {LiveKind, LiveNames} from './complete.ts'

/** Every live lookup of one TAB gets this long; a slow cluster must not freeze the shell. */
const liveDeadlineMs = 1500

interface ListedKind {
  apiVersions: string[]
  kind: string
  namespaced: boolean
}

const listedKinds: Record<Exclude<LiveKind, 'contexts' | 'routes'>, ListedKind> = {
  namespaces: {apiVersions: ['v1'], kind: 'Namespace', namespaced: false},
  // networking.istio.io/v1 is served from Istio 1.22; older installs serve v1beta1.
  gateways: {apiVersions: ['networking.istio.io/v1', 'networking.istio.io/v1beta1'], kind: 'Gateway', namespaced: true},
  virtualservices: {apiVersions: ['networking.istio.io/v1', 'networking.istio.io/v1beta1'], kind: 'VirtualService', namespaced: true},
  secrets: {apiVersions: ['v1'], kind: 'Secret', namespaced: true},
  deployments: {apiVersions: ['apps/v1'], kind: 'Deployment', namespaced: true},
}

/** Gateway API routes, offered as httproute/NAME beside VirtualService names for a ROUTE. */
const httpRoutes: ListedKind = {apiVersions: ['gateway.networking.k8s.io/v1'], kind: 'HTTPRoute', namespaced: true}

/** Names of one kind in the cluster, in the given namespace or the context's; [] when the kind is not served. */
export async function listLiveNames(kube: KubeClient, kind: Exclude<LiveKind, 'contexts'>, namespace: string | undefined): Promise<string[]> {
  if (kind === 'routes') {
    const [virtualServices, routes] = await Promise.all([listNames(kube, listedKinds.virtualservices, namespace), listNames(kube, httpRoutes, namespace)])
    return [...virtualServices, ...routes.map((name) => `httproute/${name}`)]
  }
  return listNames(kube, listedKinds[kind], namespace)
}

async function listNames(kube: KubeClient, listed: ListedKind, namespace: string | undefined): Promise<string[]> {
  const scope = listed.namespaced ? (namespace ?? (await kube.connection()).namespace) : undefined
  for (const apiVersion of listed.apiVersions) {
    if (!(await kube.resourceFor(apiVersion, listed.kind))) continue
    const items = await kube.list(apiVersion, listed.kind, {namespace: scope})
    return items.flatMap((item) => (item.metadata.name ? [item.metadata.name] : []))
  }
  return []
}

/**
 * Live names through the tool's own client, for the kubeconfig, context and namespace on the line
 * being completed, each lookup within the deadline. `env` carries KUBECONFIG and HOME.
 */
export function clusterLiveNames(env: Record<string, string | undefined>): LiveNames {
  const lookup: LiveNames = async (kind, scope) => {
    const selection = {kubeconfig: scope.kubeconfig, context: scope.context, namespace: scope.namespace, env}
    if (kind === 'contexts') return (await import('../kube/kubeconfig.ts')).kubeconfigContextNames(selection)
    const {createKubeClient} = await import('../kube/connect.ts')
    const kube = createKubeClient({selection, requestTimeoutMs: liveDeadlineMs})
    try {
      return await listLiveNames(kube, kind, scope.namespace)
    } finally {
      kube.close()
    }
  }
  return (kind, scope) => {
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${liveDeadlineMs} ms`)), liveDeadlineMs)
    })
    return Promise.race([lookup(kind, scope), deadline]).finally(() => clearTimeout(timer))
  }
}
