import {UsageError} from '../errors.ts'
import type {GwContext} from '../context.ts'
import {credentialNamespace as istioCredentialNamespace} from '../istio/credentials.ts'
import {defaultIngressNamespace, findGatewayWorkload, labelSelectorString} from '../istio/gateway-workload.ts'

export type NamespaceSource = 'flag' | 'gateway-workload' | 'default'

export interface CredentialNamespace {
  namespace: string
  source: NamespaceSource
  /** Said to the user on stderr and kept in the result. */
  warnings: string[]
}

/** Parses `--selector k=v[,k2=v2]` into a label map. */
export function parseSelector(value: string, flag = '--selector'): Record<string, string> {
  const selector: Record<string, string> = {}
  for (const part of value.split(',')) {
    const match = part.trim().match(/^([A-Za-z0-9][-A-Za-z0-9_./]*)=([-A-Za-z0-9_.]*)$/)
    if (!match) throw new UsageError(`invalid ${flag} "${value}": expected key=value[,key=value]`, {hint: `e.g. ${flag} istio=ingressgateway`})
    selector[match[1] as string] = match[2] as string
  }
  return selector
}

/**
 * Where a credential secret must live: the namespace of the gateway workload (the pods the
 * Gateway selects), because that is the only place istiod reads it. `-n` wins but is warned
 * about when it differs. `offline` (--dry-run=client) asks no cluster: -n or istio-system.
 */
export async function credentialNamespace(
  ctx: GwContext,
  options: {namespaceFlag?: string; selector: Record<string, string>; offline: boolean},
): Promise<CredentialNamespace> {
  const {namespaceFlag, selector} = options
  if (options.offline) {
    return namespaceFlag ? {namespace: namespaceFlag, source: 'flag', warnings: []} : {namespace: defaultIngressNamespace, source: 'default', warnings: []}
  }
  const workload = await findGatewayWorkload(ctx.kube, selector)
  const istioReadsFrom = istioCredentialNamespace({api: 'istio', namespace: namespaceFlag ?? defaultIngressNamespace}, workload?.namespace)
  const selectorText = labelSelectorString(selector)
  if (namespaceFlag) {
    const warnings: string[] = []
    if (!workload) {
      warnings.push(`no gateway pods match ${selectorText}; Istio reads a credential only from the namespace of the gateway pods, so check that "${namespaceFlag}" is it`)
    } else if (istioReadsFrom !== namespaceFlag) {
      warnings.push(
        `the gateway workload (${selectorText}) runs in namespace "${istioReadsFrom}", not "${namespaceFlag}": Istio will not find a credential in "${namespaceFlag}"`,
      )
    }
    return {namespace: namespaceFlag, source: 'flag', warnings}
  }
  if (!workload || !istioReadsFrom) {
    throw new UsageError(`no gateway pods match ${selectorText}, so the namespace Istio reads credentials from is unknown`, {
      hint: 'pass --selector for your gateway\'s labels, or -n NAMESPACE of the gateway pods',
    })
  }
  const warnings = workload.otherNamespaces.length
    ? [`pods matching ${selectorText} also run in ${workload.otherNamespaces.join(', ')}; using "${workload.namespace}"`]
    : []
  return {namespace: istioReadsFrom, source: 'gateway-workload', warnings}
}
