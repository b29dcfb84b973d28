import type {KubeObject} from '../kube/objects.ts'
import {defaultIngressNamespace, defaultIngressSelector} from '../istio/gateway-workload.ts'
import type {NamespacedName} from '../istio/references.ts'

/** A Service port as the cluster reports it. */
export interface ServicePortFact {
  name?: string
  port: number
}

/** A Kubernetes Service a route sends to, as `name`, `name.ns` or `name.ns.svc.cluster.local` (resolved by src/istio/references.ts). */
export type ServiceRef = NamespacedName

/** The gateway pods a Gateway selects, and where their Deployment and Service are. */
export interface GatewayWorkloadFacts {
  selector: Record<string, string>
  namespace: string
  /** The Deployment owning the pods (for HPA and PDB). */
  deployment: string
  /** FQDN of the Service in front of the pods (egress routes send to it). */
  serviceHost: string
  /** False in a client dry run: these are documented defaults, not what the cluster has. */
  detected: boolean
}

export interface SecretFact {
  namespace: string
  name: string
  keys: string[]
  /** The hosts (DNS and IP SANs) its certificate names; undefined when it has no readable certificate. */
  certificateHosts?: string[]
}

/**
 * What scaffold knows about the cluster: detected when live, documented defaults in a client
 * dry run (`live: false`). Plan and validation read only this, so both stay pure.
 */
export interface ClusterFacts {
  live: boolean
  networkingApiVersion: string
  istioVersion?: string
  gatewayApiServed: boolean
  ingress: GatewayWorkloadFacts
  egress: GatewayWorkloadFacts
  /** Keyed `namespace/name`; undefined value: the Service does not exist. */
  services: Map<string, ServicePortFact[] | undefined>
  /** Keyed `namespace/service/subset`; labels that select the subset's pods, undefined when none do. */
  subsetLabels: Map<string, Record<string, string> | undefined>
  /** Secrets with the credential's name (and its -cacert companion), in any namespace. */
  secrets: SecretFact[]
  /** Istio Gateways already in the cluster (for shared host warnings and `existing: true`). */
  gateways: KubeObject[]
  /** VirtualServices already in the cluster (who is bound to a Gateway scaffold would replace). */
  virtualServices: KubeObject[]
  /** HPAs and PDBs already covering the gateway workload. */
  scalers: KubeObject[]
}

export const defaultEgressSelector: Record<string, string> = {istio: 'egressgateway'}

export function dryRunWorkload(selector: Record<string, string>, kind: 'ingress' | 'egress'): GatewayWorkloadFacts {
  const deployment = kind === 'ingress' ? 'istio-ingressgateway' : 'istio-egressgateway'
  return {selector, namespace: defaultIngressNamespace, deployment, serviceHost: `${deployment}.${defaultIngressNamespace}.svc.cluster.local`, detected: false}
}

/** The documented defaults of `--dry-run=client`: no cluster is asked anything. */
export function clientDryRunFacts(selector: Record<string, string> = defaultIngressSelector): ClusterFacts {
  return {
    live: false,
    networkingApiVersion: 'networking.istio.io/v1',
    gatewayApiServed: true,
    ingress: dryRunWorkload(selector, 'ingress'),
    egress: dryRunWorkload(defaultEgressSelector, 'egress'),
    services: new Map(),
    subsetLabels: new Map(),
    secrets: [],
    gateways: [],
    virtualServices: [],
    scalers: [],
  }
}

export function serviceKey(ref: ServiceRef): string {
  return `${ref.namespace}/${ref.name}`
}
