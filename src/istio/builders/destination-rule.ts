import type {KubeObject} from '../../kube/objects.ts'
import {kubeObject, type ObjectIdentity} from './meta.ts'

export type LoadBalancerPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'LEAST_CONN' | 'RANDOM' | 'PASSTHROUGH'

/** The parts of Istio's TrafficPolicy scaffold writes; nested objects are passed as Istio spells them. */
export interface TrafficPolicy {
  loadBalancer?: {simple: LoadBalancerPolicy}
  connectionPool?: {tcp?: Record<string, unknown>; http?: Record<string, unknown>}
  outlierDetection?: Record<string, unknown>
  tls?: {mode: 'DISABLE' | 'SIMPLE' | 'MUTUAL' | 'ISTIO_MUTUAL'; sni?: string; credentialName?: string}
  portLevelSettings?: {port: {number: number}; tls?: TrafficPolicy['tls']; loadBalancer?: TrafficPolicy['loadBalancer']}[]
}

export interface Subset {
  name: string
  labels?: Record<string, string>
  trafficPolicy?: TrafficPolicy
}

export interface DestinationRuleProps extends ObjectIdentity {
  apiVersion: string
  host: string
  trafficPolicy?: TrafficPolicy
  subsets?: Subset[]
}

/** An Istio DestinationRule: subsets and traffic policy for one destination host. */
export function buildDestinationRule(props: DestinationRuleProps): KubeObject {
  return kubeObject(props.apiVersion, 'DestinationRule', props, {
    spec: {host: props.host, trafficPolicy: props.trafficPolicy, subsets: props.subsets},
  })
}
