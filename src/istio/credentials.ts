/** Where Istio reads a Gateway's TLS credentials, and which credentials a Gateway names. */
import type {IstioGateway} from './types.ts'

/** Istio's companion secret holding the CA that verifies clients for MUTUAL (`NAME-cacert`, key `cacert`). */
export const cacertSecretName = (credential: string) => `${credential}-cacert`

/**
 * The namespace a credential secret must be in. An Istio Gateway's credentials are read only in the
 * namespace of the gateway pods its selector picks (not the Gateway resource's namespace: the classic
 * mistake); a Gateway API Gateway's in its own namespace, where Istio deploys its gateway pods.
 * undefined when an Istio Gateway selects no pods: then there is no such namespace.
 */
export function credentialNamespace(gateway: {api: 'istio' | 'gateway-api'; namespace: string}, workloadNamespace: string | undefined): string | undefined {
  return gateway.api === 'gateway-api' ? gateway.namespace : workloadNamespace
}

/** A reference from a Gateway server to a credential, with the namespace Istio resolves it in. */
export interface CredentialReference {
  gateway: {namespace: string; name: string}
  port?: number
  mode?: string
  hosts: string[]
  credentialName: string
  hasCaCertCredentialName: boolean
  workloadNamespace?: string
}

/** Gateway servers that name a credential, with the namespace Istio will read it from. */
export function credentialReferences(gateways: IstioGateway[], workloadNamespaceOf: (selector: Record<string, string>) => string | undefined): CredentialReference[] {
  return gateways.flatMap((gateway) => {
    const gatewayNamespace = gateway.metadata.namespace ?? ''
    const workloadNamespace = credentialNamespace({api: 'istio', namespace: gatewayNamespace}, workloadNamespaceOf(gateway.spec?.selector ?? {}))
    return (gateway.spec?.servers ?? []).flatMap((server) => {
      const tls = server.tls
      const names = [...(tls?.credentialName ? [tls.credentialName] : []), ...(tls?.credentialNames ?? [])]
      return names.map((credentialName) => ({
        gateway: {namespace: gatewayNamespace, name: gateway.metadata.name ?? ''},
        port: server.port?.number,
        mode: tls?.mode,
        hosts: server.hosts ?? [],
        // SDS accepts "kubernetes://name"; what is looked up is the name.
        credentialName: credentialName.replace(/^kubernetes:\/\//, ''),
        hasCaCertCredentialName: Boolean(tls?.caCertCredentialName),
        workloadNamespace,
      }))
    })
  })
}
