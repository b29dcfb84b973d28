/**
 * The one catalog of finding codes (DESIGN.md "doctor"): level, the istioctl analyze code where
 * one exists, what the code means, and the default hint. Static and live checks of `doctor` and
 * the credential analysis of `certs inspect` all report from it.
 */

export type FindingLevel = 'error' | 'warning' | 'info'

export interface CatalogEntry {
  level: FindingLevel
  /** The matching istioctl analyze code. */
  istio?: string
  /** What the code means, for `--help` and the README. */
  summary: string
  /** A command to run or paste when the finding has no more specific one. */
  hint: string
}

export const findingCatalog = {
  IstioNotInstalled: {level: 'error', summary: 'networking.istio.io is not served: Istio CRDs are not installed', hint: 'istioctl install --set profile=default'},
  IstiodNotReady: {level: 'error', summary: 'istiod has no ready pod: no configuration reaches Envoy', hint: 'kubectl -n istio-system get deploy,pods -l app=istiod'},
  IngressGatewayNotReady: {level: 'error', summary: 'the ingress gateway Deployment or its pods are not ready', hint: 'kubectl -n istio-system get deploy,pods -l istio=ingressgateway'},
  IngressServiceNoExternalAddress: {level: 'warning', summary: 'the gateway Service of type LoadBalancer has no external address', hint: 'kubectl -n istio-system get svc istio-ingressgateway'},
  GatewaySelectorNoMatch: {level: 'error', istio: 'IST0101', summary: 'no pod matches the Gateway selector: it programs nothing', hint: 'kubectl get pods -A -l istio --show-labels'},
  GatewayPortNotOnService: {level: 'warning', istio: 'IST0162', summary: 'a Gateway port is not a port or targetPort of the gateway Service', hint: 'kubectl -n istio-system get svc -o wide'},
  GatewayHostConflict: {level: 'error', istio: 'IST0145', summary: 'istiod drops a server: the same workload, port and TLS host is already served by an older Gateway', hint: 'kubectl get gateways.networking.istio.io -A'},
  GatewayCredentialNotFound: {level: 'error', istio: 'IST0101', summary: 'the credential secret does not exist in the gateway workload namespace', hint: 'kubectl gw certs create SECRET --host HOST -n istio-system'},
  GatewayCredentialWrongNamespace: {level: 'error', summary: 'the credential secret is in the Gateway\'s namespace, not where Istio reads it', hint: 'kubectl gw certs create SECRET --host HOST -n istio-system'},
  GatewayCredentialInvalid: {level: 'error', istio: 'IST0161', summary: 'the credential secret cannot be loaded by Envoy', hint: 'kubectl gw certs inspect SECRET -n istio-system'},
  CertificateExpired: {level: 'error', summary: 'the certificate has expired', hint: 'kubectl gw certs rotate SECRET -n istio-system'},
  CertificateExpiringSoon: {level: 'warning', summary: 'the certificate expires within 30 days', hint: 'kubectl gw certs rotate SECRET -n istio-system'},
  CertificateHostMismatch: {level: 'error', summary: 'a Gateway host is not covered by the certificate\'s SANs', hint: 'kubectl gw certs create SECRET --host HOST... --overwrite -n istio-system'},
  CertificateKeyMismatch: {level: 'error', summary: 'tls.key is not the key of tls.crt', hint: 'kubectl gw certs create SECRET --host HOST --overwrite -n istio-system'},
  MutualTlsMissingCaCert: {level: 'error', summary: 'a MUTUAL server has no CA to verify clients', hint: 'kubectl gw certs create SECRET --host HOST --mutual --overwrite -n istio-system'},
  VirtualServiceGatewayNotFound: {level: 'error', istio: 'IST0101', summary: 'a gateway the VirtualService binds to does not exist (bare names resolve in the VirtualService\'s namespace)', hint: 'kubectl get gateways.networking.istio.io -A'},
  VirtualServiceHostNotInGateway: {level: 'warning', istio: 'IST0132', summary: 'a VirtualService host matches no host of its Gateways: requests for it get 404', hint: 'kubectl get gateways.networking.istio.io -A -o yaml'},
  DestinationHostNotFound: {level: 'error', istio: 'IST0101', summary: 'a route destination names no Service or ServiceEntry', hint: 'kubectl get svc -A'},
  DestinationPortNotFound: {level: 'error', istio: 'IST0101', summary: 'a route destination port is not a port of the Service', hint: 'kubectl get svc -A'},
  DestinationSubsetNotFound: {level: 'error', istio: 'IST0101', summary: 'a route names a subset no DestinationRule defines: 503 NR/NC', hint: 'kubectl get destinationrules.networking.istio.io -A'},
  SubsetSelectsNoPods: {level: 'error', istio: 'IST0173', summary: 'a DestinationRule subset selects no pods: 503 UH (no healthy upstream)', hint: 'kubectl get pods --show-labels'},
  RouteWeightsInvalid: {level: 'error', summary: 'route weights send nothing, or do not sum to 100 where this Istio requires it', hint: 'kubectl edit virtualservice'},
  RouteRegexInvalid: {level: 'error', summary: 'a regex Envoy (RE2) rejects: istiod drops the route', hint: 'kubectl edit virtualservice'},
  EnvoyAdminUnreachable: {level: 'error', summary: 'the gateway pod\'s Envoy admin port 15000 cannot be read', hint: 'kubectl -n istio-system port-forward POD 15000'},
  EnvoyNotLive: {level: 'error', summary: 'Envoy\'s server state is not LIVE', hint: 'kubectl -n istio-system logs POD'},
  EnvoyListenerMissing: {level: 'error', summary: 'no Envoy listener for a Gateway port', hint: 'istioctl proxy-config listeners POD.istio-system'},
  EnvoyRouteMissing: {level: 'error', summary: 'no Envoy virtual host for a host bound through a VirtualService', hint: 'istioctl proxy-config routes POD.istio-system'},
  EnvoySecretMissing: {level: 'error', summary: 'a credential is not an active SDS secret in Envoy (missing or warming)', hint: 'istioctl proxy-config secret POD.istio-system'},
  EnvoyClusterNoHealthyEndpoints: {level: 'error', summary: 'a routed cluster has no healthy endpoint: 503 UH', hint: 'istioctl proxy-config endpoints POD.istio-system'},
  EnvoyConfigRejected: {level: 'error', summary: 'istiod or Envoy rejected configuration: what Envoy runs is not what the resources ask', hint: 'kubectl -n istio-system logs deploy/istiod | grep -i reject'},
  EnvoyHighErrorRate: {level: 'warning', summary: 'a destination answers many 5xx through the gateway', hint: 'kubectl gw doctor --host HOST'},
  EnvoyNoRouteResponses: {level: 'warning', summary: 'the gateway answers 404 NR (no route) to real requests', hint: 'kubectl gw doctor --host HOST'},
  // certs inspect's own: not a doctor finding (a different CA verifying clients is legitimate).
  CertificateChainUnverified: {level: 'info', summary: 'the certificate is not issued by the CA in the secret', hint: 'fine when clients are verified by a different CA from the one that signed the server certificate'},
} as const satisfies Record<string, CatalogEntry>

export type FindingCode = keyof typeof findingCatalog

export interface ResourceRef {
  kind: string
  namespace?: string
  name: string
}

/** One finding: the `-o json` shape of DESIGN.md. */
export interface Finding {
  code: FindingCode
  level: FindingLevel
  istio?: string
  resource: ResourceRef
  message: string
  hint: string
  /**
   * The Service a finding on a shared resource is about (a gateway pod's traffic to one destination),
   * so the report can file it under the Gateway that routes there. Not part of the `-o json` shape.
   */
  about?: {service: string}
}

/** A finding from the catalog: level and istio code from the entry, the hint unless a more specific one is given. */
export function finding(code: FindingCode, resource: ResourceRef, message: string, options: {hint?: string; level?: FindingLevel; about?: Finding['about']} = {}): Finding {
  const entry: CatalogEntry = findingCatalog[code]
  return {
    code,
    level: options.level ?? entry.level,
    ...(entry.istio ? {istio: entry.istio} : {}),
    resource: {kind: resource.kind, ...(resource.namespace !== undefined ? {namespace: resource.namespace} : {}), name: resource.name},
    message,
    hint: options.hint ?? entry.hint,
    ...(options.about ? {about: options.about} : {}),
  }
}

export const levelRank: Record<FindingLevel, number> = {error: 0, warning: 1, info: 2}
